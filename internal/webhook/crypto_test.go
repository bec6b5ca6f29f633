package webhook

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/sha256"
	"encoding/base64"
	"strings"
	"testing"

	larkcard "github.com/larksuite/oapi-sdk-go/v3/card"
	larkevent "github.com/larksuite/oapi-sdk-go/v3/event"

	"github.com/botd/botd/internal/feishusim"
)

func TestSignatureVector(t *testing.T) {
	const want = "d466d56aefc6e96ff22280b9f6ef8f3852e0ec809b8be34bc346e70b816e9a9a"
	body := []byte(`{"encrypt":"x"}`)
	if got := signV2("1700000000", "nonce", "KEY", body); got != want {
		t.Errorf("signV2 = %s, want %s (§4.3 vector)", got, want)
	}
	if got := larkevent.Signature("1700000000", "nonce", "KEY", string(body)); got != want {
		t.Errorf("SDK larkevent.Signature = %s, want %s", got, want)
	}
	if got := feishusim.Sign("1700000000", "nonce", "KEY", body); got != want {
		t.Errorf("feishusim.Sign = %s, want %s", got, want)
	}
}

func TestLegacySignatureAgreesWithSDK(t *testing.T) {
	body := []byte(`{"open_id":"ou_1","action":{"value":{"k":"v"}}}`)
	got := signLegacy("1700000000", "nonce", testToken, body)
	if sdk := larkcard.Signature("1700000000", "nonce", testToken, string(body)); got != sdk {
		t.Errorf("signLegacy = %s, SDK card.Signature = %s", got, sdk)
	}
	if sim := feishusim.SignLegacy("1700000000", "nonce", testToken, body); got != sim {
		t.Errorf("signLegacy = %s, feishusim.SignLegacy = %s", got, sim)
	}
}

func TestDecryptDocVector(t *testing.T) {
	got, err := decrypt("P37w+VZImNgPEO1RBhJ6RtKl7n6zymIbEG1pReEzghk=", "test key")
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != "hello world" {
		t.Errorf("decrypt = %q, want %q", got, "hello world")
	}
}

// The SDK trims to the outermost braces instead of unpadding: on JSON, which
// is all the platform sends, both must agree.
func TestDecryptAgreesWithSDK(t *testing.T) {
	for _, plain := range []string{
		`{}`,
		`{"challenge":"abc","token":"t","type":"url_verification"}`,
		`{"schema":"2.0","header":{"event_id":"e"},"event":{"text":"` + strings.Repeat("x", 15) + `"}}`,
		`{"a":"` + strings.Repeat("多字节", 100) + `"}`,
	} {
		enc, err := feishusim.Encrypt([]byte(plain), "some key")
		if err != nil {
			t.Fatal(err)
		}
		ours, err := decrypt(enc, "some key")
		if err != nil {
			t.Fatalf("decrypt(%q): %v", plain, err)
		}
		sdk, err := larkevent.EventDecrypt(enc, "some key")
		if err != nil {
			t.Fatalf("SDK EventDecrypt(%q): %v", plain, err)
		}
		if string(ours) != plain || !bytes.Equal(ours, sdk) {
			t.Errorf("plaintext %q: ours %q, SDK %q", plain, ours, sdk)
		}
	}
}

// encryptRaw encrypts already padded blocks, to build bad paddings.
func encryptRaw(t *testing.T, key string, padded []byte) string {
	t.Helper()
	k := sha256.Sum256([]byte(key))
	block, err := aes.NewCipher(k[:])
	if err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, aes.BlockSize+len(padded))
	copy(buf[aes.BlockSize:], padded) // zero IV: fine for a test
	cipher.NewCBCEncrypter(block, buf[:aes.BlockSize]).CryptBlocks(buf[aes.BlockSize:], buf[aes.BlockSize:])
	return base64.StdEncoding.EncodeToString(buf)
}

func TestDecryptRefuses(t *testing.T) {
	block := func(fill byte, last ...byte) []byte {
		b := bytes.Repeat([]byte{fill}, aes.BlockSize)
		copy(b[aes.BlockSize-len(last):], last)
		return b
	}
	tests := []struct {
		name string
		in   string
		key  string
	}{
		{"not base64", "%%%not base64%%%", "k"},
		{"IV only", base64.StdEncoding.EncodeToString(make([]byte, aes.BlockSize)), "k"},
		{"empty", "", "k"},
		{"not whole blocks", base64.StdEncoding.EncodeToString(make([]byte, 40)), "k"},
		{"pad byte 0", encryptRaw(t, "k", block('a', 0)), "k"},
		{"pad byte 17", encryptRaw(t, "k", block('a', 17)), "k"},
		{"pad bytes differ", encryptRaw(t, "k", block('a', 3, 2, 3)), "k"},
		{"pad byte 16 but short run", encryptRaw(t, "k", block('a', 16)), "k"},
		// Deterministic: with a random IV, a wrong key still yields valid
		// padding once in 256 runs (and garbage, which parsing then refuses).
		{"wrong key", "P37w+VZImNgPEO1RBhJ6RtKl7n6zymIbEG1pReEzghk=", "other key"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got, err := decrypt(tt.in, tt.key); err == nil {
				t.Errorf("decrypt accepted it: %q", got)
			}
		})
	}
	// A full block of padding is valid and leaves nothing.
	if got, err := decrypt(encryptRaw(t, "k", block(16)), "k"); err != nil || len(got) != 0 {
		t.Errorf("full padding block: %q, %v", got, err)
	}
}
