package check

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestCatalogue(t *testing.T) {
	cat := catalogue(t)
	declared, err := DeclaredFamilies(repoRoot(t))
	if err != nil {
		t.Fatal(err)
	}
	// A floor, so that a reader that silently finds nothing fails here.
	for _, name := range []string{"botd_webhook_requests_total", "botd_jobs_total", "botd_reminder_lateness_seconds", "botd_ratelimit_wait_seconds"} {
		if _, ok := declared[name]; !ok {
			t.Errorf("the source reader did not find %s", name)
		}
	}
	for _, name := range []string{"go_goroutines", "process_resident_memory_bytes"} {
		if _, ok := cat.Families[name]; !ok {
			t.Errorf("the scrape lacks %s", name)
		}
	}
	for _, fam := range Announced() {
		if d, ok := declared[fam.Name]; ok {
			t.Logf("announced metric %s is now declared at %s: its allow-list entry in metrics.go can go", fam.Name, d.Source)
			if d.Type != fam.Type || !slices.Equal(d.Labels, fam.Labels) {
				t.Errorf("%s is declared as a %s with labels %v, announced as a %s with %v: the rules and dashboard assume the announcement", fam.Name, d.Type, d.Labels, fam.Type, fam.Labels)
			}
		}
	}
	names := slices.Sorted(func(yield func(string) bool) {
		for n := range declared {
			if !yield(n) {
				return
			}
		}
	})
	t.Logf("botd declares %d metric families: %s", len(names), strings.Join(names, ", "))
}

func TestCatalogueBroken(t *testing.T) {
	t.Run("name not a literal", func(t *testing.T) {
		dir := t.TempDir()
		src := `package x

import "github.com/prometheus/client_golang/prometheus"

const name = "botd_hidden_total"

var c = prometheus.NewCounter(prometheus.CounterOpts{Name: name})
`
		if err := os.MkdirAll(filepath.Join(dir, "internal", "x"), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "internal", "x", "m.go"), []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
		_, err := DeclaredFamilies(dir)
		if err == nil || !strings.Contains(err.Error(), "not a string literal") {
			t.Errorf("DeclaredFamilies: %v, want a complaint about the name", err)
		}
	})
	t.Run("aliased import and namespace", func(t *testing.T) {
		dir := t.TempDir()
		src := `package x

import prom "github.com/prometheus/client_golang/prometheus"

var c = prom.NewGaugeVec(prom.GaugeOpts{Namespace: "botd", Subsystem: "x", Name: "up"}, []string{"a"})
`
		if err := os.MkdirAll(filepath.Join(dir, "cmd", "x"), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "cmd", "x", "m.go"), []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
		fams, err := DeclaredFamilies(dir)
		if err != nil || fams["botd_x_up"].Type != Gauge || !slices.Equal(fams["botd_x_up"].Labels, []string{"a"}) {
			t.Errorf("DeclaredFamilies: %v %v, want botd_x_up, a gauge with label a", fams, err)
		}
	})
	t.Run("scraped but not declared", func(t *testing.T) {
		_, err := NewCatalogue(map[string]Family{}, map[string]Family{"botd_mystery_total": {Name: "botd_mystery_total", Type: Counter}})
		if err == nil || !strings.Contains(err.Error(), "botd_mystery_total") {
			t.Errorf("NewCatalogue: %v, want the undeclared metric named", err)
		}
	})
}

// requiredAlerts are the alerts issue 12 asks for, by what they watch.
var requiredAlerts = []string{
	"BotdDown",
	"BotdWebhookRefusalsHigh", // webhook refusals spike
	"BotdJobsFailing",         // job failures
	"BotdJobsDead",            // dead jobs
	"BotdRemindersLate",       // reminder lateness
	"BotdRateLimitWaitsLong",  // rate-limit waits
	"BotdLongConnectionDown",  // long connection down
	"BotdLongConnectionFlapping",
}

func TestAlertRules(t *testing.T) {
	alerts, errs := CheckRules(readRepoFile(t, "deploy/prometheus/alerts.yml"), catalogue(t))
	for _, err := range errs {
		t.Error(err)
	}
	for _, a := range requiredAlerts {
		if !slices.Contains(alerts, a) {
			t.Errorf("no alert %s", a)
		}
	}
}

// TestAlertRulesBroken feeds the checker broken variants of the real rule
// file: each must be reported.
func TestAlertRulesBroken(t *testing.T) {
	orig := string(readRepoFile(t, "deploy/prometheus/alerts.yml"))
	cat := catalogue(t)
	for _, tc := range []struct {
		name, old, new, want string
	}{
		{"unknown metric", `increase(botd_jobs_total{outcome="give_up"}`, `increase(botd_job_total{outcome="give_up"}`, "unknown metric botd_job_total"},
		{"unknown metric in a selector by __name__", `expr: up{job=~"botd.*"} == 0`, `expr: '{__name__="botd_up", job=~"botd.*"} == 0'`, "unknown metric botd_up"},
		{"unknown label", `outcome="unavailable"`, `outcom="unavailable"`, `no label "outcom"`},
		{"botd's job label under its own name", `sum by (job, exported_job) (increase(`, `sum by (job, kind) (increase(`, `label "kind"`},
		{"rate of a gauge", `max by (job) (botd_longconn_connected) == 0`, `rate(botd_longconn_connected[5m]) == 0`, "a gauge"},
		{"not PromQL", `botd_longconn_connected == 0`, `botd_longconn_connected == == 0`, "parse"},
		{"unknown field", "        for: 2m\n", "        fro: 2m\n", "fro"},
		{"no severity", "          severity: critical\n        annotations:\n          summary: \"no botd replica", "          team: bots\n        annotations:\n          summary: \"no botd replica", "severity"},
		{"bad template", `{{ $labels.route }}`, `{{ $labels.route }`, "template"},
		{"alert without for", "        for: 5m\n        labels:\n          severity: critical\n        annotations:\n          summary: \"botd {{ $labels.instance }}", "        labels:\n          severity: critical\n        annotations:\n          summary: \"botd {{ $labels.instance }}", "under a minute"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, errs := CheckRules([]byte(mustReplace(t, orig, tc.old, tc.new)), cat)
			wantProblem(t, errs, tc.want)
		})
	}
}

func TestDashboard(t *testing.T) {
	for _, err := range CheckDashboard(readRepoFile(t, "deploy/grafana/botd-dashboard.json"), catalogue(t)) {
		t.Error(err)
	}
}

func TestDashboardBroken(t *testing.T) {
	orig := string(readRepoFile(t, "deploy/grafana/botd-dashboard.json"))
	cat := catalogue(t)
	for _, tc := range []struct {
		name, old, new, want string
	}{
		{"unknown metric", `go_goroutines{`, `go_goroutine{`, "unknown metric go_goroutine"},
		{"unknown label", `sum by (reason)`, `sum by (cause)`, `label "cause"`},
		{"undefined variable", `process_resident_memory_bytes{job=~\"$job\"}`, `process_resident_memory_bytes{job=~\"$cluster\"}`, "$cluster"},
		{"duplicate id", `"id": 2,`, `"id": 3,`, "not unique"},
		{"fixed data source", `"uid": "${datasource}"`, `"uid": "P1809F7CD0C75ACF3"`, "datasource"},
		{"variable over an unknown metric", `label_values(go_info{`, `label_values(go_infos{`, "unknown metric go_infos"},
		{"not JSON", `"title": "botd",`, `"title": "botd"`, "parse dashboard"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			wantProblem(t, CheckDashboard([]byte(mustReplace(t, orig, tc.old, tc.new)), cat), tc.want)
		})
	}
}
