package check

import (
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
)

// dashboard holds what the check reads of a Grafana dashboard; the rest of
// the JSON is Grafana's business and is left alone.
type dashboard struct {
	Title      string  `json:"title"`
	UID        string  `json:"uid"`
	Panels     []panel `json:"panels"`
	Templating struct {
		List []struct {
			Name       string          `json:"name"`
			Type       string          `json:"type"`
			Query      json.RawMessage `json:"query"`
			Datasource *datasource     `json:"datasource"`
		} `json:"list"`
	} `json:"templating"`
}

type panel struct {
	ID         int         `json:"id"`
	Type       string      `json:"type"`
	Title      string      `json:"title"`
	Datasource *datasource `json:"datasource"`
	GridPos    struct {
		H, W, X, Y int
	} `json:"gridPos"`
	Targets []struct {
		RefID      string      `json:"refId"`
		Expr       string      `json:"expr"`
		Datasource *datasource `json:"datasource"`
	} `json:"targets"`
	Panels []panel `json:"panels"` // a collapsed row's panels
}

type datasource struct {
	Type string `json:"type"`
	UID  string `json:"uid"`
}

// grafanaVar matches $name, ${name} and ${name:format} in a query.
var grafanaVar = regexp.MustCompile(`\$\{([A-Za-z0-9_]+)(?::[a-z]+)?\}|\$([A-Za-z0-9_]+)`)

// builtinInterval are Grafana's own interval variables; any duration does
// for parsing.
var builtinInterval = map[string]string{"__rate_interval": "5m", "__interval": "1m", "__range": "1h"}

// labelValues matches a Prometheus data source's variable query
// label_values(selector, label).
var labelValues = regexp.MustCompile(`^\s*label_values\((.+),\s*([A-Za-z_][A-Za-z0-9_]*)\s*\)\s*$`)

// CheckDashboard parses a Grafana dashboard and checks each panel's
// queries the way CheckRules checks alerts, once Grafana's variables are
// substituted (a variable the dashboard does not define is an error), and
// that every panel queries the ${datasource} variable, has a unique id and
// a place on the 24-column grid.
func CheckDashboard(data []byte, cat Catalogue) []error {
	var d dashboard
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&d); err != nil {
		return []error{fmt.Errorf("parse dashboard: %w", err)}
	}
	var errs []error
	if d.Title == "" || d.UID == "" {
		errs = append(errs, fmt.Errorf("dashboard without a title or uid"))
	}
	vars := map[string]bool{}
	for _, v := range d.Templating.List {
		vars[v.Name] = true
	}
	if !vars["datasource"] {
		errs = append(errs, fmt.Errorf("no datasource variable: the dashboard would be tied to one Grafana's data source"))
	}
	substitute := func(expr string) (string, []error) {
		var errs []error
		out := grafanaVar.ReplaceAllStringFunc(expr, func(m string) string {
			sub := grafanaVar.FindStringSubmatch(m)
			name := sub[1] + sub[2]
			if d, ok := builtinInterval[name]; ok {
				return d
			}
			if !vars[name] {
				errs = append(errs, fmt.Errorf("%q uses $%s, which the dashboard does not define", expr, name))
			}
			return "x" // inside a label matcher's string: any value parses
		})
		return out, errs
	}
	for _, v := range d.Templating.List {
		if v.Type != "query" {
			continue
		}
		if v.Datasource == nil || v.Datasource.UID != "${datasource}" {
			errs = append(errs, fmt.Errorf("variable %s: datasource is not ${datasource}", v.Name))
		}
		var q struct {
			Query string `json:"query"`
		}
		if err := json.Unmarshal(v.Query, &q); err != nil {
			var s string
			if err2 := json.Unmarshal(v.Query, &s); err2 != nil {
				errs = append(errs, fmt.Errorf("variable %s: query is neither a string nor {query: ...}", v.Name))
				continue
			}
			q.Query = s
		}
		m := labelValues.FindStringSubmatch(q.Query)
		if m == nil {
			errs = append(errs, fmt.Errorf("variable %s: query %q is not label_values(selector, label)", v.Name, q.Query))
			continue
		}
		expr, subErrs := substitute(m[1])
		errs = append(errs, subErrs...)
		errs = append(errs, CheckExpr(expr, cat)...)
		// The label must be one the selector can have.
		errs = append(errs, CheckExpr(fmt.Sprintf("count by (%s) (%s)", m[2], expr), cat)...)
	}

	ids := map[int]string{}
	var walk func(ps []panel)
	walk = func(ps []panel) {
		for _, p := range ps {
			where := fmt.Sprintf("panel %d %q", p.ID, p.Title)
			if prev, dup := ids[p.ID]; dup || p.ID == 0 {
				errs = append(errs, fmt.Errorf("%s: id not unique (also %q) or zero", where, prev))
			}
			ids[p.ID] = p.Title
			g := p.GridPos
			if g.W <= 0 || g.H <= 0 || g.X < 0 || g.X+g.W > 24 {
				errs = append(errs, fmt.Errorf("%s: gridPos %+v is off the 24-column grid", where, g))
			}
			if p.Type == "row" {
				walk(p.Panels)
				continue
			}
			if p.Datasource == nil || p.Datasource.UID != "${datasource}" {
				errs = append(errs, fmt.Errorf("%s: datasource is not ${datasource}", where))
			}
			if len(p.Targets) == 0 {
				errs = append(errs, fmt.Errorf("%s: no queries", where))
			}
			for _, t := range p.Targets {
				if strings.TrimSpace(t.Expr) == "" {
					errs = append(errs, fmt.Errorf("%s, query %s: empty", where, t.RefID))
					continue
				}
				expr, subErrs := substitute(t.Expr)
				errs = append(errs, subErrs...)
				for _, err := range CheckExpr(expr, cat) {
					errs = append(errs, fmt.Errorf("%s, query %s: %w", where, t.RefID, err))
				}
			}
		}
	}
	walk(d.Panels)
	if len(ids) == 0 {
		errs = append(errs, fmt.Errorf("dashboard without panels"))
	}
	return errs
}
