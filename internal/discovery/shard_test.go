package discovery_test

import (
	"context"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/rds"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/otelcol-rds/awsrdsreceiver/internal/discovery"
	"github.com/otelcol-rds/awsrdsreceiver/internal/shard"
	"github.com/otelcol-rds/awsrdsreceiver/internal/simulator"
)

// TestGrowingFromThreeToFourShardsMovesAQuarter discovers the simulator's generated
// 1,000-instance fleet (with its Aurora and Multi-AZ clusters) over HTTP with 3 and then
// 4 shards: about a quarter of the instances change shard, all to the new one, and every
// cluster keeps its members together.
func TestGrowingFromThreeToFourShardsMovesAQuarter(t *testing.T) {
	const instances = 1000
	client := simulatedRDS(t, simulator.GenerateFleet(instances, 1))
	all, err := discovery.FilterConfig{}.Compile()
	require.NoError(t, err)
	owners := func(count int) map[string]int {
		out := map[string]int{}
		for i := range count {
			sh := shard.Shard{Count: count, Index: i}
			fleet, err := discovery.Describe(context.Background(), client, all.Sharded(sh.Owns), time.Now())
			require.NoError(t, err)
			for _, in := range fleet.Instances {
				out[in.Identifier] = i
			}
			for _, c := range fleet.Clusters {
				for _, m := range c.Members {
					if o, ok := out[m.Identifier]; ok {
						assert.Equal(t, i, o, "cluster %s: member %s in another shard", c.Identifier, m.Identifier)
					}
				}
			}
		}
		return out
	}
	three, four := owners(3), owners(4)
	require.Len(t, three, instances)
	require.Len(t, four, instances)
	moved := 0
	for id, o := range three {
		if four[id] != o {
			moved++
			assert.Equal(t, 3, four[id], "%s moved from shard %d to %d, not to the new shard", id, o, four[id])
		}
	}
	t.Logf("3 -> 4 shards: %d of %d instances moved (a quarter: %d)", moved, instances, instances/4)
	assert.InDelta(t, instances/4, moved, instances*0.05, "about a quarter moves")
}

// TestShardsSplitProxiesAndMemberlessClusters: across 3 shards of the mixed fleet, each
// proxy, each cluster without instances (Serverless v1, Limitless) and each shard group
// is watched by exactly one shard, and a proxy keeps all its targets.
func TestShardsSplitProxiesAndMemberlessClusters(t *testing.T) {
	fleet, err := simulator.LoadFleet("../../testdata/simulator/fleet-mixed.yaml")
	require.NoError(t, err)
	client := simulatedRDS(t, fleet)
	all, err := discovery.FilterConfig{}.Compile()
	require.NoError(t, err)
	seen := map[string]int{}
	for i := range 3 {
		f, err := discovery.Describe(context.Background(), client, all.Sharded(shard.Shard{Count: 3, Index: i}.Owns), time.Now())
		require.NoError(t, err)
		for _, p := range f.Proxies {
			seen["proxy "+p.Name]++
			if p.Name == "ledger-proxy" {
				assert.Len(t, p.Targets, 2, "a proxy keeps its targets whatever shard their instances are in")
			}
		}
		for _, c := range f.Clusters {
			if len(c.Members) == 0 {
				seen["cluster "+c.Identifier]++
			}
		}
		for _, g := range f.ShardGroups {
			seen["shard group "+g.Identifier]++
		}
	}
	assert.Equal(t, map[string]int{"proxy ledger-proxy": 1, "proxy crm-proxy": 1, "cluster legacy": 1, "cluster orders": 1, "shard group orders-sg": 1}, seen)
}

// simulatedRDS is an RDS client of a simulator serving fleet over HTTP.
func simulatedRDS(t *testing.T, fleet simulator.Fleet) *rds.Client {
	srv := httptest.NewServer(simulator.New(simulator.Config{Fleet: fleet}))
	t.Cleanup(srv.Close)
	return rds.New(rds.Options{
		Region: "us-east-1", Credentials: credentials.NewStaticCredentialsProvider("AKIDTEST", "secret", ""),
		BaseEndpoint: aws.String(srv.URL), HTTPClient: simulator.HTTPClient(),
	})
}
