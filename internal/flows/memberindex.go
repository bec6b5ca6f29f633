package flows

import (
	"slices"

	"github.com/botd/botd/internal/platformid"
)

// Member indexes list, per member, the records that concern them (a todo
// they created or are assigned, a reminder they set or that mentions them)
// across all chats: the web app's "my items". A record stays in them
// whatever its status; readers check who the record concerns again, so an
// entry left behind by a change of assignee shows nothing.

// MemberIndex is the name of the member index of openID in tenantKey.
func MemberIndex(tenantKey, openID string) string {
	return memberIndexPrefix + tenantKey + ":" + openID
}

// memberIndexPrefix starts the name of every member index.
const memberIndexPrefix = "member:"

// MemberIndexes places a record, scored by score, in the member index of
// each of openIDs that is an open_id (others, and repeats, are skipped).
// A tenant key that cannot be part of an index name gives none: a record is
// never refused for the sake of this list.
func MemberIndexes(tenantKey string, score float64, openIDs ...string) []Index {
	if tenantKey == "" || len(tenantKey) > 64 {
		return nil
	}
	for _, c := range tenantKey {
		if c <= ' ' || c == 0x7f || c == ':' {
			return nil
		}
	}
	var out []Index
	var seen []string
	for _, id := range openIDs {
		if !platformid.IsOpenID(id) || slices.Contains(seen, id) {
			continue
		}
		seen = append(seen, id)
		out = append(out, Index{Name: MemberIndex(tenantKey, id), Score: score, In: true})
	}
	return out
}
