package check

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"path"
	"slices"
	"sort"
	"strings"
	"time"

	monitoringv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	"gopkg.in/yaml.v3"
	chartcommon "helm.sh/helm/v4/pkg/chart/common"
	chartutil "helm.sh/helm/v4/pkg/chart/common/util"
	chart "helm.sh/helm/v4/pkg/chart/v2"
	"helm.sh/helm/v4/pkg/chart/v2/lint"
	"helm.sh/helm/v4/pkg/chart/v2/lint/support"
	"helm.sh/helm/v4/pkg/chart/v2/loader"
	v2util "helm.sh/helm/v4/pkg/chart/v2/util"
	"helm.sh/helm/v4/pkg/engine"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/serializer/json"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
)

// KubeVersion is the cluster version charts are rendered for: the oldest
// the chart claims to support (Chart.yaml kubeVersion) is checked too.
const KubeVersion = "v1.32.0"

// Release is the release the checks render.
var Release = chartcommon.ReleaseOptions{Name: "botd", Namespace: "bots", Revision: 1, IsInstall: true}

// LoadChart loads a chart directory with Helm's loader.
func LoadChart(dir string) (*chart.Chart, error) { return loader.LoadDir(dir) }

// LintChart runs Helm's own chart linter (`helm lint`) with the values
// and returns its warnings and errors.
func LintChart(dir string, vals map[string]any) []error {
	kv, err := chartcommon.ParseKubeVersion(KubeVersion)
	if err != nil {
		return []error{err}
	}
	res := lint.RunAll(dir, vals, Release.Namespace, lint.WithKubeVersion(kv))
	var errs []error
	for _, m := range res.Messages {
		if m.Severity >= support.WarningSev {
			errs = append(errs, m)
		}
	}
	return errs
}

// RenderChart renders a chart as `helm template` does, with the Helm SDK:
// the values are coalesced with the chart's defaults and validated
// against its values.schema.json (a misspelt key is an error), the
// templates run in strict mode (a reference to a value that does not exist
// is an error, not an empty string), and the cluster must satisfy the
// chart's kubeVersion. It returns each rendered manifest by template name;
// NOTES.txt and empty documents are left out.
func RenderChart(ch *chart.Chart, vals map[string]any) (map[string]string, error) {
	kv, err := chartcommon.ParseKubeVersion(KubeVersion)
	if err != nil {
		return nil, err
	}
	if c := ch.Metadata.KubeVersion; c != "" && !v2util.IsCompatibleRange(c, kv.String()) {
		return nil, fmt.Errorf("chart needs Kubernetes %s, not %s", c, kv)
	}
	caps := &chartcommon.Capabilities{
		KubeVersion: *kv,
		APIVersions: append(slices.Clone(chartcommon.DefaultVersionSet), "monitoring.coreos.com/v1", "monitoring.coreos.com/v1/ServiceMonitor"),
		HelmVersion: chartcommon.DefaultCapabilities.HelmVersion,
	}
	top, err := chartutil.ToRenderValuesWithSchemaValidation(ch, vals, Release, caps, false)
	if err != nil {
		return nil, err
	}
	out, err := engine.Engine{Strict: true}.RenderWithContext(context.Background(), ch, top)
	if err != nil {
		return nil, err
	}
	for name, s := range out {
		if path.Base(name) == "NOTES.txt" || strings.TrimSpace(s) == "" {
			delete(out, name)
		}
	}
	return out, nil
}

// scheme knows every kind the chart may render.
var scheme = func() *runtime.Scheme {
	s := runtime.NewScheme()
	for _, add := range []func(*runtime.Scheme) error{
		corev1.AddToScheme, appsv1.AddToScheme, policyv1.AddToScheme, networkingv1.AddToScheme, monitoringv1.AddToScheme,
	} {
		if err := add(s); err != nil {
			panic(err)
		}
	}
	return s
}()

// strictDecoder is apimachinery's YAML decoder in strict mode: a field the
// API type does not have, or a field given twice, is an error (the API
// server would drop the first silently, or refuse the object).
var strictDecoder = json.NewSerializerWithOptions(json.DefaultMetaFactory, scheme, scheme, json.SerializerOptions{Yaml: true, Strict: true})

// DecodeManifests splits each rendered manifest into its YAML documents
// and decodes every one strictly into its Kubernetes API type (k8s.io/api,
// and prometheus-operator's types for ServiceMonitor). An unknown kind or
// apiVersion, an unknown field or a wrongly typed value is an error.
func DecodeManifests(rendered map[string]string) ([]runtime.Object, []error) {
	var objs []runtime.Object
	var errs []error
	names := slices.Sorted(maps.Keys(rendered))
	for _, name := range names {
		r := utilyaml.NewYAMLReader(bufio.NewReader(strings.NewReader(rendered[name])))
		for i := 0; ; i++ {
			doc, err := r.Read()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				errs = append(errs, fmt.Errorf("%s: %w", name, err))
				break
			}
			if strings.TrimSpace(stripComments(string(doc))) == "" {
				continue
			}
			obj, gvk, err := strictDecoder.Decode(doc, nil, nil)
			if err != nil {
				errs = append(errs, fmt.Errorf("%s (document %d): %w", name, i, err))
				continue
			}
			if gvk.Kind == "" {
				errs = append(errs, fmt.Errorf("%s (document %d): no kind", name, i))
				continue
			}
			objs = append(objs, obj)
		}
	}
	return objs, errs
}

func stripComments(s string) string {
	var b strings.Builder
	for _, line := range strings.Split(s, "\n") {
		if !strings.HasPrefix(strings.TrimSpace(line), "#") {
			b.WriteString(line)
			b.WriteByte('\n')
		}
	}
	return b.String()
}

// WorkloadExpect is what CheckWorkload compares the decoded objects with.
type WorkloadExpect struct {
	Mode           string // websocket or webhook
	Replicas       int32
	UID            int64 // the image's USER
	Port           int32 // the image's EXPOSE
	MetricsPort    int32 // 0: /metrics on Port
	Ingress        bool
	ServiceMonitor bool
}

// CheckWorkload checks the decoded objects of one render against what
// botd needs to run safely: a Deployment of non-root, read-only pods
// without capabilities, probed on /healthz and /readyz, given more time to
// stop than botd takes to drain, with secrets only from Secret
// references; a ConfigMap holding its config file; a PodDisruptionBudget,
// Service, Ingress and ServiceMonitor that select those pods and name
// ports they have.
func CheckWorkload(objs []runtime.Object, want WorkloadExpect) []error {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	var deps []*appsv1.Deployment
	var cms []*corev1.ConfigMap
	var svcs []*corev1.Service
	var pdbs []*policyv1.PodDisruptionBudget
	var ings []*networkingv1.Ingress
	var sms []*monitoringv1.ServiceMonitor
	for _, o := range objs {
		switch o := o.(type) {
		case *appsv1.Deployment:
			deps = append(deps, o)
		case *corev1.ConfigMap:
			cms = append(cms, o)
		case *corev1.Service:
			svcs = append(svcs, o)
		case *policyv1.PodDisruptionBudget:
			pdbs = append(pdbs, o)
		case *networkingv1.Ingress:
			ings = append(ings, o)
		case *monitoringv1.ServiceMonitor:
			sms = append(sms, o)
		case *corev1.ServiceAccount:
		default:
			bad("unexpected object %T", o)
		}
		if m, ok := o.(interface{ GetLabels() map[string]string }); ok {
			for _, l := range []string{"app.kubernetes.io/name", "app.kubernetes.io/instance", "app.kubernetes.io/managed-by"} {
				if m.GetLabels()[l] == "" {
					bad("%T: no label %s", o, l)
				}
			}
		}
	}
	if len(deps) != 1 || len(cms) != 1 || len(svcs) != 1 {
		return append(errs, fmt.Errorf("want one Deployment, ConfigMap and Service; have %d, %d, %d", len(deps), len(cms), len(svcs)))
	}
	d, cm, svc := deps[0], cms[0], svcs[0]
	pod := d.Spec.Template
	podLabels := labels.Set(pod.Labels)

	if d.Spec.Replicas == nil || *d.Spec.Replicas != want.Replicas {
		bad("Deployment: replicas %v, want %d", d.Spec.Replicas, want.Replicas)
	}
	if sel, err := metaSelector(d.Spec.Selector); err != nil || !sel.Matches(podLabels) {
		bad("Deployment: selector does not match its pods' labels")
	}
	if ru := d.Spec.Strategy.RollingUpdate; ru == nil || ru.MaxUnavailable == nil || ru.MaxUnavailable.IntValue() != 0 {
		bad("Deployment: rolling updates may take a pod down before its successor is ready (maxUnavailable must be 0)")
	}
	ps := pod.Spec
	if ps.AutomountServiceAccountToken == nil || *ps.AutomountServiceAccountToken {
		bad("pod: the service account token is mounted; botd never calls the Kubernetes API")
	}
	psc := ps.SecurityContext
	switch {
	case psc == nil:
		bad("pod: no securityContext")
	default:
		if psc.RunAsNonRoot == nil || !*psc.RunAsNonRoot {
			bad("pod: runAsNonRoot is not true")
		}
		if psc.RunAsUser == nil || *psc.RunAsUser != want.UID {
			bad("pod: runAsUser %v, want the image's USER %d", psc.RunAsUser, want.UID)
		}
		if psc.SeccompProfile == nil || psc.SeccompProfile.Type != corev1.SeccompProfileTypeRuntimeDefault {
			bad("pod: seccompProfile is not RuntimeDefault")
		}
	}
	if len(ps.Containers) != 1 {
		return append(errs, fmt.Errorf("pod: %d containers, want 1", len(ps.Containers)))
	}
	c := ps.Containers[0]
	sc := c.SecurityContext
	switch {
	case sc == nil:
		bad("container: no securityContext")
	default:
		if sc.ReadOnlyRootFilesystem == nil || !*sc.ReadOnlyRootFilesystem {
			bad("container: readOnlyRootFilesystem is not true")
		}
		if sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation {
			bad("container: allowPrivilegeEscalation is not false")
		}
		if sc.Privileged != nil && *sc.Privileged {
			bad("container: privileged")
		}
		if sc.Capabilities == nil || !slices.Equal(sc.Capabilities.Drop, []corev1.Capability{"ALL"}) || len(sc.Capabilities.Add) > 0 {
			bad("container: capabilities must drop ALL and add none")
		}
	}
	ports := map[string]int32{}
	for _, p := range c.Ports {
		ports[p.Name] = p.ContainerPort
	}
	if ports["http"] != want.Port {
		bad("container: port http is %d, want %d (the image's EXPOSE)", ports["http"], want.Port)
	}
	if want.MetricsPort != 0 && ports["metrics"] != want.MetricsPort {
		bad("container: port metrics is %d, want %d", ports["metrics"], want.MetricsPort)
	}
	checkProbe := func(name string, p *corev1.Probe, path string) {
		if p == nil || p.HTTPGet == nil {
			bad("container: no %s probe", name)
			return
		}
		if p.HTTPGet.Path != path || p.HTTPGet.Port.String() != "http" {
			bad("container: %s probe is %s on %s, want %s on http", name, p.HTTPGet.Path, p.HTTPGet.Port.String(), path)
		}
	}
	checkProbe("liveness", c.LivenessProbe, "/healthz")
	checkProbe("readiness", c.ReadinessProbe, "/readyz")
	checkProbe("startup", c.StartupProbe, "/healthz")
	for _, r := range []corev1.ResourceName{corev1.ResourceCPU, corev1.ResourceMemory} {
		if _, ok := c.Resources.Requests[r]; !ok {
			bad("container: no %s request", r)
		}
	}
	if _, ok := c.Resources.Limits[corev1.ResourceMemory]; !ok {
		bad("container: no memory limit")
	}

	env := map[string]corev1.EnvVar{}
	for _, e := range c.Env {
		env[e.Name] = e
		if secretName(e.Name) && e.ValueFrom == nil {
			bad("container: %s is a literal in the pod spec; take it from a Secret", e.Name)
		}
	}
	if e := env["BOTD_EVENT_MODE"]; e.Value != want.Mode {
		bad("container: BOTD_EVENT_MODE %q, want %q", e.Value, want.Mode)
	}
	for _, k := range []string{"BOTD_APP_SECRET", "BOTD_VERIFICATION_TOKEN", "BOTD_REDIS_URL", "BOTD_ENCRYPT_KEY"} {
		if e, ok := env[k]; !ok || e.ValueFrom == nil || e.ValueFrom.SecretKeyRef == nil {
			bad("container: %s does not come from a Secret", k)
		}
	}

	// The config file: mounted from the ConfigMap, named by -config.
	cfgPath := ""
	for i, a := range c.Args {
		if a == "-config" && i+1 < len(c.Args) {
			cfgPath = c.Args[i+1]
		}
	}
	mounted := false
	for _, vm := range c.VolumeMounts {
		for _, v := range ps.Volumes {
			if v.Name == vm.Name && v.ConfigMap != nil && v.ConfigMap.Name == cm.Name && cfgPath == path.Join(vm.MountPath, "botd.yaml") && vm.ReadOnly {
				mounted = true
			}
		}
	}
	if !mounted {
		bad("container: -config %q is not botd.yaml of ConfigMap %s mounted read-only", cfgPath, cm.Name)
	}
	var cfg map[string]any
	if err := yaml.Unmarshal([]byte(cm.Data["botd.yaml"]), &cfg); err != nil || cfg == nil {
		bad("ConfigMap: botd.yaml does not parse: %v", err)
	}
	for k := range cfg {
		if secretName(k) || k == "app_secret" || k == "encrypt_key" {
			bad("ConfigMap: secret %s in botd.yaml", k)
		}
	}
	shutdown, err := time.ParseDuration(fmt.Sprint(cfg["shutdown_timeout"]))
	if err != nil {
		bad("ConfigMap: shutdown_timeout %v: %v", cfg["shutdown_timeout"], err)
	}
	var preStop time.Duration
	if c.Lifecycle != nil && c.Lifecycle.PreStop != nil {
		if c.Lifecycle.PreStop.Sleep == nil {
			bad("container: preStop must be a sleep action (the image has no shell)")
		} else {
			preStop = time.Duration(c.Lifecycle.PreStop.Sleep.Seconds) * time.Second
		}
	}
	if want.Mode == "webhook" && preStop == 0 {
		bad("container: webhook mode without a preStop sleep: requests routed to a stopping pod would fail")
	}
	if g := ps.TerminationGracePeriodSeconds; g == nil || time.Duration(*g)*time.Second <= shutdown+preStop {
		bad("pod: terminationGracePeriodSeconds %v is not longer than the shutdown timeout %v plus preStop %v", deref64(g), shutdown, preStop)
	}
	if want.MetricsPort != 0 && cfg["metrics_addr"] != fmt.Sprintf(":%d", want.MetricsPort) {
		bad("ConfigMap: metrics_addr %v, want :%d", cfg["metrics_addr"], want.MetricsPort)
	}
	if want.MetricsPort == 0 && cfg["metrics_addr"] != nil {
		bad("ConfigMap: metrics_addr set without a metrics port")
	}

	// The Service.
	if !labels.SelectorFromSet(svc.Spec.Selector).Matches(podLabels) || len(svc.Spec.Selector) == 0 {
		bad("Service: selector does not match the pods")
	}
	svcPorts := map[string]bool{}
	for _, p := range svc.Spec.Ports {
		svcPorts[p.Name] = true
		if _, ok := ports[p.TargetPort.String()]; !ok {
			bad("Service: port %s targets %s, which the container does not have", p.Name, p.TargetPort.String())
		}
	}

	// The PodDisruptionBudget.
	if len(pdbs) != 1 {
		bad("%d PodDisruptionBudgets, want 1", len(pdbs))
	} else {
		pdb := pdbs[0]
		if sel, err := metaSelector(pdb.Spec.Selector); err != nil || !sel.Matches(podLabels) {
			bad("PodDisruptionBudget: selector does not match the pods")
		}
		if pdb.Spec.MinAvailable == nil || pdb.Spec.MinAvailable.IntValue() < 1 || int32(pdb.Spec.MinAvailable.IntValue()) >= want.Replicas {
			bad("PodDisruptionBudget: minAvailable %v must be at least 1 and below the replicas (%d)", pdb.Spec.MinAvailable, want.Replicas)
		}
	}

	// The Ingress: webhook mode only, the two webhook routes only.
	switch {
	case want.Ingress && len(ings) != 1:
		bad("%d Ingresses, want 1", len(ings))
	case !want.Ingress && len(ings) > 0:
		bad("an Ingress in %s mode", want.Mode)
	case want.Ingress:
		ing := ings[0]
		var paths []string
		for _, r := range ing.Spec.Rules {
			if r.HTTP == nil {
				continue
			}
			for _, p := range r.HTTP.Paths {
				paths = append(paths, p.Path)
				if p.PathType == nil || *p.PathType != networkingv1.PathTypeExact {
					bad("Ingress: %s is not an Exact path: more than the webhook routes would be exposed", p.Path)
				}
				if b := p.Backend.Service; b == nil || b.Name != svc.Name || !svcPorts[b.Port.Name] {
					bad("Ingress: %s does not go to a port of Service %s", p.Path, svc.Name)
				}
			}
		}
		sort.Strings(paths)
		if !slices.Equal(paths, []string{"/webhook/card", "/webhook/event"}) {
			bad("Ingress: paths %v, want exactly /webhook/card and /webhook/event", paths)
		}
		if len(ing.Spec.TLS) == 0 {
			bad("Ingress: no TLS (the platform calls https:// URLs only)")
		}
	}

	// The ServiceMonitor.
	switch {
	case want.ServiceMonitor && len(sms) != 1:
		bad("%d ServiceMonitors, want 1", len(sms))
	case !want.ServiceMonitor && len(sms) > 0:
		bad("a ServiceMonitor that was not asked for")
	case want.ServiceMonitor:
		sm := sms[0]
		if sel, err := metaSelector(&sm.Spec.Selector); err != nil || !sel.Matches(labels.Set(svc.Labels)) {
			bad("ServiceMonitor: selector does not match Service %s", svc.Name)
		}
		wantPort := "http"
		if want.MetricsPort != 0 {
			wantPort = "metrics"
		}
		if len(sm.Spec.Endpoints) != 1 || sm.Spec.Endpoints[0].Port != wantPort || sm.Spec.Endpoints[0].Path != "/metrics" || !svcPorts[wantPort] {
			bad("ServiceMonitor: must scrape /metrics on the Service's %s port", wantPort)
		}
	}
	return errs
}

func deref64(p *int64) any {
	if p == nil {
		return "<unset>"
	}
	return *p
}

func metaSelector(s *metav1.LabelSelector) (labels.Selector, error) {
	if s == nil {
		return nil, fmt.Errorf("no selector")
	}
	return metav1.LabelSelectorAsSelector(s)
}
