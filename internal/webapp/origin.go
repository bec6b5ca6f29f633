package webapp

import (
	"net/http"
	"net/url"
)

// checkOrigin refuses a state-changing request sent by another site's page
// (403): its Origin names another host, or it is "null" (a sandboxed or
// opaque origin), or the browser says Sec-Fetch-Site: cross-site. Browsers
// send Origin with every POST, so a request without one comes from outside
// a browser, where no member's cookie rides along; it passes.
func (h *Handler) checkOrigin(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodGet || r.Method == http.MethodHead || r.Method == http.MethodOptions {
			next.ServeHTTP(w, r)
			return
		}
		if r.Header.Get("Sec-Fetch-Site") == "cross-site" {
			writeError(w, http.StatusForbidden, "cross-site request refused")
			return
		}
		if origin := r.Header.Get("Origin"); origin != "" {
			u, err := url.Parse(origin)
			if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || !h.ownHost(r, u.Host) {
				writeError(w, http.StatusForbidden, "cross-site request refused")
				return
			}
		}
		next.ServeHTTP(w, r)
	})
}
