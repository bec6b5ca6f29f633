package check

import (
	"fmt"
	"strings"
	"testing"
)

// TestCaddyfile: the proxy's config adapts and validates with Caddy's own
// code, and sends to the compose service botd on the image's port.
func TestCaddyfile(t *testing.T) {
	t.Setenv("BOTD_PUBLIC_HOST", "bot.example.com")
	data := string(readRepoFile(t, "deploy/caddy/Caddyfile"))
	if err := CheckCaddyfile([]byte(data)); err != nil {
		t.Error(err)
	}
	for _, want := range []string{"name botd\n", fmt.Sprintf("port %d\n", image(t).img.Expose[0]), "path /webhook/event /webhook/card\n"} {
		if !strings.Contains(data, want) {
			t.Errorf("the Caddyfile lacks %q", strings.TrimSpace(want))
		}
	}
}

func TestCaddyfileBroken(t *testing.T) {
	t.Setenv("BOTD_PUBLIC_HOST", "bot.example.com")
	orig := string(readRepoFile(t, "deploy/caddy/Caddyfile"))
	for _, tc := range []struct {
		name, old, new, want string
	}{
		{"unknown policy", "lb_policy round_robin", "lb_policy round_robn", "round_robn"},
		{"unknown directive", "fail_duration 30s", "fail_durration 30s", "fail_durration"},
		{"bad duration", "refresh 10s", "refresh ten", "ten"},
		{"unknown global option", "\t# Let's Encrypt", "\tbogus_option on\n\t# Let's Encrypt", "bogus_option"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := CheckCaddyfile([]byte(mustReplace(t, orig, tc.old, tc.new)))
			if err == nil || !strings.Contains(strings.ToLower(err.Error()), strings.ToLower(tc.want)) {
				t.Errorf("CheckCaddyfile: %v, want an error mentioning %q", err, tc.want)
			}
		})
	}
}
