package playground

import (
	"net"
	"net/http"
	"net/url"
	"strings"
)

// guardSameOrigin refuses API requests that another site or another host
// name sent. The playground signs events as any member it plays, so its API
// must answer only its own page:
//
//   - Host must name this machine's loopback (localhost, 127.0.0.0/8, ::1),
//     unless the playground was deliberately exposed: a DNS-rebinding page
//     reaches 127.0.0.1 under its own name, and this is what tells it apart;
//   - Origin, when the browser sends one, must be this very server
//     (scheme, host and port of the Host header): a cross-site POST from
//     another page (CSRF) carries that page's Origin;
//   - Sec-Fetch-Site "cross-site" is refused for the same reason, for
//     browsers that omit Origin on some requests.
//
// Requests without Origin (curl, the Go tests) pass when their Host does.
func guardSameOrigin(exposed bool) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if !exposed && !loopbackHost(r.Host) {
				http.Error(w, "playground: requests must be addressed to localhost (Host header)", http.StatusForbidden)
				return
			}
			if o := r.Header.Get("Origin"); o != "" && !sameOrigin(o, r) {
				http.Error(w, "playground: cross-origin request refused", http.StatusForbidden)
				return
			}
			if r.Header.Get("Sec-Fetch-Site") == "cross-site" {
				http.Error(w, "playground: cross-site request refused", http.StatusForbidden)
				return
			}
			next.ServeHTTP(w, r)
		})
	}
}

// loopbackHost reports whether a Host header names the loopback interface.
func loopbackHost(hostport string) bool {
	host := hostport
	if h, _, err := net.SplitHostPort(hostport); err == nil {
		host = h
	}
	host = strings.TrimSuffix(strings.TrimPrefix(host, "["), "]")
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// sameOrigin reports whether origin is the server r was addressed to.
func sameOrigin(origin string, r *http.Request) bool {
	u, err := url.Parse(origin)
	if err != nil || u.Host == "" {
		return false // "null" (sandboxed frames, file://) and garbage
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return u.Scheme == scheme && strings.EqualFold(u.Host, r.Host)
}

// IsLoopbackAddr reports whether a listen address ("127.0.0.1:8080",
// "[::1]:80", "localhost:8080") stays on this machine. An empty host (":8080")
// listens everywhere and is not loopback.
func IsLoopbackAddr(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil || host == "" {
		return false
	}
	return loopbackHost(host)
}
