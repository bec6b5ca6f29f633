package check

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	chart "helm.sh/helm/v4/pkg/chart/v2"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime"
)

const chartDir = "deploy/helm/botd"

func loadChart(t *testing.T) *chart.Chart {
	t.Helper()
	ch, err := LoadChart(filepath.Join(repoRoot(t), chartDir))
	if err != nil {
		t.Fatal(err)
	}
	return ch
}

// valueSets are the configurations the chart is rendered with: the
// defaults, and each optional part switched on.
var valueSets = []struct {
	name string
	vals map[string]any
	want WorkloadExpect
}{
	{"defaults", map[string]any{"appId": "cli_a1b2c3"},
		WorkloadExpect{Mode: "websocket", Replicas: 2}},
	{"webhook with ingress", map[string]any{"appId": "cli_a1b2c3", "mode": "webhook",
		"ingress": map[string]any{"enabled": true, "className": "nginx", "host": "bot.example.com", "tlsSecretName": "bot-tls"}},
		WorkloadExpect{Mode: "webhook", Replicas: 2, Ingress: true}},
	{"servicemonitor", map[string]any{"appId": "cli_a1b2c3", "serviceMonitor": map[string]any{"enabled": true, "labels": map[string]any{"release": "prom"}}},
		WorkloadExpect{Mode: "websocket", Replicas: 2, ServiceMonitor: true}},
	{"metrics on its own port", map[string]any{"appId": "cli_a1b2c3", "metrics": map[string]any{"port": 9090},
		"serviceMonitor": map[string]any{"enabled": true}},
		WorkloadExpect{Mode: "websocket", Replicas: 2, MetricsPort: 9090, ServiceMonitor: true}},
	{"everything", map[string]any{"appId": "cli_a1b2c3", "mode": "webhook", "replicaCount": 3,
		"existingSecret": "botd-credentials", "metrics": map[string]any{"port": 9090},
		"serviceMonitor": map[string]any{"enabled": true},
		"ingress":        map[string]any{"enabled": true, "host": "bot.example.com", "tlsSecretName": "bot-tls"},
		"config": map[string]any{"admins": []any{"ou_abc"}, "job_workers": 40, "timezone": "Europe/Berlin",
			"fair_use": map[string]any{"member_commands": 3, "chat_commands": 30, "window": "10s"}}},
		WorkloadExpect{Mode: "webhook", Replicas: 3, MetricsPort: 9090, ServiceMonitor: true, Ingress: true}},
}

// TestChart renders the chart with the Helm SDK for each value set,
// decodes every manifest strictly into the Kubernetes API types, checks
// the workload, and has the image's binary validate the config file the
// chart's ConfigMap holds (-check-config, unknown keys refused) with the
// environment the Deployment gives it.
func TestChart(t *testing.T) {
	img := image(t).img
	for _, vs := range valueSets {
		t.Run(vs.name, func(t *testing.T) {
			rendered, err := RenderChart(loadChart(t), vs.vals)
			if err != nil {
				t.Fatal(err)
			}
			objs, errs := DecodeManifests(rendered)
			for _, err := range errs {
				t.Error(err)
			}
			want := vs.want
			want.UID, want.Port = int64(img.UID), int32(img.Expose[0])
			for _, err := range CheckWorkload(objs, want) {
				t.Error(err)
			}
			if err := checkConfigOf(t, objs); err != nil {
				t.Error(err)
			}
		})
	}
}

// TestChartConfigUnknownKey: a key botd does not know in the values'
// config block renders (the schema cannot list botd's keys) but botd
// refuses it, so the check does.
func TestChartConfigUnknownKey(t *testing.T) {
	rendered, err := RenderChart(loadChart(t), map[string]any{"appId": "cli_a1b2c3", "config": map[string]any{"log_levle": "debug"}})
	if err != nil {
		t.Fatal(err)
	}
	objs, errs := DecodeManifests(rendered)
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	err = checkConfigOf(t, objs)
	if err == nil || !strings.Contains(err.Error(), "log_levle") {
		t.Errorf("botd -check-config: %v, want log_levle refused", err)
	}
}

// checkConfigOf runs botd -check-config on the rendered ConfigMap's
// botd.yaml with the Deployment's environment (Secret references filled
// with stand-ins).
func checkConfigOf(t *testing.T, objs []runtime.Object) error {
	t.Helper()
	var cm *corev1.ConfigMap
	var dep *appsv1.Deployment
	for _, o := range objs {
		switch o := o.(type) {
		case *corev1.ConfigMap:
			cm = o
		case *appsv1.Deployment:
			dep = o
		}
	}
	if cm == nil || dep == nil {
		t.Fatal("no ConfigMap or Deployment")
	}
	file := filepath.Join(t.TempDir(), "botd.yaml")
	if err := os.WriteFile(file, []byte(cm.Data["botd.yaml"]), 0o600); err != nil {
		t.Fatal(err)
	}
	var env []string
	for _, e := range dep.Spec.Template.Spec.Containers[0].Env {
		switch {
		case e.Name == "BOTD_REDIS_URL":
			env = append(env, e.Name+"=redis://127.0.0.1:1/0")
		case e.ValueFrom != nil:
			env = append(env, e.Name+"=stand-in")
		default:
			env = append(env, e.Name+"="+e.Value)
		}
	}
	out, err := runBinary(t, env, "-check-config", "-config", file)
	if err != nil {
		return fmt.Errorf("botd -check-config on the chart's config: %w\n%s\n--- botd.yaml:\n%s", err, out, cm.Data["botd.yaml"])
	}
	return nil
}

func TestChartLint(t *testing.T) {
	for _, err := range LintChart(filepath.Join(repoRoot(t), chartDir), map[string]any{"appId": "cli_a1b2c3"}) {
		t.Error(err)
	}
}

// TestChartRefuses: values the chart must refuse at render time, before
// anything reaches a cluster.
func TestChartRefuses(t *testing.T) {
	for _, tc := range []struct {
		name string
		vals map[string]any
		want string
	}{
		{"no app id", map[string]any{}, "appId is required"},
		{"ingress in websocket mode", map[string]any{"appId": "cli_a", "ingress": map[string]any{"enabled": true, "host": "x.example.com"}}, "needs mode: webhook"},
		{"ingress without host", map[string]any{"appId": "cli_a", "mode": "webhook", "ingress": map[string]any{"enabled": true}}, "ingress.host"},
		{"grace not longer than shutdown", map[string]any{"appId": "cli_a", "terminationGracePeriodSeconds": 15}, "terminationGracePeriodSeconds"},
		{"grace eaten by preStop", map[string]any{"appId": "cli_a", "mode": "webhook", "terminationGracePeriodSeconds": 20, "preStopSleepSeconds": 5}, "preStop"},
		{"misspelt value", map[string]any{"appId": "cli_a", "replicas": 3}, "replicas"},
		{"unknown mode", map[string]any{"appId": "cli_a", "mode": "longpoll"}, "mode"},
		{"secret in the config file", map[string]any{"appId": "cli_a", "config": map[string]any{"app_secret": "x"}}, "app_secret"},
		{"pdb blocks drains", map[string]any{"appId": "cli_a", "podDisruptionBudget": map[string]any{"enabled": true, "minAvailable": 2}}, "minAvailable"},
		{"metrics on the http port", map[string]any{"appId": "cli_a", "metrics": map[string]any{"port": 8080}}, "metrics.port"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := RenderChart(loadChart(t), tc.vals)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("render: %v, want an error mentioning %q", err, tc.want)
			}
		})
	}
}

// TestChartBroken edits the chart's templates in memory into broken
// variants; the render, the strict decoding or the workload check must
// report each.
func TestChartBroken(t *testing.T) {
	img := image(t).img
	want := WorkloadExpect{Mode: "websocket", Replicas: 2, UID: int64(img.UID), Port: int32(img.Expose[0])}
	for _, tc := range []struct {
		name, file, old, new, wantErr string
	}{
		{"unknown field", "deployment.yaml", "  revisionHistoryLimit: 5\n", "  revisionHistoryLimit: 5\n  progressDeadlineSecond: 600\n", `unknown field "spec.progressDeadlineSecond"`},
		{"misspelt field", "deployment.yaml", "readOnlyRootFilesystem: true", "readOnlyRootFileSystem: true", "readOnlyRootFileSystem"},
		{"duplicate field", "deployment.yaml", "  revisionHistoryLimit: 5\n", "  revisionHistoryLimit: 5\n  revisionHistoryLimit: 6\n", "revisionHistoryLimit"},
		{"wrong type", "deployment.yaml", "replicas: {{ .Values.replicaCount }}", `replicas: "{{ .Values.replicaCount }}"`, "replicas"},
		{"removed API version", "pdb.yaml", "apiVersion: policy/v1\n", "apiVersion: policy/v1beta1\n", "policy/v1beta1"},
		{"missing value (strict render)", "service.yaml", "port: {{ .Values.port }}", "port: {{ .Values.prot }}", "prot"},
		{"writable root filesystem", "deployment.yaml", "readOnlyRootFilesystem: true", "readOnlyRootFilesystem: false", "readOnlyRootFilesystem"},
		{"capabilities kept", "deployment.yaml", `drop: ["ALL"]`, `drop: ["NET_RAW"]`, "drop ALL"},
		{"root allowed", "deployment.yaml", "        runAsNonRoot: true\n        runAsUser:", "        runAsNonRoot: false\n        runAsUser:", "runAsNonRoot"},
		{"liveness on readiness", "deployment.yaml", "path: /healthz\n              port: http\n            periodSeconds: {{ .Values.probes.liveness", "path: /readyz\n              port: http\n            periodSeconds: {{ .Values.probes.liveness", "liveness probe"},
		{"secret as a literal", "deployment.yaml", "          env:\n", "          env:\n            - name: BOTD_APP_SECRET_OLD\n              value: hunter2\n", "literal"},
		{"service selects nothing", "service.yaml", "  selector:\n    {{- include \"botd.selectorLabels\" . | nindent 4 }}", "  selector:\n    app: botd", "selector"},
		{"no memory limit", "deployment.yaml", "            {{- toYaml .Values.resources | nindent 12 }}", "            requests: {cpu: 100m, memory: 128Mi}", "memory limit"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ch := loadChart(t)
			found := false
			for _, f := range ch.Templates {
				if f.Name == "templates/"+tc.file {
					f.Data = []byte(mustReplace(t, string(f.Data), tc.old, tc.new))
					found = true
				}
			}
			if !found {
				t.Fatalf("no template %s", tc.file)
			}
			rendered, err := RenderChart(ch, map[string]any{"appId": "cli_a1b2c3"})
			if err != nil {
				t.Logf("render: %v", err)
				wantProblem(t, []error{err}, tc.wantErr)
				return
			}
			objs, errs := DecodeManifests(rendered)
			errs = append(errs, CheckWorkload(objs, want)...)
			t.Logf("reported: %v", errs)
			wantProblem(t, errs, tc.wantErr)
		})
	}
}
