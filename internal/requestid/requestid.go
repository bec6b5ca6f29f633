// Package requestid names every HTTP request for the logs. It replaces chi's
// middleware.RequestID, which copies whatever a client sends in X-Request-Id
// into the request's context, and from there into every log line of the
// request, whatever its length or content (up to the server's header limit,
// about 1 MB).
//
// The id is stored under chi's middleware.RequestIDKey, so
// middleware.GetReqID, and everything that already reads it, keeps working.
package requestid

import (
	"context"
	"crypto/rand"
	"net/http"

	"github.com/go-chi/chi/v5/middleware"
)

// MaxLen bounds an id taken from a request. Trace ids, UUIDs and the
// platform's request ids all fit.
const MaxLen = 64

// Valid reports whether s may name a request in logs as it is: 1 to MaxLen
// characters of [A-Za-z0-9._-], nothing that could be mistaken for another
// log field or grow a log line.
func Valid(s string) bool {
	if s == "" || len(s) > MaxLen {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '.' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

// New returns a fresh id: 26 characters of base32, 130 random bits, so ids
// from several replicas never collide.
func New() string { return rand.Text() }

// Middleware keeps the incoming X-Request-Id when it is Valid (a proxy or a
// caller may trace the request by it) and otherwise replaces it with New, so
// that a request never chooses more than MaxLen safe characters of its logs.
func Middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := r.Header.Get(middleware.RequestIDHeader)
		if !Valid(id) {
			id = New()
		}
		next.ServeHTTP(w, r.WithContext(WithID(r.Context(), id)))
	})
}

// WithID returns ctx carrying id where middleware.GetReqID finds it.
func WithID(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, middleware.RequestIDKey, id)
}
