package playground

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httputil"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"
	"go.uber.org/zap"
)

// The web app "inside the client". botd's own page (/app/, internal/webapp)
// is served to the playground's browser through a small reverse proxy at
// /as/{member}/app/, byte for byte, with one script tag put in front of
// it: web/clientsim.js, the simulated Feishu/Lark client (window.h5sdk and
// window.tt). Only the client is simulated; the page, its API and its
// session are botd's production code, reached over HTTP.
//
// Why a proxy rather than an iframe of botd's own address:
//   - the simulated client has to be on the page's window before the page's
//     script runs, as the real client's JSSDK is; adding a script tag on the
//     way is the one way to do that without a playground-only page;
//   - the page is then same-origin with the playground, so the simulated
//     client's calls to /api/client/... pass the playground's same-origin
//     guard like the rest of its page;
//   - each member gets their own path, and the proxy scopes botd's session
//     cookie (Path=/app/) to it, so several members can be logged in at once
//     in one browser, as on their own phones.
//
// botd sees the playground's Host (the proxy keeps it), so the page URL it
// signs and the Origin it checks are the page's own, as behind any proxy.

// webAppPrefix is where a member's web app is served: /as/{member}/app/.
const webAppPrefix = "/as/"

// maxPageBytes bounds an HTML page the proxy rewrites.
const maxPageBytes = 1 << 20

// simScript is the tag put in front of the page; data-member tells the
// simulated client whose client it is.
func simScript(member string) string {
	return `<script src="/static/clientsim.js" data-member="` + member + `"></script>`
}

type proxyMemberKey struct{}

// newWebAppProxy returns the proxy to botd at botdURL.
func (s *Server) newWebAppProxy(botdURL string) (http.Handler, error) {
	target, err := url.Parse(botdURL)
	if err != nil || target.Scheme == "" || target.Host == "" {
		return nil, fmt.Errorf("playground: botd URL %q: %v", botdURL, err)
	}
	p := &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			member, _ := pr.In.Context().Value(proxyMemberKey{}).(string)
			rest := strings.TrimPrefix(pr.In.URL.Path, webAppPrefix+member)
			pr.SetURL(target)
			pr.Out.URL.Path, pr.Out.URL.RawPath = rest, ""
			pr.Out.Host = pr.In.Host
			// Whole pages only: the proxy rewrites HTML, so no compressed
			// bodies and no 304s without one.
			pr.Out.Header.Del("Accept-Encoding")
			pr.Out.Header.Del("If-None-Match")
			pr.Out.Header.Del("If-Modified-Since")
		},
		ModifyResponse: func(resp *http.Response) error {
			member, _ := resp.Request.Context().Value(proxyMemberKey{}).(string)
			return rewriteWebAppResponse(resp, member)
		},
		Transport: &http.Transport{ResponseHeaderTimeout: 15 * time.Second, MaxIdleConnsPerHost: 8},
		ErrorHandler: func(w http.ResponseWriter, _ *http.Request, err error) {
			s.log.Warn("web app proxy: botd did not answer", zap.Error(err))
			writeError(w, http.StatusBadGateway, "botd did not answer: %v", err)
		},
	}
	return p, nil
}

// handleWebApp serves /as/{member}/app/...: one member's web app.
func (s *Server) handleWebApp(w http.ResponseWriter, r *http.Request) {
	if s.webApp == nil {
		writeError(w, http.StatusNotFound, "the web app is not available in this playground")
		return
	}
	member := chi.URLParam(r, "member")
	if _, ok := s.world.Member(member); !ok {
		writeError(w, http.StatusNotFound, "unknown member %q", member)
		return
	}
	if r.URL.Path == webAppPrefix+member+"/app" {
		http.Redirect(w, r, webAppPrefix+member+"/app/", http.StatusMovedPermanently)
		return
	}
	s.webApp.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), proxyMemberKey{}, member)))
}

// rewriteWebAppResponse scopes botd's cookies to the member's path and puts
// the simulated client in front of an HTML page.
func rewriteWebAppResponse(resp *http.Response, member string) error {
	base := webAppPrefix + member
	if cookies := resp.Header.Values("Set-Cookie"); len(cookies) > 0 {
		resp.Header.Del("Set-Cookie")
		for _, line := range cookies {
			c, err := http.ParseSetCookie(line)
			if err != nil {
				continue // a cookie the browser would drop too
			}
			path := c.Path
			if path == "" || !strings.HasPrefix(path, "/") {
				path = "/app/"
			}
			c.Path = base + path
			resp.Header.Add("Set-Cookie", c.String())
		}
	}
	// The playground shows the page in a frame, as the client shows it in
	// its webview; a frame ban meant for other sites does not apply.
	resp.Header.Del("X-Frame-Options")
	if location := resp.Header.Get("Location"); strings.HasPrefix(location, "/app") {
		resp.Header.Set("Location", base+location)
	}
	if !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") || resp.StatusCode != http.StatusOK {
		return nil
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxPageBytes+1))
	_ = resp.Body.Close()
	if err != nil {
		return fmt.Errorf("read the page: %w", err)
	}
	if len(body) > maxPageBytes {
		return errors.New("the page is over 1 MiB")
	}
	body = injectScript(body, simScript(member))
	resp.Body = io.NopCloser(bytes.NewReader(body))
	resp.ContentLength = int64(len(body))
	resp.Header.Set("Content-Length", strconv.Itoa(len(body)))
	resp.Header.Del("ETag")
	resp.Header.Set("Cache-Control", "no-cache")
	return nil
}

// injectScript puts tag right after the page's <head ...> (so it runs
// before any script of the page's), or first when there is no head.
func injectScript(page []byte, tag string) []byte {
	i := bytes.Index(bytes.ToLower(page), []byte("<head"))
	if i < 0 {
		return append([]byte(tag), page...)
	}
	end := bytes.IndexByte(page[i:], '>')
	if end < 0 {
		return append([]byte(tag), page...)
	}
	at := i + end + 1
	out := make([]byte, 0, len(page)+len(tag)+1)
	out = append(out, page[:at]...)
	out = append(out, '\n')
	out = append(out, tag...)
	return append(out, page[at:]...)
}
