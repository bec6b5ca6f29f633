package check

import (
	"errors"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io"
	"io/fs"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// Type is a metric family's type, as in the exposition format.
type Type string

// The metric types botd's collectors produce.
const (
	Counter   Type = "counter"
	Gauge     Type = "gauge"
	Histogram Type = "histogram"
	Summary   Type = "summary"
	Untyped   Type = "untyped"
)

// Family is one metric family botd exports.
type Family struct {
	Name   string
	Type   Type
	Labels []string // the family's own labels (le and quantile excluded)
	Source string   // where it was found: file:line, "scrape" or "announced"
}

// Catalogue is every metric family botd exports, and so every series name
// an alert rule or a dashboard may select.
type Catalogue struct {
	Families map[string]Family
}

// announced are metrics whose names and labels were fixed in issue 12
// before the code exporting them landed: the long-connection mode
// (BOTD_EVENT_MODE=websocket) is built at the same time as these artefacts.
// They are accepted as if declared. Once internal/** declares them the
// source scan finds them too and these entries are redundant (the test
// logs so); nothing else is ever accepted without being declared.
var announced = []Family{
	// 1 while this replica's long connection is up, 0 otherwise.
	{Name: "botd_longconn_connected", Type: Gauge, Source: "announced (issue 12)"},
	// Reconnects of the long connection, by why the last one ended.
	{Name: "botd_longconn_reconnects_total", Type: Counter, Labels: []string{"reason"}, Source: "announced (issue 12)"},
}

// Announced returns a copy of the announced families.
func Announced() []Family { return slices.Clone(announced) }

// targetLabels are attached by Prometheus to every scraped series, not by
// botd: job and instance always, the rest by Kubernetes service discovery
// through a ServiceMonitor.
var targetLabels = []string{"job", "instance", "namespace", "pod", "container", "service", "endpoint"}

// syntheticSeries are made by Prometheus itself for every target, not by
// botd; "up" is how an alert tells that botd is down.
var syntheticSeries = map[string]Family{
	"up": {Name: "up", Type: Gauge, Source: "prometheus"},
}

// constructors maps client_golang's constructors to the type they make and
// whether their second argument is the list of label names.
var constructors = map[string]struct {
	typ Type
	vec bool
}{
	"NewCounter": {Counter, false}, "NewCounterVec": {Counter, true}, "NewCounterFunc": {Counter, false},
	"NewGauge": {Gauge, false}, "NewGaugeVec": {Gauge, true}, "NewGaugeFunc": {Gauge, false},
	"NewHistogram": {Histogram, false}, "NewHistogramVec": {Histogram, true},
	"NewSummary": {Summary, false}, "NewSummaryVec": {Summary, true},
	"NewUntypedFunc": {Untyped, false},
}

// DeclaredFamilies reads every metric family botd's Go sources construct
// (prometheus.NewCounterVec(prometheus.CounterOpts{Name: ...}, ...) and the
// promauto equivalents) under root's cmd/ and internal/. Tests are skipped.
//
// Why the sources and not only a scrape: client_golang exports a vector
// (…Vec) only once a label set has been observed, so a freshly started
// botd shows almost none of its own metrics. The sources name them all,
// with their types and labels. A scrape (ScrapeFamilies) still supplies
// the runtime collectors' families (go_*, process_*) and cross-checks this
// reader. A constructor whose name or labels are not string literals is
// reported as an error rather than guessed at.
func DeclaredFamilies(root string) (map[string]Family, error) {
	out := map[string]Family{}
	var problems []error
	fset := token.NewFileSet()
	for _, dir := range []string{"cmd", "internal"} {
		err := filepath.WalkDir(filepath.Join(root, dir), func(path string, d fs.DirEntry, err error) error {
			if errors.Is(err, fs.ErrNotExist) && path == filepath.Join(root, dir) {
				return filepath.SkipDir
			}
			if err != nil {
				return err
			}
			if d.IsDir() {
				if d.Name() == "testdata" {
					return filepath.SkipDir
				}
				return nil
			}
			if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
				return nil
			}
			f, err := parser.ParseFile(fset, path, nil, parser.SkipObjectResolution)
			if err != nil {
				return err
			}
			fams, errs := familiesInFile(fset, root, f)
			problems = append(problems, errs...)
			for _, fam := range fams {
				if prev, ok := out[fam.Name]; ok && prev.Type != fam.Type {
					problems = append(problems, fmt.Errorf("metric %s declared as %s at %s and as %s at %s", fam.Name, prev.Type, prev.Source, fam.Type, fam.Source))
				}
				out[fam.Name] = fam
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	return out, joinErrs(problems)
}

func familiesInFile(fset *token.FileSet, root string, f *ast.File) ([]Family, []error) {
	// The local names client_golang's packages are imported under.
	pkgs := map[string]bool{}
	for _, imp := range f.Imports {
		p, _ := strconv.Unquote(imp.Path.Value)
		if p != "github.com/prometheus/client_golang/prometheus" && p != "github.com/prometheus/client_golang/prometheus/promauto" {
			continue
		}
		name := filepath.Base(p)
		if imp.Name != nil {
			name = imp.Name.Name
		}
		pkgs[name] = true
	}
	if len(pkgs) == 0 {
		return nil, nil
	}
	var fams []Family
	var errs []error
	ast.Inspect(f, func(n ast.Node) bool {
		call, ok := n.(*ast.CallExpr)
		if !ok {
			return true
		}
		sel, ok := call.Fun.(*ast.SelectorExpr)
		if !ok {
			return true
		}
		pkg, ok := sel.X.(*ast.Ident)
		if !ok || !pkgs[pkg.Name] {
			return true
		}
		c, ok := constructors[sel.Sel.Name]
		if !ok {
			return true
		}
		pos := fset.Position(call.Pos())
		rel, _ := filepath.Rel(root, pos.Filename)
		where := fmt.Sprintf("%s:%d", rel, pos.Line)
		if len(call.Args) == 0 {
			return true
		}
		lit, ok := call.Args[0].(*ast.CompositeLit)
		if !ok {
			errs = append(errs, fmt.Errorf("%s: %s.%s's options are not a literal; the metric checker cannot read its name", where, pkg.Name, sel.Sel.Name))
			return true
		}
		parts := map[string]string{}
		for _, el := range lit.Elts {
			kv, ok := el.(*ast.KeyValueExpr)
			if !ok {
				continue
			}
			key, ok := kv.Key.(*ast.Ident)
			if !ok || (key.Name != "Namespace" && key.Name != "Subsystem" && key.Name != "Name") {
				continue
			}
			s, ok := stringLit(kv.Value)
			if !ok {
				errs = append(errs, fmt.Errorf("%s: %s is not a string literal; the metric checker cannot read it", where, key.Name))
				continue
			}
			parts[key.Name] = s
		}
		if parts["Name"] == "" {
			errs = append(errs, fmt.Errorf("%s: %s.%s without a Name", where, pkg.Name, sel.Sel.Name))
			return true
		}
		fam := Family{Name: fqName(parts["Namespace"], parts["Subsystem"], parts["Name"]), Type: c.typ, Source: where}
		if c.vec {
			if len(call.Args) < 2 {
				errs = append(errs, fmt.Errorf("%s: %s without label names", where, sel.Sel.Name))
				return true
			}
			labels, ok := stringSlice(call.Args[1])
			if !ok {
				errs = append(errs, fmt.Errorf("%s: %s's label names are not a []string literal; the metric checker cannot read them", where, sel.Sel.Name))
				return true
			}
			fam.Labels = labels
		}
		fams = append(fams, fam)
		return true
	})
	return fams, errs
}

// fqName is prometheus.BuildFQName.
func fqName(namespace, subsystem, name string) string {
	var parts []string
	for _, p := range []string{namespace, subsystem, name} {
		if p != "" {
			parts = append(parts, p)
		}
	}
	return strings.Join(parts, "_")
}

func stringLit(e ast.Expr) (string, bool) {
	lit, ok := e.(*ast.BasicLit)
	if !ok || lit.Kind != token.STRING {
		return "", false
	}
	s, err := strconv.Unquote(lit.Value)
	return s, err == nil
}

func stringSlice(e ast.Expr) ([]string, bool) {
	lit, ok := e.(*ast.CompositeLit)
	if !ok {
		return nil, false
	}
	var out []string
	for _, el := range lit.Elts {
		s, ok := stringLit(el)
		if !ok {
			return nil, false
		}
		out = append(out, s)
	}
	return out, true
}

// ScrapeFamilies reads a /metrics answer in the text exposition format.
func ScrapeFamilies(body io.Reader) (map[string]Family, error) {
	p := expfmt.NewTextParser(model.UTF8Validation)
	mfs, err := p.TextToMetricFamilies(body)
	if err != nil {
		return nil, fmt.Errorf("parse /metrics: %w", err)
	}
	out := map[string]Family{}
	for name, mf := range mfs {
		labels := map[string]bool{}
		for _, m := range mf.GetMetric() {
			for _, lp := range m.GetLabel() {
				labels[lp.GetName()] = true
			}
		}
		fam := Family{Name: name, Type: typeOf(mf.GetType()), Source: "scrape"}
		for l := range labels {
			fam.Labels = append(fam.Labels, l)
		}
		slices.Sort(fam.Labels)
		out[name] = fam
	}
	return out, nil
}

func typeOf(t dto.MetricType) Type {
	switch t {
	case dto.MetricType_COUNTER:
		return Counter
	case dto.MetricType_GAUGE:
		return Gauge
	case dto.MetricType_HISTOGRAM, dto.MetricType_GAUGE_HISTOGRAM:
		return Histogram
	case dto.MetricType_SUMMARY:
		return Summary
	default:
		return Untyped
	}
}

// NewCatalogue joins the families botd's sources declare, what a scrape of
// the running binary showed, and the announced families. Every botd_
// family in the scrape must be declared with the same type and labels:
// otherwise the source reader missed something, and the catalogue would be
// wrong in a way no rule check could notice.
func NewCatalogue(declared, scraped map[string]Family) (Catalogue, error) {
	cat := Catalogue{Families: map[string]Family{}}
	var problems []error
	for name, fam := range scraped {
		if strings.HasPrefix(name, "botd_") {
			d, ok := declared[name]
			switch {
			case !ok:
				problems = append(problems, fmt.Errorf("the scrape shows %s, which the source reader did not find: teach DeclaredFamilies how it is constructed", name))
			case d.Type != fam.Type:
				problems = append(problems, fmt.Errorf("%s is a %s in the scrape but a %s at %s", name, fam.Type, d.Type, d.Source))
			default:
				for _, l := range fam.Labels {
					if !slices.Contains(d.Labels, l) && l != "le" && l != "quantile" {
						problems = append(problems, fmt.Errorf("%s has label %q in the scrape, not declared at %s", name, l, d.Source))
					}
				}
			}
		}
		cat.Families[name] = fam
	}
	for name, fam := range declared {
		cat.Families[name] = fam // the declared labels are the complete list
	}
	for _, fam := range announced {
		if _, ok := cat.Families[fam.Name]; !ok {
			cat.Families[fam.Name] = fam
		}
	}
	return cat, joinErrs(problems)
}

// series maps every series name a family produces to the family: a
// histogram's _bucket, _sum and _count, a summary's quantiles, _sum and
// _count.
func (c Catalogue) series() map[string]Family {
	out := map[string]Family{}
	for name, fam := range syntheticSeries {
		out[name] = fam
	}
	for name, fam := range c.Families {
		switch fam.Type {
		case Histogram:
			out[name+"_bucket"] = fam
			out[name+"_sum"] = fam
			out[name+"_count"] = fam
		case Summary:
			out[name] = fam
			out[name+"_sum"] = fam
			out[name+"_count"] = fam
		default:
			out[name] = fam
		}
	}
	return out
}
