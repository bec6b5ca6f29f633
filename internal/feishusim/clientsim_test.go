package feishusim

import (
	"errors"
	"net/http"
	"slices"
	"testing"
)

// The §13.1 vector, computed by the simulator's own signer.
func TestJSSDKSignatureVector(t *testing.T) {
	got := JSSDKSignature("0560604568baf296731aa37f0c8ebe3e049c19d7", "13oEviLbrTo458A3NjrOwS70oTOXVOAm",
		1700000000000, "https://todo.example.com/share?chat=1")
	if got != "702bb7911852b839d4f78fe1940a8cb0f5d18efd" {
		t.Fatalf("signature %s", got)
	}
}

// The client accepts a config signed with the ticket the app fetched, for
// the page it shows, and refuses anything else, as h5sdk.config's onFail.
func TestVerifyJSSDKConfig(t *testing.T) {
	e := newEnv(t, false)
	const page = "http://127.0.0.1:8080/app/?triggerCode=x"
	if err := e.sim.VerifyJSSDKConfig("cli_test", 1, "n", page, "00"); !errors.Is(err, ErrConfigNoTicket) {
		t.Fatalf("before any ticket: %v", err)
	}
	r := e.post(ticketPath, nil)
	wantCode(t, r, http.StatusOK, 0)
	ticket := r.Data["ticket"].(string)
	const ts, nonce = int64(1700000000000), "abc"
	sig := JSSDKSignature(ticket, nonce, ts, page)
	if err := e.sim.VerifyJSSDKConfig("cli_test", ts, nonce, page+"#frag", sig); err != nil {
		t.Fatalf("the right signature (the fragment is not signed): %v", err)
	}
	for name, tc := range map[string]struct {
		app, nonce, url, sig string
		ts                   int64
		want                 error
	}{
		"other page":   {"cli_test", nonce, page + "&x=1", sig, ts, ErrConfigBadSignature},
		"other nonce":  {"cli_test", "abd", page, sig, ts, ErrConfigBadSignature},
		"other time":   {"cli_test", nonce, page, sig, ts + 1, ErrConfigBadSignature},
		"other app":    {"cli_other", nonce, page, sig, ts, ErrConfigWrongApp},
		"no signature": {"cli_test", nonce, page, "", ts, ErrConfigMissing},
		"other ticket": {"cli_test", nonce, page, JSSDKSignature("tk-old", nonce, ts, page), ts, ErrConfigBadSignature},
		"no timestamp": {"cli_test", nonce, page, sig, 0, ErrConfigMissing},
	} {
		if err := e.sim.VerifyJSSDKConfig(tc.app, tc.ts, tc.nonce, tc.url, tc.sig); !errors.Is(err, tc.want) {
			t.Errorf("%s: %v, want %v", name, err, tc.want)
		}
	}
	e.clock.Advance(TicketLifetime)
	if err := e.sim.VerifyJSSDKConfig("cli_test", ts, nonce, page, sig); !errors.Is(err, ErrConfigNoTicket) {
		t.Fatalf("after the ticket expired: %v", err)
	}
}

func TestUserChats(t *testing.T) {
	e := newEnv(t, false)
	e.sim.AddChat(Chat{ID: "oc_b", Name: "0 B", Members: []string{alice}, BotIsMember: true})
	e.sim.AddChat(Chat{ID: "oc_a", Name: "0 A", Members: []string{alice, "ou_x"}}) // without the bot: still offered
	e.sim.AddChat(Chat{ID: "oc_c", Name: "0 C", Members: []string{"ou_x"}, BotIsMember: true})
	var ids []string
	for _, c := range e.sim.UserChats(alice) {
		ids = append(ids, c.ID)
	}
	a, b := slices.Index(ids, "oc_a"), slices.Index(ids, "oc_b")
	if a < 0 || b != a+1 || slices.Contains(ids, "oc_c") || !slices.Contains(ids, "oc_group") {
		t.Fatalf("alice's chats %v: want oc_a then oc_b (by name), her other chats, never oc_c", ids)
	}
}
