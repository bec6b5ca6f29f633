package playground

import (
	"encoding/json"
	"io/fs"
	"os"
	"os/exec"
	"testing"
)

func mustRead(t *testing.T, name string) []byte {
	t.Helper()
	b, err := fs.ReadFile(web, name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestShowcasesAreValidJSON(t *testing.T) {
	files, err := fs.Glob(web, "web/samples/*.json")
	if err != nil || len(files) == 0 {
		t.Fatalf("no showcase cards: %v", err)
	}
	for _, f := range files {
		if !json.Valid(mustRead(t, f)) {
			t.Errorf("%s is not valid JSON", f)
		}
	}
}

// TestRenderer runs the renderer's own tests (jstest/, node's built-in test
// runner) when node is installed, so `go test ./...` covers them too.
func TestRenderer(t *testing.T) {
	node, err := exec.LookPath("node")
	if err != nil {
		t.Skip("node is not on PATH: the renderer's tests (node --test internal/playground/jstest/) are skipped")
	}
	cmd := exec.Command(node, "--test", "jstest/")
	cmd.Env = append(os.Environ(), "NO_COLOR=1")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("node --test jstest/: %v\n%s", err, out)
	}
	t.Logf("node --test jstest/ passed")
}
