package playground

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"testing"
)

// browser is a cookie-keeping client that sends the Origin a same-origin
// page would.
type browser struct {
	t   *testing.T
	srv *httptest.Server
	c   *http.Client
}

func newBrowser(t *testing.T, srv *httptest.Server) *browser {
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return &browser{t: t, srv: srv, c: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}}}
}

func (b *browser) do(method, path string, body any, out any) (int, http.Header) {
	b.t.Helper()
	var rd io.Reader
	if body != nil {
		raw, err := json.Marshal(body)
		if err != nil {
			b.t.Fatal(err)
		}
		rd = bytes.NewReader(raw)
	}
	req, err := http.NewRequest(method, b.srv.URL+path, rd)
	if err != nil {
		b.t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if method != http.MethodGet {
		req.Header.Set("Origin", b.srv.URL)
	}
	resp, err := b.c.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if out != nil {
		if s, ok := out.(*string); ok {
			*s = string(raw)
		} else if err := json.Unmarshal(raw, out); err != nil {
			b.t.Fatalf("%s %s: %d, not JSON: %s", method, path, resp.StatusCode, raw)
		}
	}
	return resp.StatusCode, resp.Header
}

// The proxy serves botd's own page, unchanged but for the simulated client
// put first in its head, to each member under their own path.
func TestWebAppPageIsBotdsWithTheSimulatedClient(t *testing.T) {
	_, srv := testPlayground(t)
	b := newBrowser(t, srv)
	var page string
	if code, _ := b.do(http.MethodGet, "/as/"+alice+"/app/", nil, &page); code != http.StatusOK {
		t.Fatalf("GET the web app: %d %s", code, page)
	}
	tag := simScript(alice)
	want, err := os.ReadFile("../webapp/static/index.html")
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Replace(page, "\n"+tag, "", 1); got != string(want) {
		t.Errorf("the page is not botd's index.html plus one tag:\n%s", page)
	}
	head := strings.Index(page, "<head>")
	if head < 0 || !strings.HasPrefix(page[head+len("<head>"):], "\n"+tag) {
		t.Errorf("the simulated client is not the first thing in <head>:\n%s", page)
	}
	for _, path := range []string{"/as/" + alice + "/app/app.js", "/as/" + alice + "/app/sdk.js"} {
		var js string
		if code, _ := b.do(http.MethodGet, path, nil, &js); code != http.StatusOK || strings.Contains(js, "clientsim") {
			t.Errorf("%s: %d; a script other than the page is changed: %v", path, code, strings.Contains(js, "clientsim"))
		}
	}
	if code, h := b.do(http.MethodGet, "/as/"+alice+"/app", nil, nil); code != http.StatusMovedPermanently || h.Get("Location") != "/as/"+alice+"/app/" {
		t.Errorf("/app without its slash: %d %q", code, h.Get("Location"))
	}
	if code, _ := b.do(http.MethodGet, "/as/ou_nobody/app/", nil, nil); code != http.StatusNotFound {
		t.Errorf("an unknown member's web app: %d, want 404", code)
	}
	var js string
	if code, _ := b.do(http.MethodGet, "/static/clientsim.js", nil, &js); code != http.StatusOK || !strings.Contains(js, "window.h5sdk") {
		t.Errorf("the simulated client script: %d", code)
	}
}

type jssdkSig struct {
	AppID     string `json:"appId"`
	Timestamp int64  `json:"timestamp"`
	NonceStr  string `json:"nonceStr"`
	Signature string `json:"signature"`
}

// The whole login as the page does it, through the proxy: botd signs the
// page, the simulated client checks the signature against the simulator's
// ticket, issues a code, botd exchanges it for a session scoped to the
// member's path.
func TestWebAppLoginThroughTheSimulatedClient(t *testing.T) {
	_, srv := testPlayground(t)
	b := newBrowser(t, srv)
	base := "/as/" + alice + "/app/"
	pageURL := srv.URL + base + "?triggerCode=x"

	var sig jssdkSig
	if code, _ := b.do(http.MethodGet, base+"api/jssdk?url="+url.QueryEscape(pageURL), nil, &sig); code != http.StatusOK || sig.Signature == "" {
		t.Fatalf("jssdk: %d %+v", code, sig)
	}
	config := func(u, signature string) clientResult {
		var r clientResult
		b.do(http.MethodPost, "/api/client/config", configRequest{Member: alice, URL: u, AppID: sig.AppID,
			Timestamp: sig.Timestamp, NonceStr: sig.NonceStr, Signature: signature}, &r)
		return r
	}
	if r := config(pageURL+"#top", sig.Signature); !r.OK {
		t.Fatalf("config with botd's signature failed: %+v", r)
	}
	for name, r := range map[string]clientResult{
		"another page":      config(srv.URL+"/as/"+bob+"/app/", sig.Signature),
		"a wrong signature": config(pageURL, strings.Repeat("0", 40)),
	} {
		if r.OK || r.Res["errCode"] == nil || !strings.HasPrefix(r.Res["errMsg"].(string), "config:fail") {
			t.Errorf("%s: %+v, want a config failure", name, r)
		}
	}

	var access clientResult
	b.do(http.MethodPost, "/api/client/access", accessRequest{Member: alice, AppID: "cli_other", API: "requestAccess"}, &access)
	if access.OK {
		t.Errorf("a code for another app id: %+v", access)
	}
	b.do(http.MethodPost, "/api/client/access", accessRequest{Member: alice, AppID: sig.AppID, API: "requestAccess"}, &access)
	code, _ := access.Res["code"].(string)
	if !access.OK || code == "" {
		t.Fatalf("requestAccess: %+v", access)
	}
	var who map[string]string
	status, h := b.do(http.MethodPost, base+"api/session", map[string]string{"code": code}, &who)
	if status != http.StatusOK || who["open_id"] != alice {
		t.Fatalf("session: %d %v", status, who)
	}
	cookie := h.Get("Set-Cookie")
	if !strings.Contains(cookie, "Path="+base) || !strings.Contains(cookie, "HttpOnly") {
		t.Errorf("the session cookie is not scoped to Alice's path: %s", cookie)
	}
	if status, _ := b.do(http.MethodPost, base+"api/session", map[string]string{"code": code}, nil); status != http.StatusUnauthorized {
		t.Errorf("a used code: %d, want 401", status)
	}
	if status, _ := b.do(http.MethodGet, base+"api/items", nil, nil); status != http.StatusOK {
		t.Errorf("Alice's items with her session: %d", status)
	}
	if status, _ := b.do(http.MethodGet, "/as/"+bob+"/app/api/items", nil, nil); status != http.StatusUnauthorized {
		t.Errorf("Bob's web app with Alice's cookie: %d, want 401 (the cookie is Alice's path's)", status)
	}
}

// The simulated client's API is the playground's: another site cannot get
// a member's login code.
func TestClientAPIRefusesOtherSites(t *testing.T) {
	_, srv := testPlayground(t)
	req, err := http.NewRequest(http.MethodPost, srv.URL+"/api/client/access",
		strings.NewReader(`{"member":"`+alice+`","appId":"x","api":"requestAccess"}`))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Origin", "http://evil.example")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Fatalf("cross-site requestAccess: %d, want 403", resp.StatusCode)
	}
	req, _ = http.NewRequest(http.MethodGet, srv.URL+"/as/"+alice+"/app/", nil)
	req.Host = "evil.example:8080"
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Fatalf("the web app under another host name: %d, want 403", resp.StatusCode)
	}
}

func TestClientSettings(t *testing.T) {
	_, srv := testPlayground(t)
	b := newBrowser(t, srv)
	var st clientSettings
	b.do(http.MethodGet, "/api/client/settings?member="+bob, nil, &st)
	if st.Language != "en_US" || st.NextAnswer != 0 {
		t.Fatalf("defaults: %+v", st)
	}
	for _, bad := range []settingsRequest{
		{Member: bob, clientSettings: clientSettings{Language: "fr_FR"}},
		{Member: bob, clientSettings: clientSettings{Language: "en_US", NextAnswer: -11}},
		{Member: "ou_nobody", clientSettings: clientSettings{Language: "en_US"}},
	} {
		if code, _ := b.do(http.MethodPost, "/api/client/settings", bad, nil); code != http.StatusBadRequest {
			t.Errorf("%+v: %d, want 400", bad, code)
		}
	}
	if code, _ := b.do(http.MethodPost, "/api/client/settings", settingsRequest{Member: bob,
		clientSettings: clientSettings{Language: "zh_CN", NextAnswer: -8}}, nil); code != http.StatusOK {
		t.Fatalf("set: %d", code)
	}
	b.do(http.MethodGet, "/api/client/settings?member="+bob, nil, &st)
	if st.Language != "zh_CN" || st.NextAnswer != -8 {
		t.Fatalf("after set: %+v", st)
	}
}
