package main

import (
	"bytes"
	"strings"
	"testing"
)

// -mode takes webhook or websocket; anything else is bad usage, refused
// before anything is built or started.
func TestModeFlag(t *testing.T) {
	var out, errOut bytes.Buffer
	if code := run([]string{"-mode", "websockets", "pacing"}, &out, &errOut); code != 2 {
		t.Fatalf("exit %d, want 2", code)
	}
	if !strings.Contains(errOut.String(), "-mode") {
		t.Fatalf("the refusal does not name the flag: %s", errOut.String())
	}
	if !(env{mode: modeWebSocket}).longConn() || (env{mode: modeWebhook}).longConn() {
		t.Fatal("longConn does not follow the mode")
	}
}

// costs refuses a cluster or no Redis before anything is built or started.
func TestCostsNeedsOneServer(t *testing.T) {
	for _, args := range [][]string{{"costs"}, {"-redis", "redis+cluster://127.0.0.1:7000,127.0.0.1:7001", "costs"}} {
		var out, errOut bytes.Buffer
		if code := run(args, &out, &errOut); code != 2 {
			t.Fatalf("%v: exit %d, want 2", args, code)
		}
		if !strings.Contains(errOut.String(), "costs needs") {
			t.Fatalf("%v: %s", args, errOut.String())
		}
	}
}
