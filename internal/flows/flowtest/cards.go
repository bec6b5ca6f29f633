package flowtest

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// ButtonValue finds a button by name in a card and returns its callback
// value, as the platform would send it back.
func ButtonValue(t testing.TB, c any, name string) map[string]any {
	t.Helper()
	b, err := json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatal(err)
	}
	if val := findButton(v, name); val != nil {
		return val
	}
	t.Fatalf("no button %q in %s", name, b)
	return nil
}

func findButton(v any, name string) map[string]any {
	switch v := v.(type) {
	case map[string]any:
		if v["tag"] == "button" && v["name"] == name {
			bs, _ := v["behaviors"].([]any)
			for _, b := range bs {
				if m, _ := b.(map[string]any); m["type"] == "callback" {
					val, _ := m["value"].(map[string]any)
					return val
				}
			}
		}
		for _, e := range v {
			if val := findButton(e, name); val != nil {
				return val
			}
		}
	case []any:
		for _, e := range v {
			if val := findButton(e, name); val != nil {
				return val
			}
		}
	}
	return nil
}

// CardText is a card as indented JSON, for Contains checks.
func CardText(t testing.TB, c any) string {
	t.Helper()
	return string(MarshalIndent(t, c))
}

// HasButton reports whether card c has a button (or any component) named
// name.
func HasButton(t testing.TB, c any, name string) bool {
	return strings.Contains(CardText(t, c), `"name": "`+name+`"`)
}

// MarshalIndent writes c as readable JSON: indented, and with <, > and &
// left as they are (the platform reads both spellings).
func MarshalIndent(t testing.TB, c any) []byte {
	t.Helper()
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(c); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// CompareGolden compares got with the file at path; with -update it
// writes got there instead.
func CompareGolden(t testing.TB, path string, got []byte) {
	t.Helper()
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs (run with -update to accept):\n--- got\n%s\n--- want\n%s", path, got, want)
	}
}

// CheckGoldens fails unless every testdata/*.golden of the calling package
// parses as card JSON 2.0, so a hand edit cannot break one silently.
func CheckGoldens(t testing.TB) {
	t.Helper()
	files, err := filepath.Glob("testdata/*.golden")
	if err != nil || len(files) == 0 {
		t.Fatalf("no goldens: %v", err)
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var c struct {
			Schema string `json:"schema"`
		}
		if err := json.Unmarshal(b, &c); err != nil || c.Schema != "2.0" {
			t.Errorf("%s: schema %q, %v", f, c.Schema, err)
		}
	}
}
