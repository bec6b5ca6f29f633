package webhook

import (
	"bytes"
	"encoding/json"
	"errors"
	"reflect"
	"testing"

	larkevent "github.com/larksuite/oapi-sdk-go/v3/event"
)

// encryptedOnly takes the shortcut only where encoding/json reads the same
// ciphertext, and leaves every other body to parseEnvelope.
func TestEncryptedOnly(t *testing.T) {
	for _, tc := range []struct {
		body string
		ok   bool
	}{
		{`{"encrypt":"AAAA+/=="}`, true},
		{" \r\n\t{ \"encrypt\" :\n\"QUJD\" }\n", true},
		{`{"encrypt":""}`, true},
		{`{"encrypt":"QU\/JD"}`, false},              // an escape: read in full
		{`{"encrypt":"QUJD","schema":"2.0"}`, false}, // another member
		{`{"schema":"2.0","encrypt":"QUJD"}`, false},
		{`{"ENCRYPT":"QUJD"}`, false}, // encoding/json matches keys case-insensitively
		{`{"encrypt":"QU JD"}`, false},
		{"{\"encrypt\":\"QU\nJD\"}", false}, // a raw newline: not JSON, and base64 would skip it
		{`{"encrypt":"QUJD"`, false},
		{`{"encrypt":"QUJD"}x`, false},
		{`{"encrypt":QUJD}`, false},
		{`{"encrypt":null}`, false},
		{`["encrypt","QUJD"]`, false},
		{"{\"encrypt\":\"QUJD\"}\v", false}, // \v is not JSON whitespace
		{`{"encrypt":"QUJD\u00e9"}`, false},
	} {
		got, ok := encryptedOnly([]byte(tc.body))
		if ok != tc.ok {
			t.Errorf("%q: ok %v, want %v", tc.body, ok, tc.ok)
			continue
		}
		if !ok {
			continue
		}
		env, err := parseEnvelope([]byte(tc.body))
		if err != nil || env.Encrypt == nil || *env.Encrypt != string(got) || env.kind() != kindUnknown || env.Header != nil {
			t.Errorf("%q: shortcut read %q; encoding/json reads %+v, %v", tc.body, got, env, err)
		}
	}
}

// FuzzEncryptedOnly: whenever the shortcut takes a body, encoding/json
// reads it as exactly that ciphertext and nothing else.
func FuzzEncryptedOnly(f *testing.F) {
	for _, s := range []string{`{"encrypt":"QUJD"}`, ` { "encrypt" : "AAAA+/==" } `, `{"encrypt":"a\/b"}`, `{"Encrypt":"QUJD"}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		got, ok := encryptedOnly(body)
		if !ok {
			return
		}
		env, err := parseEnvelope(body)
		if err != nil {
			t.Fatalf("%q: shortcut taken, but encoding/json refuses it: %v", body, err)
		}
		if env.Encrypt == nil || *env.Encrypt != string(got) {
			t.Fatalf("%q: shortcut read %q, encoding/json %v", body, got, env.Encrypt)
		}
		if env.Schema != "" || env.Header != nil || env.Event != nil || env.ev != nil || env.Type != "" || env.Token != "" ||
			env.Challenge != "" || env.UUID != "" || env.OpenID != "" || env.OpenMessageID != "" || env.Action != nil {
			t.Fatalf("%q: encoding/json reads more than the ciphertext: %+v", body, env)
		}
	})
}

// oldReading is how a body was read before the one-pass shortcut: the
// envelope with its event raw, then the event on its own.
func oldReading(b []byte) (head envelopeHead, msg *messageEvent, msgErr error, card *cardEvent, cardErr error, err error) {
	var env envelope
	if err := json.Unmarshal(b, &env); err != nil {
		return head, nil, nil, nil, nil, err
	}
	msg, card = &messageEvent{}, &cardEvent{}
	msgErr = json.Unmarshal(env.Event, msg)
	cardErr = json.Unmarshal(env.Event, card)
	return env.envelopeHead, msg, msgErr, card, cardErr, nil
}

// FuzzOnePassEnvelope: reading the event with the envelope gives what
// reading it afterwards gave, for messages and callbacks alike, errors
// included. The one difference, left out here, is a body with two "event"
// members (which only a holder of the Encrypt Key can sign, and the
// platform never sends): the raw reading keeps the last, the one-pass
// reading merges them.
func FuzzOnePassEnvelope(f *testing.F) {
	for _, b := range [][]byte{
		v2(f, eventMessageReceive, "ev_1", textMessage("om_1", "@_user_1 /todo x")),
		v2(f, eventMessageReceive, "ev_2", message("om_2", "post", `{"content":[[{"tag":"text","text":"hi"}]]}`)),
		v2(f, eventCardAction, "ev_3", cardTrigger(map[string]any{"k": "v"})),
		v2(f, eventCardAction, "ev_4", cardTrigger("s")),
		[]byte(`{"schema":"2.0","header":{"event_id":"e"},"event":null}`),
		[]byte(`{"schema":"2.0","header":{"event_id":"e"}}`),
		[]byte(`{"schema":"2.0","event":{"message":5}}`),
		[]byte(`{"schema":"2.0","event":{"operator":{"open_id":"ou_1"},"message":{"chat_id":1}}}`),
		[]byte(`{"type":"url_verification","token":"t","challenge":"c"}`),
	} {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		if lower := bytes.ToLower(b); bytes.Count(lower, []byte(`"event"`)) > 1 || bytes.Contains(b, []byte(`\u`)) {
			// Possibly two "event" members (in any case, or escaped).
			return
		}
		head, msg, msgErr, card, cardErr, err := oldReading(b)
		env, newErr := parseEnvelope(b)
		if (err != nil) != (newErr != nil) {
			if err == nil && errors.Is(newErr, errNotObject) {
				return // not an object: parseEnvelope refused it before, too
			}
			t.Fatalf("%q: old error %v, new %v", b, err, newErr)
		}
		if err != nil {
			return
		}
		if !reflect.DeepEqual(head, env.envelopeHead) {
			t.Fatalf("%q: envelope %+v, was %+v", b, env.envelopeHead, head)
		}
		if env.Header == nil {
			env.Header = &larkevent.EventHeader{} // routed to no handler; read here all the same
		}
		hd := env.Header
		m, skip, err := decodeMessage(env)
		if (err != nil) != (msgErr != nil) {
			t.Fatalf("%q: message error %v, was %v", b, err, msgErr)
		}
		if err == nil {
			om, oskip := toMessage(hd, msg)
			if !reflect.DeepEqual(m, om) || skip != oskip {
				t.Fatalf("%q: message %+v %q, was %+v %q", b, m, skip, om, oskip)
			}
		}
		if env.ev != nil {
			if cardErr != nil {
				t.Fatalf("%q: callback read in one pass, but its own reading fails: %v", b, cardErr)
			}
			if !reflect.DeepEqual(&env.ev.cardEvent, card) {
				t.Fatalf("%q: callback %+v, was %+v", b, env.ev.cardEvent, *card)
			}
		}
	})
}
