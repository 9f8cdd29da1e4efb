package awsrdsreceiver

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"go.opentelemetry.io/collector/receiver/receivertest"

	"github.com/otelcol-rds/awsrdsreceiver/internal/metadata"
	"github.com/otelcol-rds/awsrdsreceiver/internal/shard"
	"github.com/otelcol-rds/awsrdsreceiver/internal/sqlquery"
)

// Static SQL targets are no instance of the fleet: the shards split them by name, each
// to exactly one shard.
func TestStaticSQLTargetsSplitByName(t *testing.T) {
	const count, targets = 3, 30
	owner := map[string]int{}
	for i := range count {
		cfg := createDefaultConfig().(*Config)
		cfg.Sharding = shard.Shard{Count: count, Index: i}
		for n := range targets {
			cfg.SQL.Targets = append(cfg.SQL.Targets, sqlquery.TargetConfig{Name: fmt.Sprintf("reporting-%d", n), Engine: "postgresql", Host: "127.0.0.1", Port: 5432})
		}
		s := newScraper(cfg, receivertest.NewNopSettings(metadata.Type), time.Now)
		got := s.sqlTargets()
		assert.NotEmpty(t, got, "shard %d has a share of the targets", i)
		for _, tg := range got {
			if o, ok := owner[tg.Name]; ok {
				t.Errorf("target %s runs in shards %d and %d", tg.Name, o, i)
			}
			owner[tg.Name] = i
		}
	}
	assert.Len(t, owner, targets, "every static target runs in one shard")
}
