package webhook

import (
	"crypto/cipher"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"sync/atomic"

	"go.uber.org/zap"
)

// Rotating the Encrypt Key or the Verification Token.
//
// A change made in the console does not reach every sender at once, and
// requests signed or encrypted before it are still retried for hours
// (§4.6). So, during a change, botd accepts the previous secret besides the
// current one (Config.PreviousEncryptKey, Config.PreviousVerificationToken)
// and counts, per accepted request, which one it used
// (botd_webhook_secret_used_total{secret,kind}): once the previous one has
// not been used for a day, it can be removed.
//
// The current secret is always tried first, with what New precomputed for
// it, so a request that uses it costs what it did before rotation existed;
// only a request that fails with it pays for a second try.
//
// Which encrypt key opens a body is decided by the signature when there is
// one: it binds the key, so a body signed with one key is decrypted with
// that key only. An unsigned body (a handshake without the signature
// headers, or a legacy card action) is decrypted with the current key, then
// with the previous one; a key is taken only if the padding is valid and the
// plaintext parses as a JSON object. With a wrong key, valid padding alone
// happens about once in 256 tries, and JSON after it practically never.
//
// The long connection uses neither secret (Deliver): nothing is counted
// there.

// secret says which secret of a kind proved a request.
type secret uint8

const (
	secretNone     secret = iota // not used by this request, or no match
	secretCurrent                // Config.EncryptKey or Config.VerificationToken
	secretPrevious               // Config.PreviousEncryptKey or Config.PreviousVerificationToken
)

// secretKind is what a secret is, the kind label of the metric.
type secretKind uint8

const (
	secretEncryptKey secretKind = iota
	secretVerificationToken
)

// Label values of botd_webhook_secret_used_total, indexed by secret-1 and
// secretKind.
var (
	secretLabels     = [2]string{"current", "previous"}
	secretKindLabels = [2]string{"encrypt_key", "verification_token"}
)

// secrets are the precomputed forms of the current and previous secrets.
// (The current key's block is Handler.block.)
type secrets struct {
	prevBlock        cipher.Block // of Config.PreviousEncryptKey; nil without one
	token, prevToken [sha256.Size]byte
	hasPrevToken     bool

	// previousSeen[kind] is set the first time a request uses the
	// previous secret of that kind: it is logged once per process.
	previousSeen [2]atomic.Bool
}

func newSecrets(cfg Config) *secrets {
	s := &secrets{token: sha256.Sum256([]byte(cfg.VerificationToken))}
	if cfg.PreviousEncryptKey != "" && cfg.EncryptKey != "" {
		s.prevBlock = bodyCipher(cfg.PreviousEncryptKey)
	}
	if cfg.PreviousVerificationToken != "" && cfg.VerificationToken != "" {
		s.prevToken = sha256.Sum256([]byte(cfg.PreviousVerificationToken))
		s.hasPrevToken = true
	}
	return s
}

// checkRotation refuses previous secrets that cannot be meant: one without
// a current one (nothing is being rotated), or one equal to the current one
// (the console was not changed, or the old value was pasted twice).
func checkRotation(cfg Config) error {
	switch {
	case cfg.PreviousEncryptKey != "" && cfg.EncryptKey == "":
		return errors.New("webhook: a previous encrypt key needs a current one")
	case cfg.PreviousEncryptKey != "" && cfg.PreviousEncryptKey == cfg.EncryptKey:
		return errors.New("webhook: the previous encrypt key equals the current one")
	case cfg.PreviousVerificationToken != "" && cfg.VerificationToken == "":
		return errors.New("webhook: a previous verification token needs a current one")
	case cfg.PreviousVerificationToken != "" && cfg.PreviousVerificationToken == cfg.VerificationToken:
		return errors.New("webhook: the previous verification token equals the current one")
	}
	return nil
}

// matchToken says which Verification Token got is. It compares digests, so
// that neither the token's bytes nor its length show in the time taken; the
// previous one is compared only when the current one does not match.
func (s *secrets) matchToken(got string) secret {
	g := sha256.Sum256([]byte(got))
	if subtle.ConstantTimeCompare(g[:], s.token[:]) == 1 {
		return secretCurrent
	}
	if s.hasPrevToken && subtle.ConstantTimeCompare(g[:], s.prevToken[:]) == 1 {
		return secretPrevious
	}
	return secretNone
}

// decryptEnvelope decrypts an {"encrypt": ...} body and parses what it
// holds, with the key the signature bound (p.key), or else the current key
// and then the previous one; it records in p.key the key that opened it.
// Without a previous key, or with the current one, it is one decryption and
// one parse, as before rotation existed.
func (h *Handler) decryptEnvelope(p *proof, ciphertext []byte) (*envelope, error) {
	switch p.key {
	case secretCurrent:
		return openWith(h.block, ciphertext)
	case secretPrevious:
		return openWith(h.secrets.prevBlock, ciphertext)
	}
	env, err := openWith(h.block, ciphertext)
	if err == nil {
		p.key = secretCurrent
		return env, nil
	}
	if h.secrets.prevBlock == nil {
		return nil, err
	}
	if prev, perr := openWith(h.secrets.prevBlock, ciphertext); perr == nil {
		p.key = secretPrevious
		return prev, nil
	}
	return nil, err // the current key's reason: the one that was expected to work
}

// openWith decrypts with one key and parses the plaintext.
func openWith(block cipher.Block, ciphertext []byte) (*envelope, error) {
	plain, err := decryptWith(block, ciphertext)
	if err != nil {
		return nil, badRequest("cannot decrypt body", err)
	}
	env, err := parseEnvelope(plain)
	if err != nil {
		return nil, badRequest("decrypted body is not a JSON object", err)
	}
	return env, nil
}

// countSecrets records, for a request that was accepted, which secrets it
// used, and logs the first use of a previous one.
func (h *Handler) countSecrets(c *call, p *proof) {
	h.useSecret(c, secretEncryptKey, p.key)
	h.useSecret(c, secretVerificationToken, p.token)
}

func (h *Handler) useSecret(c *call, k secretKind, s secret) {
	if s == secretNone {
		return
	}
	h.metrics.secretUsed[k][s-1].Inc()
	if s == secretPrevious && h.secrets.previousSeen[k].CompareAndSwap(false, true) {
		// Info, not Warn: this is what rotation is for. Once a request
		// per process: the metric counts the rest.
		c.log.Info("request accepted with the previous secret; keep it configured until "+
			`botd_webhook_secret_used_total{secret="previous"} stops growing`,
			zap.String("kind", secretKindLabels[k]))
	}
}
