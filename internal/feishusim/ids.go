package feishusim

import (
	"crypto/rand"
	"encoding/hex"
	"time"
)

// randHex returns n random bytes as lowercase hex (2n characters).
func randHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b) // crypto/rand.Read never fails on supported platforms
	return hex.EncodeToString(b)
}

// newMessageID looks like the platform's "om_" + 32 hex characters.
func newMessageID() string { return "om_" + randHex(16) }

// newEventID is 32 hex characters, as v2 event ids are.
func newEventID() string { return randHex(16) }

// newLogID imitates X-Tt-Logid: a timestamp followed by random hex.
func newLogID(now time.Time) string {
	return now.UTC().Format("20060102150405") + randHex(10)
}
