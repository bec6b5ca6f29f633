package main

import (
	"bytes"
	"strings"
	"testing"
)

// TestPlaygroundRefusesTheNetwork: the playground acts as any member, so an
// address beyond loopback is refused before anything starts, unless
// -playground-expose says the operator means it. (":8080" with no host is
// kept on loopback by loopbackAddr, so it is not refused.)
func TestPlaygroundRefusesTheNetwork(t *testing.T) {
	for _, addr := range []string{"0.0.0.0:0", "[::]:0", "192.0.2.1:0"} {
		t.Run(addr, func(t *testing.T) {
			t.Setenv("BOTD_ADDR", addr)
			var stdout, stderr bytes.Buffer
			if code := run([]string{"-playground"}, &stdout, &stderr); code != 2 {
				t.Fatalf("exit %d, want 2; stderr: %s", code, stderr.String())
			}
			if !strings.Contains(stderr.String(), "-playground-expose") {
				t.Fatalf("the refusal does not name the flag that overrides it: %s", stderr.String())
			}
			if stdout.Len() != 0 {
				t.Fatalf("something started: %s", stdout.String())
			}
		})
	}
}
