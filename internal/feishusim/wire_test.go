package feishusim

import (
	"bytes"
	"testing"

	larkcard "github.com/larksuite/oapi-sdk-go/v3/card"
	larkevent "github.com/larksuite/oapi-sdk-go/v3/event"
)

func TestSignDocVector(t *testing.T) {
	const want = "d466d56aefc6e96ff22280b9f6ef8f3852e0ec809b8be34bc346e70b816e9a9a"
	body := []byte(`{"encrypt":"x"}`)
	if got := Sign("1700000000", "nonce", "KEY", body); got != want {
		t.Fatalf("Sign = %s, want %s", got, want)
	}
	if sdk := larkevent.Signature("1700000000", "nonce", "KEY", string(body)); sdk != want {
		t.Fatalf("larkevent.Signature = %s, want %s", sdk, want)
	}
}

func TestSignLegacyMatchesSDK(t *testing.T) {
	body := []byte(`{"open_id":"ou_x","action":{"value":{}}}`)
	got := SignLegacy("1700000000", "nonce", "vtoken", body)
	if want := larkcard.Signature("1700000000", "nonce", "vtoken", string(body)); got != want {
		t.Fatalf("SignLegacy = %s, larkcard.Signature = %s", got, want)
	}
}

func TestDecryptDocVector(t *testing.T) {
	got, err := Decrypt("P37w+VZImNgPEO1RBhJ6RtKl7n6zymIbEG1pReEzghk=", "test key")
	if err != nil || string(got) != "hello world" {
		t.Fatalf("Decrypt = %q, %v; want \"hello world\"", got, err)
	}
	if _, err := Decrypt("P37w+VZImNgPEO1RBhJ6RtKl7n6zymIbEG1pReEzghk=", "other key"); err == nil {
		t.Fatal("a wrong key must fail the padding check")
	}
}

func TestEncryptRoundTrip(t *testing.T) {
	plain := []byte(`{"schema":"2.0","header":{"event_type":"im.message.receive_v1"},"event":{"x":"视图"}}`)
	for _, key := range []string{"KEY", "a much longer encrypt key with 中文"} {
		enc, err := Encrypt(plain, key)
		if err != nil {
			t.Fatal(err)
		}
		sdk, err := larkevent.EventDecrypt(enc, key)
		if err != nil || !bytes.Equal(sdk, plain) {
			t.Fatalf("larkevent.EventDecrypt = %q, %v", sdk, err)
		}
		ours, err := Decrypt(enc, key)
		if err != nil || !bytes.Equal(ours, plain) {
			t.Fatalf("Decrypt = %q, %v", ours, err)
		}
		again, _ := Encrypt(plain, key)
		if again == enc {
			t.Fatal("the IV must be random")
		}
	}
	// A plaintext that is a whole number of blocks gets a full padding block.
	enc, _ := Encrypt(bytes.Repeat([]byte("a"), 32), "k")
	if got, err := Decrypt(enc, "k"); err != nil || len(got) != 32 {
		t.Fatalf("block-aligned round trip: %d bytes, %v", len(got), err)
	}
}
