package e2e

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/otelcol-rds/awsrdsreceiver/internal/simulator"
)

// checkPITruth waits for two Performance Insights samples of every PI-enabled instance,
// then compares every stored sample of load by wait event, SQL, user and host with the
// simulator's ground truth at its own timestamp; instances without PI have none.
func checkPITruth(t *testing.T, api promAPI, truth *simulator.Server, fleet simulator.Fleet) {
	t.Helper()
	rids := map[string]string{}
	for _, in := range truth.Fleet().Instances {
		rids[in.Identifier] = in.DbiResourceID
	}
	const byWait = "aws_rds_pi_db_load_wait_event[15m]"
	waitFor(t, "two Performance Insights samples of every PI-enabled instance", 150*time.Second, func() bool {
		n := map[string]int{}
		for _, r := range api.tryQuery(byWait) {
			id := r.Metric["aws_rds_db_instance_identifier"]
			n[id] = max(n[id], len(r.Values))
		}
		for _, in := range fleet.Instances {
			if in.PerformanceInsights && n[in.Identifier] < 2 {
				return false
			}
		}
		return true
	})
	assert.NotEmpty(t, api.query(`otelcol_receiver_awsrds_api_calls{operation="GetResourceMetrics", outcome="success"} > 0`))
	pis := 0
	for _, in := range fleet.Instances {
		if in.PerformanceInsights {
			pis++
		}
	}
	rs := api.query(`otelcol_receiver_awsrds_pi_requests_monthly_projected`)
	if assert.Len(t, rs, 1) {
		assert.Equal(t, float64(pis*43200), rs[0].value(t), "one call per PI instance a minute")
	}
	for _, c := range []struct {
		selector, group string
		key             func(map[string]string) map[string]string
	}{
		{byWait, "db.wait_event", func(l map[string]string) map[string]string {
			return map[string]string{"db.wait_event.name": l["aws_rds_pi_wait_event_name"], "db.wait_event.type": l["aws_rds_pi_wait_event_type"]}
		}},
		{"aws_rds_pi_db_load_sql[15m]", "db.sql_tokenized", func(l map[string]string) map[string]string {
			return map[string]string{"db.sql_tokenized.id": l["aws_rds_pi_sql_id"], "db.sql_tokenized.statement": truth.PIStatement(l["aws_rds_pi_sql_id"])}
		}},
		{"aws_rds_pi_db_load_user[15m]", "db.user", func(l map[string]string) map[string]string { return map[string]string{"db.user.name": l["db_user"]} }},
		{"aws_rds_pi_db_load_host[15m]", "db.host", func(l map[string]string) map[string]string {
			return map[string]string{"db.host.name": l["client_address"]}
		}},
	} {
		seen := map[string]int{}
		for _, r := range api.query(c.selector) {
			id := r.Metric["aws_rds_db_instance_identifier"]
			for _, s := range r.Values {
				ts, v := sampleOf(t, s)
				want, ok := truth.PILoad(rids[id], c.group, c.key(r.Metric), ts, time.Minute)
				require.True(t, ok, "%s %s %v: no ground truth at %v", c.selector, id, r.Metric, ts)
				assert.Equal(t, want, v, "%s %s %v at %v", c.selector, id, r.Metric, ts)
				seen[id]++
			}
		}
		for _, in := range fleet.Instances {
			if in.PerformanceInsights {
				assert.Positive(t, seen[in.Identifier], "%s: no sample for %s", c.selector, in.Identifier)
			} else {
				assert.Zero(t, seen[in.Identifier], "%s: %s has no Performance Insights", c.selector, in.Identifier)
			}
		}
	}
}
