package flows_test

import (
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

const module = "github.com/botd/botd/internal/"

// The plug-in rule, checked on the source: the engine (this package)
// imports no flow, and no flow (nor the registry, nor flowtest) imports
// an adapter. Flows reach the world through the Host only.
func TestImportRules(t *testing.T) {
	adapters := []string{"state", "jobs", "ephemeral", "webhook", "app", "schedule", "ratelimit", "feishusim", "playground"}
	dirs, err := os.ReadDir(".")
	if err != nil {
		t.Fatal(err)
	}
	for _, imp := range imports(t, ".") {
		if strings.HasPrefix(imp, module+"flows/") {
			t.Errorf("the engine imports the flow package %s", imp)
		}
	}
	n := 0
	for _, d := range dirs {
		if !d.IsDir() || d.Name() == "testdata" {
			continue
		}
		n++
		for _, imp := range imports(t, d.Name()) {
			for _, a := range adapters {
				if imp == module+a || strings.HasPrefix(imp, module+a+"/") {
					t.Errorf("internal/flows/%s imports the adapter %s", d.Name(), imp)
				}
			}
		}
	}
	if n < 4 {
		t.Errorf("found %d flow packages; the layout moved", n)
	}
}

// imports lists what the non-test Go files of dir import.
func imports(t *testing.T, dir string) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "*.go"))
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		af, err := parser.ParseFile(token.NewFileSet(), f, nil, parser.ImportsOnly)
		if err != nil {
			t.Fatal(err)
		}
		for _, imp := range af.Imports {
			p, _ := strconv.Unquote(imp.Path.Value)
			out = append(out, p)
		}
	}
	return out
}
