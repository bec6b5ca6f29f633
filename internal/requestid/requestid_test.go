package requestid

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/go-chi/chi/v5/middleware"
)

func TestMiddleware(t *testing.T) {
	tests := []struct {
		name string
		in   string // X-Request-Id sent; "" sends none
		keep bool   // the incoming id is used as is
	}{
		{"none", "", false},
		{"uuid", "3f2b8c1e-4d5a-4e6f-8a9b-0c1d2e3f4a5b", true},
		{"platform style", "20240101120000ABCDEF.1_x", true},
		{"64 characters", strings.Repeat("a", MaxLen), true},
		{"65 characters", strings.Repeat("a", MaxLen+1), false},
		{"64 KiB", strings.Repeat("x", 64<<10), false},
		{"space", "a b", false},
		{"quote", `a"b`, false},
		{"log field lookalike", "x level=error msg=forged", false},
		{"non-ASCII", "id-é", false},
		{"tab", "a\tb", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got string
			h := Middleware(http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) {
				got = middleware.GetReqID(r.Context())
			}))
			req := httptest.NewRequest(http.MethodPost, "/webhook/event", nil)
			if tt.in != "" {
				req.Header.Set("X-Request-Id", tt.in)
			}
			h.ServeHTTP(httptest.NewRecorder(), req)
			if tt.keep && got != tt.in {
				t.Errorf("id = %q, want the incoming %q", got, tt.in)
			}
			if !tt.keep && (got == tt.in || !Valid(got)) {
				t.Errorf("id = %.80q: want a fresh valid id", got)
			}
		})
	}
}

func TestNewIsValidAndFresh(t *testing.T) {
	seen := map[string]bool{}
	for range 100 {
		id := New()
		if !Valid(id) || seen[id] {
			t.Fatalf("New() = %q (valid %v, seen %v)", id, Valid(id), seen[id])
		}
		seen[id] = true
	}
}
