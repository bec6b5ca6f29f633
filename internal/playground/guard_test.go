package playground

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestGuardSameOrigin runs the guard over real HTTP with the Host, Origin
// and Sec-Fetch-Site a browser would send in each case.
func TestGuardSameOrigin(t *testing.T) {
	ok := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusNoContent) })
	local := httptest.NewServer(guardSameOrigin(false)(ok))
	defer local.Close()
	exposed := httptest.NewServer(guardSameOrigin(true)(ok))
	defer exposed.Close()
	port := local.URL[strings.LastIndex(local.URL, ":")+1:]

	cases := []struct {
		name    string
		srv     *httptest.Server
		host    string // "" keeps the server's own 127.0.0.1:port
		headers map[string]string
		want    int
	}{
		{"own page, no Origin (curl, EventSource)", local, "", nil, http.StatusNoContent},
		{"own page with Origin", local, "", map[string]string{"Origin": local.URL}, http.StatusNoContent},
		{"localhost name", local, "localhost:" + port, map[string]string{"Origin": "http://localhost:" + port}, http.StatusNoContent},
		{"ipv6 loopback", local, "[::1]:" + port, nil, http.StatusNoContent},
		{"same-origin fetch metadata", local, "", map[string]string{"Sec-Fetch-Site": "same-origin"}, http.StatusNoContent},
		{"DNS rebinding: another name for 127.0.0.1", local, "evil.example:" + port, nil, http.StatusForbidden},
		{"DNS rebinding with its own origin", local, "evil.example:" + port, map[string]string{"Origin": "http://evil.example:" + port}, http.StatusForbidden},
		{"CSRF from another page", local, "", map[string]string{"Origin": "http://evil.example"}, http.StatusForbidden},
		{"another port on loopback", local, "", map[string]string{"Origin": "http://127.0.0.1:1"}, http.StatusForbidden},
		{"https origin for an http page", local, "", map[string]string{"Origin": "https://127.0.0.1:" + port}, http.StatusForbidden},
		{"opaque origin", local, "", map[string]string{"Origin": "null"}, http.StatusForbidden},
		{"cross-site without Origin", local, "", map[string]string{"Sec-Fetch-Site": "cross-site"}, http.StatusForbidden},
		{"exposed: any host name", exposed, "botd.lan:8080", map[string]string{"Origin": "http://botd.lan:8080"}, http.StatusNoContent},
		{"exposed: still no CSRF", exposed, "botd.lan:8080", map[string]string{"Origin": "http://evil.example"}, http.StatusForbidden},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			req, err := http.NewRequest(http.MethodPost, c.srv.URL+"/api/send", nil)
			if err != nil {
				t.Fatal(err)
			}
			if c.host != "" {
				req.Host = c.host
			}
			for k, v := range c.headers {
				req.Header.Set(k, v)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != c.want {
				t.Fatalf("got %d, want %d", resp.StatusCode, c.want)
			}
		})
	}
}

// TestCrossSiteSendChangesNothing: a page elsewhere that posts to the
// playground's API is refused, and no message reaches the chat.
func TestCrossSiteSendChangesNothing(t *testing.T) {
	_, srv := testPlayground(t)
	req, err := http.NewRequest(http.MethodPost, srv.URL+"/api/send",
		strings.NewReader(`{"member":"`+alice+`","text":"/todo forged"}`))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Origin", "http://evil.example")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Fatalf("cross-site POST /api/send: %d, want 403", resp.StatusCode)
	}
	var v View
	get(t, srv, "/api/state", &v)
	for chat, cols := range v.Chats {
		for member, items := range cols {
			if len(items) != 0 {
				t.Fatalf("%s sees %d items in %s after a refused request", member, len(items), chat)
			}
		}
	}
}

func TestIsLoopbackAddr(t *testing.T) {
	for addr, want := range map[string]bool{
		"127.0.0.1:8080": true, "127.1.2.3:80": true, "[::1]:8080": true, "localhost:8080": true,
		":8080": false, "0.0.0.0:8080": false, "[::]:8080": false, "10.0.0.5:8080": false, "botd.lan:8080": false,
		"garbage": false,
	} {
		if got := IsLoopbackAddr(addr); got != want {
			t.Errorf("IsLoopbackAddr(%q) = %v, want %v", addr, got, want)
		}
	}
}
