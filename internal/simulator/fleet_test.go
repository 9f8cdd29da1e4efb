package simulator_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/otelcol-rds/awsrdsreceiver/internal/simulator"
)

func TestLoadFleetSmall(t *testing.T) {
	f := smallFleet(t)
	require.Len(t, f.Instances, 7)
	require.Len(t, f.Clusters, 2)

	byID := map[string]simulator.Instance{}
	for _, in := range f.Instances {
		byID[in.Identifier] = in
	}
	assert.Equal(t, "mysql-a", byID["mysql-a-replica"].ReplicaSourceIdentifier)
	assert.Equal(t, "gp3", byID["mysql-a-replica"].StorageType)
	assert.Equal(t, "gp2", byID["mysql-a"].StorageType)
	assert.True(t, byID["pg-a"].PerformanceInsights)
	assert.Equal(t, "db.t3.micro", byID["maria-t3"].Class)
	assert.Empty(t, byID["maria-t3"].Tags, "one instance must be untagged")
	assert.Equal(t, "db.serverless", byID["aurora-pg-1"].Class)
	assert.Equal(t, "prod", byID["mysql-a"].Tags["env"])

	clusters := map[string]simulator.Cluster{}
	for _, c := range f.Clusters {
		clusters[c.Identifier] = c
	}
	assert.Equal(t, []simulator.ClusterMember{{InstanceIdentifier: "aurora-a-1", IsWriter: true}, {InstanceIdentifier: "aurora-a-2"}},
		clusters["aurora-a"].Members)
	assert.True(t, clusters["aurora-pg"].Serverless)
}

func TestParseFleetRejects(t *testing.T) {
	tests := []struct {
		name, yaml, want string
	}{
		{"unknown field", "instances:\n  - {identifier: a, engine: mysql, class: db.t3.micro, colour: red}\n", "colour"},
		{"duplicate", "instances:\n  - {identifier: a, engine: mysql, class: db.t3.micro}\n  - {identifier: a, engine: mysql, class: db.t3.micro}\n", "duplicate"},
		{"uppercase", "instances:\n  - {identifier: A, engine: mysql, class: db.t3.micro}\n", "lowercase"},
		{"engine", "instances:\n  - {identifier: a, engine: informix, class: db.m5.large}\n", "unknown engine"},
		{"replica source", "instances:\n  - {identifier: a, engine: mysql, class: db.m5.large, replica_source: b}\n", "does not exist"},
		{"member", "clusters:\n  - {identifier: c, engine: aurora-mysql, members: [{instance: x, writer: true}]}\n", "member \"x\""},
		{"aurora alone", "instances:\n  - {identifier: a, engine: aurora-mysql, class: db.r6g.large}\n", "without a cluster"},
		{"two writers", "instances:\n  - {identifier: a, engine: aurora-mysql, class: db.r6g.large}\n  - {identifier: b, engine: aurora-mysql, class: db.r6g.large}\n" +
			"clusters:\n  - {identifier: c, engine: aurora-mysql, members: [{instance: a, writer: true}, {instance: b, writer: true}]}\n", "2 writers"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := simulator.ParseFleet([]byte(tt.yaml))
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.want)
		})
	}
}

func TestGenerateFleetDeterministicAndValid(t *testing.T) {
	for _, n := range []int{0, 1, 2, 3, 7, 20, 250} {
		f := simulator.GenerateFleet(n, 42)
		require.Len(t, f.Instances, n)
		require.NoError(t, f.Validate(), "n=%d", n)
		assert.Equal(t, f, simulator.GenerateFleet(n, 42), "same seed, same fleet")
		seen := map[string]bool{}
		for _, in := range f.Instances {
			assert.Equal(t, strings.ToLower(in.Identifier), in.Identifier)
			assert.False(t, seen[in.Identifier], "duplicate %s", in.Identifier)
			seen[in.Identifier] = true
		}
		for _, c := range f.Clusters {
			assert.False(t, seen[c.Identifier], "cluster id %s clashes", c.Identifier)
			assert.True(t, len(c.Members) == 2 || len(c.Members) == 3, "cluster %s has %d members", c.Identifier, len(c.Members))
		}
	}
	assert.NotEqual(t, simulator.GenerateFleet(50, 1), simulator.GenerateFleet(50, 2))
}

func TestGenerateFleetMix(t *testing.T) {
	const n = 1000
	f := simulator.GenerateFleet(n, 7)
	count := func(pred func(simulator.Instance) bool) float64 {
		k := 0
		for _, in := range f.Instances {
			if pred(in) {
				k++
			}
		}
		return float64(k) / n
	}
	shares := []struct {
		name   string
		lo, hi float64
		pred   func(simulator.Instance) bool
	}{
		{"mysql", 0.30, 0.40, func(in simulator.Instance) bool { return in.Engine == simulator.EngineMySQL }},
		{"postgres", 0.25, 0.35, func(in simulator.Instance) bool { return in.Engine == simulator.EnginePostgres }},
		{"mariadb", 0.03, 0.07, func(in simulator.Instance) bool { return in.Engine == simulator.EngineMariaDB }},
		{"aurora", 0.25, 0.35, func(in simulator.Instance) bool { return simulator.IsAurora(in.Engine) }},
		{"replicas", 0.07, 0.13, func(in simulator.Instance) bool { return in.ReplicaSourceIdentifier != "" }},
		{"burstable", 0.12, 0.28, func(in simulator.Instance) bool { return simulator.IsBurstable(in.Class) }},
		{"performance insights", 0.22, 0.38, func(in simulator.Instance) bool { return in.PerformanceInsights }},
		{"untagged", 0.02, 0.09, func(in simulator.Instance) bool { return len(in.Tags) == 0 }},
		{"gp2", 0.2, 0.4, func(in simulator.Instance) bool { return in.StorageType == "gp2" }},
		{"gp3", 0.2, 0.4, func(in simulator.Instance) bool { return in.StorageType == "gp3" }},
		{"io1", 0.05, 0.15, func(in simulator.Instance) bool { return in.StorageType == "io1" }},
		{"serverless", 0.02, 0.2, func(in simulator.Instance) bool { return in.Class == "db.serverless" }},
	}
	for _, s := range shares {
		got := count(s.pred)
		assert.True(t, got >= s.lo && got <= s.hi, "%s share %.3f not in [%.2f, %.2f]", s.name, got, s.lo, s.hi)
	}
	engines := map[string]bool{}
	envs := map[string]bool{}
	global := false
	for _, c := range f.Clusters {
		engines[c.Engine] = true
		envs[c.Tags["env"]] = true
		global = global || c.GlobalClusterIdentifier != ""
	}
	assert.True(t, engines[simulator.EngineAuroraMySQL] && engines[simulator.EngineAuroraPostgreSQL])
	assert.True(t, global, "some cluster should be a global database member")
	for _, in := range f.Instances {
		envs[in.Tags["env"]] = true
		if in.ReplicaSourceIdentifier != "" {
			assert.NotContains(t, in.ReplicaSourceIdentifier, "replica", "replicas replicate from primaries")
		}
	}
	assert.Subset(t, mapsKeys(envs), []string{"prod", "staging", "dev"})
}

func mapsKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}
