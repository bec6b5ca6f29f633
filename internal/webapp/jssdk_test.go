package webapp

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

// The self-computed vector of docs/feishu-platform.md §13.1.
func TestSignVector(t *testing.T) {
	got := Sign("0560604568baf296731aa37f0c8ebe3e049c19d7", "13oEviLbrTo458A3NjrOwS70oTOXVOAm", 1700000000000,
		"https://todo.example.com/share?chat=1")
	if want := "702bb7911852b839d4f78fe1940a8cb0f5d18efd"; got != want {
		t.Fatalf("Sign = %s, want %s", got, want)
	}
}

// The page's config is signed with the simulator's current ticket, over
// the URL without its fragment, with a millisecond timestamp.
func TestJSSDKSignsWithPlatformTicket(t *testing.T) {
	p := newPlatform(t)
	rp := p.replica(t, Config{})
	page := rp.srv.URL + "/app/?chat=oc_1&lang=zh"
	a := rp.do(t, http.MethodGet, "/app/api/jssdk?url="+url.QueryEscape(page+"#/items"), nil, nil)
	if a.status != http.StatusOK {
		t.Fatalf("jssdk: %d %s", a.status, a.raw)
	}
	ticket := p.sim.JSAPITicket()
	nonce, _ := a.body["nonceStr"].(string)
	ts, _ := a.body["timestamp"].(float64)
	if ticket == "" || len(nonce) != nonceLen || a.body["appId"] != testAppID {
		t.Fatalf("answer %v (ticket %q)", a.body, ticket)
	}
	if d := time.Duration(int64(ts)-p.clock.Now().UnixMilli()) * time.Millisecond; d > time.Second || d < -time.Second {
		t.Fatalf("timestamp %v is not botd's clock in ms (%v)", int64(ts), p.clock.Now().UnixMilli())
	}
	if want := Sign(ticket, nonce, int64(ts), page); a.body["signature"] != want {
		t.Fatalf("signature %v, want %s", a.body["signature"], want)
	}
	if a.header.Get("Cache-Control") != "no-store" {
		t.Fatalf("Cache-Control %q", a.header.Get("Cache-Control"))
	}
}

func TestJSSDKBadURL(t *testing.T) {
	p := newPlatform(t)
	rp := p.replica(t, Config{PageHosts: []string{"app.example.com"}})
	for _, tc := range []struct{ name, query string }{
		{"none", ""},
		{"empty", "?url="},
		{"relative", "?url=" + url.QueryEscape("/app/")},
		{"not http", "?url=" + url.QueryEscape("javascript:alert(1)")},
		{"other site", "?url=" + url.QueryEscape("https://evil.example.com/app/")},
		{"user info", "?url=" + url.QueryEscape("https://x@app.example.com/app/")},
		{"too long", "?url=" + url.QueryEscape("https://app.example.com/"+strings.Repeat("a", maxPageURL))},
		{"bad escape", "?url=" + url.QueryEscape("https://app.example.com/%zz")},
	} {
		if a := rp.do(t, http.MethodGet, "/app/api/jssdk"+tc.query, nil, nil); a.status != http.StatusBadRequest {
			t.Errorf("%s: %d %s, want 400", tc.name, a.status, a.raw)
		}
	}
	if p.sim.TicketFetches() != 0 {
		t.Fatal("a bad request fetched a ticket")
	}
	if a := rp.do(t, http.MethodGet, "/app/api/jssdk?url="+url.QueryEscape("https://app.example.com/app/"), nil, nil); a.status != http.StatusOK {
		t.Fatalf("configured page host: %d %s", a.status, a.raw)
	}
}

// Two replicas on one Redis fetch the ticket once, and again only when it
// nears its expiry.
func TestTicketSharedByReplicas(t *testing.T) {
	p := newPlatform(t)
	r1, r2 := p.replica(t, Config{}), p.replica(t, Config{})
	sign := func(rp *replica) {
		t.Helper()
		a := rp.do(t, http.MethodGet, "/app/api/jssdk?url="+url.QueryEscape(rp.srv.URL+"/app/"), nil, nil)
		if a.status != http.StatusOK {
			t.Fatalf("jssdk: %d %s", a.status, a.raw)
		}
	}
	for range 3 {
		sign(r1)
		sign(r2)
	}
	if n := p.sim.TicketFetches(); n != 1 {
		t.Fatalf("ticket fetched %d times by two replicas, want 1", n)
	}
	p.clock.Advance(2*time.Hour - ticketMargin + time.Second)
	sign(r2)
	sign(r1)
	if n := p.sim.TicketFetches(); n != 2 {
		t.Fatalf("after the cached ticket's life: fetched %d times, want 2", n)
	}
}
