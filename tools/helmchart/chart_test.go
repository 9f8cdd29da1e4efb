package helmchart

import (
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"helm.sh/helm/v4/pkg/action"
	"helm.sh/helm/v4/pkg/chart/common"
	"helm.sh/helm/v4/pkg/chart/v2/loader"
	release "helm.sh/helm/v4/pkg/release/v1"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	"sigs.k8s.io/yaml"
)

var update = flag.Bool("update", false, "rewrite deploy/kubernetes from the chart")

const (
	chartDir = "../../deploy/helm/otelcol-rds"
	plainDir = "../../deploy/kubernetes"
)

// plainValues are the values of the plain manifests in deploy/kubernetes.
var plainValues = map[string]any{
	"serviceAccount": map[string]any{"roleArn": "arn:aws:iam::123456789012:role/otelcol-rds"},
}

func TestLint(t *testing.T) {
	for _, vals := range []map[string]any{nil, plainValues, {"podMonitor": map[string]any{"enabled": true}, "replicas": 5}} {
		lint := action.NewLint()
		lint.Strict = true
		res := lint.Run([]string{chartDir}, vals)
		assert.Equal(t, 1, res.TotalChartsLinted)
		for _, m := range res.Messages {
			t.Logf("helm lint: %s", m)
		}
		assert.Empty(t, res.Errors, "helm lint --strict with %v", vals)
	}
}

// render is `helm template otelcol-rds deploy/helm/otelcol-rds` with vals: the manifests by kind.
func render(t *testing.T, vals map[string]any) (string, map[string][]string) {
	t.Helper()
	chrt, err := loader.Load(chartDir)
	require.NoError(t, err)
	install := action.NewInstall(action.NewConfiguration())
	install.DryRunStrategy = action.DryRunClient
	install.ReleaseName = "otelcol-rds"
	install.Namespace = "monitoring"
	install.Replace = true
	kv, err := common.ParseKubeVersion("v1.31.0")
	require.NoError(t, err)
	install.KubeVersion = kv
	r, err := install.Run(chrt, vals)
	require.NoError(t, err)
	rel, ok := r.(*release.Release)
	require.True(t, ok, "%T", r)
	docs := map[string][]string{}
	for _, doc := range strings.Split(rel.Manifest, "\n---\n") {
		var meta struct{ Kind string }
		require.NoError(t, yaml.Unmarshal([]byte(doc), &meta))
		if meta.Kind != "" {
			docs[meta.Kind] = append(docs[meta.Kind], doc)
		}
	}
	return strings.TrimSpace(rel.Manifest) + "\n", docs
}

func statefulSet(t *testing.T, docs map[string][]string) *appsv1.StatefulSet {
	t.Helper()
	require.Len(t, docs["StatefulSet"], 1)
	var sts appsv1.StatefulSet
	require.NoError(t, yaml.UnmarshalStrict([]byte(docs["StatefulSet"][0]), &sts))
	return &sts
}

func env(c corev1.Container, name string) *corev1.EnvVar {
	for i := range c.Env {
		if c.Env[i].Name == name {
			return &c.Env[i]
		}
	}
	return nil
}

// TestStatefulSet: the pod index is the shard index, the replicas the shard count, each pod
// has its own state volume, the probes ask the health check, the resources are the sized ones.
func TestStatefulSet(t *testing.T) {
	for _, replicas := range []int{3, 5} {
		_, docs := render(t, map[string]any{"replicas": replicas, "serviceAccount": map[string]any{"roleArn": "arn:aws:iam::1:role/r"}})
		sts := statefulSet(t, docs)
		require.NotNil(t, sts.Spec.Replicas)
		assert.EqualValues(t, replicas, *sts.Spec.Replicas)
		pod := sts.Spec.Template.Spec
		require.Len(t, pod.Containers, 1)
		c := pod.Containers[0]

		idx := env(c, "SHARD_INDEX")
		if assert.NotNil(t, idx) && assert.NotNil(t, idx.ValueFrom) && assert.NotNil(t, idx.ValueFrom.FieldRef) {
			assert.Equal(t, "metadata.labels['apps.kubernetes.io/pod-index']", idx.ValueFrom.FieldRef.FieldPath)
		}
		if cnt := env(c, "SHARD_COUNT"); assert.NotNil(t, cnt) {
			assert.Equal(t, strconv.Itoa(replicas), cnt.Value, "SHARD_COUNT = replicas")
		}

		require.Len(t, sts.Spec.VolumeClaimTemplates, 1)
		pvc := sts.Spec.VolumeClaimTemplates[0]
		assert.Equal(t, []corev1.PersistentVolumeAccessMode{corev1.ReadWriteOnce}, pvc.Spec.AccessModes)
		assert.Equal(t, resource.MustParse("1Gi"), pvc.Spec.Resources.Requests[corev1.ResourceStorage])
		var mounted string
		for _, m := range c.VolumeMounts {
			if m.Name == pvc.Name {
				mounted = m.MountPath
			}
		}
		assert.Equal(t, "/var/lib/otelcol-rds", mounted, "the claim is mounted")
		assert.Equal(t, mounted, env(c, "STATE_DIRECTORY").Value, "file_storage's directory is the claim")

		for name, p := range map[string]*corev1.Probe{"liveness": c.LivenessProbe, "readiness": c.ReadinessProbe} {
			if assert.NotNil(t, p, name) && assert.NotNil(t, p.HTTPGet, name) {
				assert.Equal(t, "health", p.HTTPGet.Port.String(), name)
			}
		}
		ports := map[string]int32{}
		for _, p := range c.Ports {
			ports[p.Name] = p.ContainerPort
		}
		assert.Equal(t, map[string]int32{"metrics": 9464, "health": 13133}, ports)

		assert.Equal(t, resource.MustParse("512Mi"), c.Resources.Limits[corev1.ResourceMemory])
		assert.Equal(t, resource.MustParse("384Mi"), c.Resources.Requests[corev1.ResourceMemory])
		// The sizing rule: the measured catch-up peak of 5,000 instances stays under the
		// memory_limiter's 80 % of the limit.
		limit := c.Resources.Limits[corev1.ResourceMemory]
		assert.GreaterOrEqual(t, 0.8*float64(limit.Value()), float64(catchUpPeakMiB(t))*(1<<20))
		assert.Contains(t, configOf(t, docs), "limit_percentage: 80")
		if sc := pod.SecurityContext; assert.NotNil(t, sc) {
			assert.EqualValues(t, 10001, *sc.RunAsUser)
			assert.EqualValues(t, 10001, *sc.FSGroup, "the state volume is writable by the image's user")
		}

		require.Len(t, docs["ServiceAccount"], 1)
		var sa corev1.ServiceAccount
		require.NoError(t, yaml.UnmarshalStrict([]byte(docs["ServiceAccount"][0]), &sa))
		assert.Equal(t, "arn:aws:iam::1:role/r", sa.Annotations["eks.amazonaws.com/role-arn"], "IRSA")
		assert.Equal(t, sa.Name, pod.ServiceAccountName)
		assert.Empty(t, docs["PodMonitor"], "off by default: it needs the Prometheus Operator's CRDs")
	}
}

func TestPodMonitor(t *testing.T) {
	_, docs := render(t, map[string]any{"podMonitor": map[string]any{"enabled": true}})
	require.Len(t, docs["PodMonitor"], 1)
	var pm struct {
		APIVersion string `json:"apiVersion"`
		Spec       struct {
			Selector            struct{ MatchLabels map[string]string } `json:"selector"`
			PodMetricsEndpoints []struct{ Port string }                 `json:"podMetricsEndpoints"`
		}
	}
	require.NoError(t, yaml.Unmarshal([]byte(docs["PodMonitor"][0]), &pm))
	assert.Equal(t, "monitoring.coreos.com/v1", pm.APIVersion)
	assert.Equal(t, "metrics", pm.Spec.PodMetricsEndpoints[0].Port)
	sts := statefulSet(t, docs)
	assert.Equal(t, sts.Spec.Template.Labels["app.kubernetes.io/name"], pm.Spec.Selector.MatchLabels["app.kubernetes.io/name"])
}

// catchUpPeakMiB is the README's measured peak of a catch-up at 5,000 instances.
func catchUpPeakMiB(t *testing.T) int {
	t.Helper()
	b, err := os.ReadFile("../../README.md")
	require.NoError(t, err)
	m := regexp.MustCompile(`at ([0-9]+) MiB\s+catching up`).FindSubmatch(b)
	require.NotNil(t, m, "the README's catch-up figure")
	n, err := strconv.Atoi(string(m[1]))
	require.NoError(t, err)
	return n
}

// configOf is the collector configuration in the rendered ConfigMap.
func configOf(t *testing.T, docs map[string][]string) string {
	t.Helper()
	require.Len(t, docs["ConfigMap"], 1)
	var cm corev1.ConfigMap
	require.NoError(t, yaml.UnmarshalStrict([]byte(docs["ConfigMap"][0]), &cm))
	return cm.Data["config.yaml"]
}

// TestConfigValidates runs the built distribution's validate command on the rendered
// ConfigMap's configuration, with the environment the StatefulSet gives a pod.
func TestConfigValidates(t *testing.T) {
	bin := os.Getenv("OTELCOL_RDS_BIN")
	if bin == "" {
		if os.Getenv("CI") == "true" {
			t.Fatal("OTELCOL_RDS_BIN is not set: run the tests with `make test`")
		}
		t.Skip("OTELCOL_RDS_BIN is not set: run the tests with `make test`")
	}
	_, docs := render(t, nil)
	conf := configOf(t, docs)
	path := filepath.Join(t.TempDir(), "config.yaml")
	require.NoError(t, os.WriteFile(path, []byte(conf), 0o600))
	assert.Contains(t, conf, "count: ${env:SHARD_COUNT}")

	for _, tc := range []struct {
		name  string
		env   []string
		valid bool
	}{
		{"shard 2 of 3", []string{"SHARD_INDEX=2", "SHARD_COUNT=3"}, true},
		{"index out of range", []string{"SHARD_INDEX=3", "SHARD_COUNT=3"}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cmd := exec.Command(bin, "validate", "--config="+path)
			cmd.Env = append([]string{"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir(), "AWS_REGION=eu-west-1",
				"STATE_DIRECTORY=" + t.TempDir()}, tc.env...)
			out, err := cmd.CombinedOutput()
			if tc.valid {
				assert.NoError(t, err, "%s", out)
			} else {
				assert.Error(t, err, "%s", out)
			}
		})
	}
}

// TestPlainManifests: deploy/kubernetes/otelcol-rds.yaml is the chart rendered with
// plainValues, podmonitor.yaml its PodMonitor.
func TestPlainManifests(t *testing.T) {
	all, _ := render(t, plainValues)
	_, withPM := render(t, map[string]any{"podMonitor": map[string]any{"enabled": true}})
	header := "# Generated from deploy/helm/otelcol-rds (release otelcol-rds, namespace monitoring) by\n" +
		"# `go test ./helmchart -update` in tools/. Edit the chart, not this file.\n"
	files := map[string]string{
		"otelcol-rds.yaml": header + all,
		"podmonitor.yaml":  header + withPM["PodMonitor"][0] + "\n",
	}
	for name, want := range files {
		path := filepath.Join(plainDir, name)
		if *update {
			require.NoError(t, os.WriteFile(path, []byte(want), 0o644))
		}
		got, err := os.ReadFile(path)
		require.NoError(t, err)
		assert.Equal(t, want, string(got), "%s is not the chart's output: go test ./helmchart -update", name)
	}
}

// TestPrometheusScrapeConfig: the plain Prometheus scrape configuration keeps the chart's pods
// and their metrics port (Debian's promtool is built without Kubernetes discovery, so this
// checks the relabelling against the rendered StatefulSet instead).
func TestPrometheusScrapeConfig(t *testing.T) {
	b, err := os.ReadFile(filepath.Join(plainDir, "prometheus-scrape.yaml"))
	require.NoError(t, err)
	var cfg struct {
		ScrapeConfigs []struct {
			JobName   string `json:"job_name"`
			SDConfigs []struct {
				Role       string
				Namespaces struct{ Names []string }
			} `json:"kubernetes_sd_configs"`
			Relabel []struct {
				SourceLabels []string `json:"source_labels"`
				Regex        string
				Action       string
				TargetLabel  string `json:"target_label"`
			} `json:"relabel_configs"`
		} `json:"scrape_configs"`
	}
	require.NoError(t, yaml.Unmarshal(b, &cfg))
	require.Len(t, cfg.ScrapeConfigs, 1)
	sc := cfg.ScrapeConfigs[0]
	require.Len(t, sc.SDConfigs, 1)
	assert.Equal(t, "pod", sc.SDConfigs[0].Role)
	assert.Equal(t, []string{"monitoring"}, sc.SDConfigs[0].Namespaces.Names, "the namespace of deploy/kubernetes")

	_, docs := render(t, plainValues)
	sts := statefulSet(t, docs)
	// Prometheus's pod discovery meta labels for the rendered pod and its ports.
	meta := map[string][]string{}
	for k, v := range sts.Spec.Template.Labels {
		meta["__meta_kubernetes_pod_label_"+sanitize(k)] = []string{v}
	}
	meta["__meta_kubernetes_pod_label_apps_kubernetes_io_pod_index"] = []string{"0"} // set by the StatefulSet controller
	for _, p := range sts.Spec.Template.Spec.Containers[0].Ports {
		meta["__meta_kubernetes_pod_container_port_name"] = append(meta["__meta_kubernetes_pod_container_port_name"], p.Name)
	}
	kept := map[string]bool{}
	for _, port := range meta["__meta_kubernetes_pod_container_port_name"] {
		keep := true
		for _, r := range sc.Relabel {
			if r.Action != "keep" {
				continue
			}
			require.Len(t, r.SourceLabels, 1)
			v := meta[r.SourceLabels[0]]
			if r.SourceLabels[0] == "__meta_kubernetes_pod_container_port_name" {
				v = []string{port}
			}
			require.Len(t, v, 1, "%s is not a label of the chart's pods", r.SourceLabels[0])
			keep = keep && regexp.MustCompile("^(?:"+r.Regex+")$").MatchString(v[0])
		}
		kept[port] = keep
	}
	assert.Equal(t, map[string]bool{"metrics": true, "health": false}, kept, "targets kept per container port")
}

// sanitize is Prometheus's label name sanitizing of Kubernetes label names.
func sanitize(s string) string {
	return regexp.MustCompile(`[^a-zA-Z0-9_]`).ReplaceAllString(s, "_")
}

// TestChartVersion: the chart's appVersion, its default image tag, is the distribution's
// version (builder-config.yaml), the tag `make image` gives the image.
func TestChartVersion(t *testing.T) {
	chrt, err := loader.Load(chartDir)
	require.NoError(t, err)
	b, err := os.ReadFile("../../builder-config.yaml")
	require.NoError(t, err)
	m := regexp.MustCompile(`(?m)^dist:\n(?:  .*\n)*?  version: *(\S+)`).FindSubmatch(b)
	require.NotNil(t, m, "no dist version in builder-config.yaml")
	assert.Equal(t, string(m[1]), chrt.Metadata.AppVersion)
}
