package check

import (
	"fmt"
	"slices"

	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/promql/parser"
)

// promQL is the parser Prometheus itself uses, with its default options.
var promQL = parser.NewParser(parser.Options{})

// rateFuncs take a range of a counter; over a gauge they answer nonsense
// without any error, which is why the check refuses it.
var rateFuncs = map[string]bool{"rate": true, "irate": true, "increase": true}

// CheckExpr parses one PromQL expression and reports every problem with
// what it selects:
//   - a selector without a metric name, or naming a series botd does not
//     export (a typo, or a metric renamed in code, matches nothing: the
//     alert then never fires and nothing says so);
//   - a label used in a matcher, by/without or on/ignoring that none of the
//     expression's metrics has (nor Prometheus' target labels);
//   - rate(), irate() or increase() over a gauge.
func CheckExpr(expr string, cat Catalogue) []error {
	node, err := promQL.ParseExpr(expr)
	if err != nil {
		return []error{fmt.Errorf("parse %q: %w", expr, err)}
	}
	series := cat.series()
	var errs []error
	// Labels any metric in the expression has: grouping and matching
	// clauses may name any of them.
	known := map[string]bool{}
	for _, l := range targetLabels {
		known[l] = true
	}
	var groupings [][]string
	parser.Inspect(node, func(n parser.Node, _ []parser.Node) error {
		switch n := n.(type) {
		case *parser.VectorSelector:
			name := n.Name
			if name == "" {
				for _, m := range n.LabelMatchers {
					if m.Name == labels.MetricName && m.Type == labels.MatchEqual {
						name = m.Value
					}
				}
			}
			if name == "" {
				errs = append(errs, fmt.Errorf("%q: selector %s names no metric", expr, n))
				return nil
			}
			fam, ok := series[name]
			if !ok {
				errs = append(errs, fmt.Errorf("%q: unknown metric %s: botd does not export it", expr, name))
				return nil
			}
			own := map[string]bool{}
			for _, l := range fam.Labels {
				// A label of botd's own that Prometheus attaches to the
				// target too (botd_jobs_total's "job") is stored as
				// exported_<label>; the plain name then means the target's.
				if slices.Contains(targetLabels, l) {
					l = "exported_" + l
				}
				own[l] = true
				known[l] = true
			}
			if fam.Type == Histogram && name == fam.Name+"_bucket" {
				own["le"], known["le"] = true, true
			}
			if fam.Type == Summary && name == fam.Name {
				own["quantile"], known["quantile"] = true, true
			}
			for _, m := range n.LabelMatchers {
				if m.Name == labels.MetricName || own[m.Name] || slices.Contains(targetLabels, m.Name) {
					continue
				}
				errs = append(errs, fmt.Errorf("%q: %s has no label %q (it has %v)", expr, name, m.Name, fam.Labels))
			}
		case *parser.AggregateExpr:
			groupings = append(groupings, n.Grouping)
		case *parser.BinaryExpr:
			if n.VectorMatching != nil {
				groupings = append(groupings, n.VectorMatching.MatchingLabels, n.VectorMatching.Include)
			}
		case *parser.Call:
			if !rateFuncs[n.Func.Name] || len(n.Args) == 0 {
				return nil
			}
			ms, ok := n.Args[0].(*parser.MatrixSelector)
			if !ok {
				return nil
			}
			vs, ok := ms.VectorSelector.(*parser.VectorSelector)
			if !ok {
				return nil
			}
			if fam, ok := series[vs.Name]; ok && fam.Type == Gauge {
				errs = append(errs, fmt.Errorf("%q: %s() of %s, a gauge: use it directly, or delta()/changes()", expr, n.Func.Name, vs.Name))
			}
		}
		return nil
	})
	for _, g := range groupings {
		for _, l := range g {
			if !known[l] {
				errs = append(errs, fmt.Errorf("%q: groups or matches by label %q, which none of its metrics has", expr, l))
			}
		}
	}
	return errs
}
