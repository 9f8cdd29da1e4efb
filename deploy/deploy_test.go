// Package deploy holds no code: its tests check the Prometheus files under deploy/prometheus
// with promtool (the Debian package prometheus; .ci/run installs it).
package deploy

import (
	"os"
	"os/exec"
	"regexp"
	"testing"
)

func promtool(t *testing.T) string {
	t.Helper()
	path, err := exec.LookPath("promtool")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("promtool is not installed (Debian package prometheus): %v", err)
		}
		t.Skipf("promtool is not installed (Debian package prometheus): %v", err)
	}
	return path
}

// TestPrometheusFiles: the alert rules are valid, their unit tests pass, and the example
// scrape configuration loads with them.
func TestPrometheusFiles(t *testing.T) {
	bin := promtool(t)
	for _, args := range [][]string{
		{"check", "rules", "prometheus/alerts.yaml"},
		{"test", "rules", "prometheus/alerts_test.yaml"},
		{"check", "config", "prometheus/prometheus.yml"},
	} {
		out, err := exec.Command(bin, args...).CombinedOutput()
		if err != nil {
			t.Errorf("promtool %v: %v\n%s", args, err, out)
		}
	}
}

// TestEveryAlertIsUnitTested: alerts_test.yaml has, for every alert of alerts.yaml, a case
// where it fires and one where it must not.
func TestEveryAlertIsUnitTested(t *testing.T) {
	rules, err := os.ReadFile("prometheus/alerts.yaml")
	if err != nil {
		t.Fatal(err)
	}
	tests, err := os.ReadFile("prometheus/alerts_test.yaml")
	if err != nil {
		t.Fatal(err)
	}
	firing, silent := map[string]bool{}, map[string]bool{}
	caseRE := regexp.MustCompile(`(?m)^\s*- eval_time:`)
	nameRE := regexp.MustCompile(`(?m)^\s*alertname:\s*(\S+)`)
	idx := caseRE.FindAllIndex(tests, -1)
	for i, loc := range idx {
		end := len(tests)
		if i+1 < len(idx) {
			end = idx[i+1][0]
		}
		c := tests[loc[0]:end]
		m := nameRE.FindSubmatch(c)
		if m == nil {
			t.Errorf("test case without alertname: %s", c)
			continue
		}
		if regexp.MustCompile(`exp_alerts:\s*\[\]`).Match(c) {
			silent[string(m[1])] = true
		} else {
			firing[string(m[1])] = true
		}
	}
	alerts := regexp.MustCompile(`(?m)^\s*- alert:\s*(\S+)`).FindAllSubmatch(rules, -1)
	if len(alerts) == 0 {
		t.Fatal("no alert in alerts.yaml")
	}
	for _, a := range alerts {
		name := string(a[1])
		if !firing[name] {
			t.Errorf("alert %s: no unit test where it fires", name)
		}
		if !silent[name] {
			t.Errorf("alert %s: no unit test where it must not fire", name)
		}
	}
}
