package webhook

import (
	"crypto/sha1"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"hash"
	"strings"

	larkevent "github.com/larksuite/oapi-sdk-go/v3/event"
	"go.uber.org/zap"

	"github.com/botd/botd/internal/platformid"
)

// scheme is how a request proved where it came from.
type scheme int

const (
	unsigned     scheme = iota // no signature checked: no key, or the headers were absent
	signedV2                   // SHA-256 with the Encrypt Key (§4.3): events, card.action.trigger
	signedLegacy               // SHA-1 with the Verification Token (§9.7): legacy card actions
)

// proof is the outcome of authenticate.
type proof struct {
	scheme scheme
	// signature is the verified signature (lowercase hex). It covers the
	// timestamp, nonce and body, so it names this exact request: the replay
	// key of legacy callbacks, which carry no event_id.
	signature string
	// key and token are the secrets the request was proved with: key by
	// the v2 signature (then it also decides which key decrypts) or by
	// decryption, token by the legacy signature or the token in the body.
	// They are counted once the request is accepted (rotation.go).
	key, token secret
}

// signV2 is X-Lark-Signature for events and card.action.trigger callbacks.
func signV2(timestamp, nonce, encryptKey string, body []byte) string {
	return sign(sha256.New(), timestamp, nonce, encryptKey, body)
}

// signLegacy is X-Lark-Signature for the legacy card request URL format.
func signLegacy(timestamp, nonce, verificationToken string, body []byte) string {
	return sign(sha1.New(), timestamp, nonce, verificationToken, body)
}

func sign(h hash.Hash, timestamp, nonce, secret string, body []byte) string {
	h.Write([]byte(timestamp))
	h.Write([]byte(nonce))
	h.Write([]byte(secret))
	h.Write(body)
	return hex.EncodeToString(h.Sum(nil))
}

// authenticate checks X-Lark-Signature over the raw body, exactly as
// received: re-serialised JSON would not hash the same. It runs before the
// body is parsed or decrypted. A request without the three headers comes out
// unsigned; authorize then decides whether its kind may be unsigned.
func (h *Handler) authenticate(c *call, raw []byte) (proof, error) {
	hdr := c.r.Header
	ts := hdr.Get(larkevent.EventRequestTimestamp)
	nonce := hdr.Get(larkevent.EventRequestNonce)
	got := strings.ToLower(hdr.Get(larkevent.EventSignature))
	if ts == "" || nonce == "" || got == "" {
		return proof{scheme: unsigned}, nil
	}
	keyed := h.cfg.EncryptKey != ""
	if keyed {
		// The current key first: the previous one (during a rotation)
		// costs a second hash only to requests the current one refuses.
		if want := signV2(ts, nonce, h.cfg.EncryptKey, raw); hexEqual(got, want) {
			return proof{scheme: signedV2, signature: want, key: secretCurrent}, h.checkFresh(c, ts)
		}
		if prev := h.cfg.PreviousEncryptKey; prev != "" {
			if want := signV2(ts, nonce, prev, raw); hexEqual(got, want) {
				return proof{scheme: signedV2, signature: want, key: secretPrevious}, h.checkFresh(c, ts)
			}
		}
	}
	if c.rt == routeCard {
		if want, tok := h.legacySignature(ts, nonce, got, raw); tok != secretNone {
			if !h.cfg.LegacyCardCallbacks {
				// Checked only to say why: an operator whose console still
				// has the legacy URL configured sees this reason in the log.
				return proof{}, unauthorized(reasonLegacyOff)
			}
			return proof{scheme: signedLegacy, signature: want, token: tok}, h.checkFresh(c, ts)
		}
	}
	if !keyed {
		// Without a key there is no v2 signature to check; the token in
		// the body is all there is (and legacy actions will be refused by
		// authorize for lack of their signature).
		return proof{scheme: unsigned}, nil
	}
	return proof{}, unauthorized("signature mismatch")
}

// legacySignature checks a legacy (SHA-1, Verification Token) signature with
// the current token, then the previous one, and returns the signature that
// matched and which token made it (secretNone: neither).
func (h *Handler) legacySignature(ts, nonce, got string, raw []byte) (string, secret) {
	if want := signLegacy(ts, nonce, h.cfg.VerificationToken, raw); hexEqual(got, want) {
		return want, secretCurrent
	}
	if prev := h.cfg.PreviousVerificationToken; prev != "" {
		if want := signLegacy(ts, nonce, prev, raw); hexEqual(got, want) {
			return want, secretPrevious
		}
	}
	return "", secretNone
}

// hexEqual compares two signatures in constant time.
func hexEqual(got, want string) bool {
	return subtle.ConstantTimeCompare([]byte(got), []byte(want)) == 1
}

// authorize decides, once the body is decrypted and parsed, whether this kind
// of request may come with this proof, and checks the Verification Token and
// app_id on every request, not only on url_verification as the SDK does. It
// records in p.token which token the body carried.
func (h *Handler) authorize(c *call, p *proof, encrypted bool, env *envelope) error {
	keyed := h.cfg.EncryptKey != ""
	switch env.kind() {
	case kindLegacy:
		if !h.cfg.LegacyCardCallbacks {
			return unauthorized(reasonLegacyOff)
		}
		// A legacy body's "token" is a card-update credential, not the
		// Verification Token: the SHA-1 signature is its only proof.
		if c.rt != routeCard || p.scheme != signedLegacy {
			return unauthorized("legacy card action without a valid legacy signature")
		}
		return nil

	case kindChallenge:
		if p.token = h.secrets.matchToken(env.Token); p.token == secretNone {
			return unauthorized("wrong verification token")
		}
		// The legacy handshake is plaintext even when a key is set (§4.4);
		// every other handshake is encrypted then. With the legacy format
		// off, its handshake is refused too, so that the console will not
		// save a legacy URL whose callbacks botd would then refuse.
		plainOK := c.rt == routeCard && h.cfg.LegacyCardCallbacks && p.scheme != signedV2
		if keyed && !encrypted && !plainOK {
			return unauthorized("plaintext body while an encrypt key is configured")
		}
		if keyed && p.scheme == unsigned {
			c.log.Warn("url_verification without signature headers; accepted on its verification token",
				zap.Bool("encrypted", encrypted))
		}
		return nil

	default: // v2 and v1 events, v2 callbacks, and anything unrecognised
		if keyed && p.scheme != signedV2 {
			return unauthorized("no valid v2 signature")
		}
		if keyed && !encrypted {
			return unauthorized("plaintext body while an encrypt key is configured")
		}
		if keyed && env.kind() == kindV2 && env.Header == nil {
			// Signed and encrypted with our key, so the platform's, but
			// malformed: there is nothing to route it by.
			return badRequest("v2 envelope without header", nil)
		}
		// A v2 envelope without header has no token (verificationToken):
		// refused here when no key vouches for it.
		if p.token = h.secrets.matchToken(env.verificationToken()); p.token == secretNone {
			return unauthorized("wrong verification token")
		}
		return h.checkAppID(env)
	}
}

// reasonLegacyOff is logged when a legacy card callback is refused because
// the format is off.
const reasonLegacyOff = "legacy card callback format is off (legacy_card_callbacks)"

// checkAppID checks header.app_id. When botd knows its app id, the header
// must carry exactly it: an empty one is refused too, since every v2
// envelope the platform sends names its app (§4.5), and a request that
// names none could be meant for any app sharing the token or key. When botd
// does not know it, a present app_id must at least look like one.
func (h *Handler) checkAppID(env *envelope) error {
	if env.Header == nil {
		return nil // v1 and unknown kinds: nothing is handed to the flows
	}
	got := env.Header.AppID
	switch {
	case h.cfg.AppID != "" && got == "":
		return unauthorized("no app_id")
	case h.cfg.AppID != "" && got != h.cfg.AppID:
		return unauthorized("wrong app_id")
	case got != "" && !platformid.IsAppID(got):
		return badRequest("malformed app_id", nil)
	}
	return nil
}
