package check

import (
	"fmt"
	"io"
	"log/slog"
	"slices"
	"time"

	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/model/rulefmt"
)

// severities are the values an alert's severity label may take.
var severities = []string{"critical", "warning", "info"}

// CheckRules parses a Prometheus rule file with Prometheus' own parser,
// unknown fields refused (so a misspelt "for" or "expr" is an error, not a
// rule that silently never waits or never fires), and checks each rule:
// every expression with CheckExpr; every alert with a severity label, a
// summary and a description, a "for" of at least a minute (one bad scrape
// must not page), and a name used once. It returns the alerts' names.
func CheckRules(data []byte, cat Catalogue) ([]string, []error) {
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	groups, errs := rulefmt.Parse(data, false, model.UTF8Validation, promQL, logger)
	if len(errs) > 0 {
		return nil, errs
	}
	if len(groups.Groups) == 0 {
		return nil, []error{fmt.Errorf("no rule groups")}
	}
	var alerts []string
	for _, g := range groups.Groups {
		for _, r := range g.Rules {
			name := r.Alert
			if name == "" {
				name = r.Record
			}
			for _, err := range CheckExpr(r.Expr, cat) {
				errs = append(errs, fmt.Errorf("group %s, rule %s: %w", g.Name, name, err))
			}
			if r.Alert == "" {
				continue
			}
			if slices.Contains(alerts, r.Alert) {
				errs = append(errs, fmt.Errorf("alert %s is defined twice", r.Alert))
			}
			alerts = append(alerts, r.Alert)
			if !slices.Contains(severities, r.Labels["severity"]) {
				errs = append(errs, fmt.Errorf("alert %s: severity label %q is not one of %v", r.Alert, r.Labels["severity"], severities))
			}
			for _, a := range []string{"summary", "description"} {
				if r.Annotations[a] == "" {
					errs = append(errs, fmt.Errorf("alert %s: no %s annotation", r.Alert, a))
				}
			}
			if time.Duration(r.For) < time.Minute {
				errs = append(errs, fmt.Errorf("alert %s: for: %v is under a minute", r.Alert, r.For))
			}
		}
	}
	return alerts, errs
}
