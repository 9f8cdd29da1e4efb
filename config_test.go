package awsrdsreceiver

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/confmap"
	"go.opentelemetry.io/collector/confmap/confmaptest"

	"github.com/otelcol-rds/awsrdsreceiver/internal/metadata"
	"github.com/otelcol-rds/awsrdsreceiver/internal/shard"
)

func loadConfig(t *testing.T, name string) *Config {
	t.Helper()
	cm, err := confmaptest.LoadConf(filepath.Join("testdata", "config.yaml"))
	require.NoError(t, err)
	sub, err := cm.Sub(component.NewIDWithName(metadata.Type, name).String())
	require.NoError(t, err)
	cfg := createDefaultConfig().(*Config)
	require.NoError(t, sub.Unmarshal(cfg))
	return cfg
}

func TestLoadConfig(t *testing.T) {
	def := loadConfig(t, "")
	require.NoError(t, confmap.Validate(def))
	assert.Equal(t, createDefaultConfig(), def)

	cfg := loadConfig(t, "full")
	require.NoError(t, confmap.Validate(cfg))
	assert.Equal(t, 5*time.Minute, cfg.CollectionInterval)
	assert.Equal(t, []string{"eu-west-1", "us-east-1"}, cfg.regions())
	assert.Equal(t, "arn:aws:iam::123456789012:role/otelcol-rds", cfg.RoleARN)
	assert.Equal(t, "http://127.0.0.1:4566", cfg.Endpoints.CloudWatch)
	assert.Equal(t, 10*time.Minute, cfg.Discovery.RefreshInterval)
	assert.Equal(t, shard.Shard{Count: 4, Index: 3}, cfg.Sharding)
	assert.Equal(t, []string{"prod", "staging"}, cfg.Discovery.Tags["env"])
	assert.Contains(t, cfg.Discovery.Tags, "team")
	assert.Equal(t, "p99", cfg.CloudWatch.Statistics["aws.rds.cpu.utilization"])
	assert.Equal(t, 8, cfg.CloudWatch.MaxAttempts)
	assert.False(t, cfg.Metrics.AwsRdsSwapUsage.Enabled)
	assert.True(t, cfg.Metrics.AwsRdsCPUUtilization.Enabled)
	assert.Equal(t, "http://127.0.0.1:4566", cfg.Endpoints.Logs)
	assert.Equal(t, LogsConfig{Types: []string{"error", "postgresql"}, PollInterval: 30 * time.Second, Overlap: 5 * time.Minute,
		RequestsPerSecond: 2, MaxConcurrentRequests: 2, Events: defaultEventsConfig(),
		SlowQueries: SlowQueriesConfig{Parse: true, QueryText: QueryTextTruncate, MaxQueryTextLength: 256, MetricsTopK: 20}}, cfg.Logs)
}

func TestValidateNamesTheFieldAndValue(t *testing.T) {
	tests := []struct {
		name   string
		modify func(*Config)
		want   string
	}{
		{"region", func(c *Config) { c.Region = "us east 1" }, `region: "us east 1" is not an AWS region`},
		{"regions entry", func(c *Config) { c.Regions = []string{"us-east-1", "EU-WEST-1"} }, `regions[1]: "EU-WEST-1"`},
		{"duplicate region", func(c *Config) { c.Regions = []string{"us-east-1", "us-east-1"} }, `regions[1]: "us-east-1" is listed twice`},
		{"role arn", func(c *Config) { c.RoleARN = "arn:aws:iam::12345:user/bob" }, `role_arn: "arn:aws:iam::12345:user/bob"`},
		{"external id without role", func(c *Config) { c.ExternalID = "x" }, `external_id: set, but`},
		{"rds endpoint", func(c *Config) { c.Endpoints.RDS = "127.0.0.1:4566" }, `endpoints.rds: "127.0.0.1:4566" is not an http(s) URL`},
		{"cloudwatch endpoint", func(c *Config) { c.Endpoints.CloudWatch = "ftp://x" }, `endpoints.cloudwatch: "ftp://x"`},
		{"sts endpoint", func(c *Config) { c.Endpoints.STS = "https://" }, `endpoints.sts: "https://"`},
		{"engine", func(c *Config) { c.Discovery.Engines = []string{"postgresql"} }, `discovery.engines[0]: unknown engine "postgresql"`},
		{"identifier regex", func(c *Config) { c.Discovery.Identifiers = []string{"orders-("} }, `discovery.identifiers[0]: invalid regular expression "orders-("`},
		{"tag value", func(c *Config) { c.Discovery.Tags = map[string][]string{"env": {""}} }, `discovery.tags[env]: empty tag value`},
		{"refresh interval", func(c *Config) { c.Discovery.RefreshInterval = 0 }, `discovery.refresh_interval: 0s must be at least 1s`},
		{"shard count", func(c *Config) { c.Sharding = shard.Shard{Count: 0} }, `sharding.count: 0 must be at least 1`},
		{"shard index", func(c *Config) { c.Sharding = shard.Shard{Count: 3, Index: 3} }, `sharding.index: 3 must be between 0 and count-1 (2)`},
		{"period not minutes", func(c *Config) { c.CloudWatch.Period = 90 * time.Second }, `cloudwatch.period: 1m30s must be a whole number of minutes`},
		{"negative delay", func(c *Config) { c.CloudWatch.Delay = -time.Second }, `cloudwatch.delay: -1s must not be negative`},
		{"negative overlap", func(c *Config) { c.CloudWatch.Overlap = -time.Minute }, `cloudwatch.overlap: -1m0s must not be negative`},
		{"lookback shorter than overlap", func(c *Config) { c.CloudWatch.MaxLookback = 2 * time.Minute }, `cloudwatch.max_lookback: 2m0s must be at least`},
		{"statistic", func(c *Config) { c.CloudWatch.Statistic = "Avg" }, `cloudwatch.statistic: "Avg" is not a CloudWatch statistic`},
		{"statistics metric", func(c *Config) { c.CloudWatch.Statistics = map[string]string{"aws.rds.cpu": "Maximum"} }, `cloudwatch.statistics: "aws.rds.cpu" is not a CloudWatch metric`},
		{"statistics value", func(c *Config) { c.CloudWatch.Statistics = map[string]string{"aws.rds.cpu.utilization": "max"} }, `cloudwatch.statistics[aws.rds.cpu.utilization]: "max"`},
		{"rate limit", func(c *Config) { c.CloudWatch.RequestsPerSecond = 0 }, `cloudwatch.requests_per_second: 0 must be in (0, 1000]`},
		{"concurrency", func(c *Config) { c.CloudWatch.MaxConcurrentRequests = 0 }, `cloudwatch.max_concurrent_requests: 0 must be between 1 and 100`},
		{"attempts", func(c *Config) { c.CloudWatch.MaxAttempts = 50 }, `cloudwatch.max_attempts: 50 must be between 1 and 20`},
		{"backoff", func(c *Config) { c.CloudWatch.MaxBackoff = 0 }, `cloudwatch.max_backoff: 0s is below 1s: AWS rate quotas are per second`},
		{"backoff below a second", func(c *Config) { c.CloudWatch.MaxBackoff = 500 * time.Millisecond }, `cloudwatch.max_backoff: 500ms is below 1s`},
		{"scrape timeout", func(c *Config) { c.Timeout = 5 * time.Second }, `timeout: 5s is below 10s: a cycle's paginated GetMetricData calls`},
		{"interval longer than lookback minus overlap", func(c *Config) { c.CollectionInterval = 4 * time.Hour },
			`collection_interval: 4h0m0s is longer than cloudwatch.max_lookback (3h0m0s) minus cloudwatch.overlap (5m0s), 2h55m0s: every cycle would leave a gap`},
		{"interval just over lookback minus overlap", func(c *Config) { c.CollectionInterval = 2*time.Hour + 56*time.Minute },
			`collection_interval: 2h56m0s is longer than`},
		{"lookback beyond 1-minute retention", func(c *Config) { c.CloudWatch.MaxLookback = 10000 * time.Hour },
			`cloudwatch.max_lookback: 10000h0m0s is beyond what CloudWatch keeps at cloudwatch.period 1m0s: 15 days`},
		{"lookback one minute beyond 15 days", func(c *Config) { c.CloudWatch.MaxLookback = 15*day + time.Minute },
			`cloudwatch.max_lookback: 360h1m0s is beyond what CloudWatch keeps at cloudwatch.period 1m0s: 15 days`},
		{"lookback beyond 15 days at 2m", func(c *Config) { setPeriod(c, 2*time.Minute); c.CloudWatch.MaxLookback = 16 * day },
			`cloudwatch.max_lookback: 384h0m0s is beyond what CloudWatch keeps at cloudwatch.period 2m0s: 15 days`},
		{"lookback beyond 5-minute retention", func(c *Config) { setPeriod(c, 5*time.Minute); c.CloudWatch.MaxLookback = 64 * day },
			`cloudwatch.max_lookback: 1536h0m0s is beyond what CloudWatch keeps at cloudwatch.period 5m0s: 63 days`},
		{"lookback beyond 63 days at 10m", func(c *Config) { setPeriod(c, 10*time.Minute); c.CloudWatch.MaxLookback = 64 * day },
			`cloudwatch.max_lookback: 1536h0m0s is beyond what CloudWatch keeps at cloudwatch.period 10m0s: 63 days`},
		{"lookback beyond 15 days at 7m", func(c *Config) { setPeriod(c, 7*time.Minute); c.CloudWatch.MaxLookback = 16 * day },
			`cloudwatch.max_lookback: 384h0m0s is beyond what CloudWatch keeps at cloudwatch.period 7m0s: 15 days`},
		{"lookback beyond 1-hour retention", func(c *Config) { setPeriod(c, time.Hour); c.CloudWatch.MaxLookback = 456 * day },
			`cloudwatch.max_lookback: 10944h0m0s is beyond what CloudWatch keeps at cloudwatch.period 1h0m0s: 455 days`},
		{"delay not a multiple of the period", func(c *Config) { c.CloudWatch.Delay = 90 * time.Second },
			`cloudwatch.delay: 1m30s is not a whole multiple of cloudwatch.period (1m0s)`},
		{"overlap not a multiple of the period", func(c *Config) { setPeriod(c, 2*time.Minute); c.CloudWatch.Overlap = 5 * time.Minute },
			`cloudwatch.overlap: 5m0s is not a whole multiple of cloudwatch.period (2m0s)`},
		{"no delay for a 5-minute period", func(c *Config) { setPeriod(c, 5*time.Minute); c.CloudWatch.Delay = 0 },
			`cloudwatch.delay: 0s must be at least cloudwatch.period (5m0s) when the period is longer than 1m: a period's aggregate is final only after its last minute is published`},
		{"delay shorter than a 1-hour period", func(c *Config) { setPeriod(c, time.Hour); c.CloudWatch.Delay = 0 },
			`cloudwatch.delay: 0s must be at least cloudwatch.period (1h0m0s)`},
		{"resource tag", func(c *Config) { c.ResourceTags = []string{"env", ""} }, `resource_tags[1]: empty tag key`},
		{"logs endpoint", func(c *Config) { c.Endpoints.Logs = "logs.local" }, `endpoints.logs: "logs.local" is not an http(s) URL`},
		{"log type", func(c *Config) { c.Logs.Types = []string{"error", "slow"} }, `logs.types[1]: "slow" is not an RDS log type`},
		{"log type twice", func(c *Config) { c.Logs.Types = []string{"error", "error"} }, `logs.types[1]: "error" is listed twice`},
		{"log poll interval", func(c *Config) { c.Logs.PollInterval = 0 }, `logs.poll_interval: 0s must be at least 1s`},
		{"log lookback", func(c *Config) { c.Logs.InitialLookback = -time.Second }, `logs.initial_lookback: -1s must not be negative`},
		{"log overlap", func(c *Config) { c.Logs.Overlap = -time.Second }, `logs.overlap: -1s must not be negative`},
		{"event source type", func(c *Config) { c.Logs.Events.SourceTypes = []string{"db-instance", "db"} }, `logs.events.source_types[1]: "db" is not an RDS event source type`},
		{"event source type twice", func(c *Config) { c.Logs.Events.SourceTypes = []string{"db-proxy", "db-proxy"} }, `logs.events.source_types[1]: "db-proxy" is listed twice`},
		{"event lookback", func(c *Config) { c.Logs.Events.InitialLookback = 15 * 24 * time.Hour }, `logs.events.initial_lookback: 360h0m0s must be between 0 and 336h`},
		{"event overlap", func(c *Config) { c.Logs.Events.Overlap = -time.Second }, `logs.events.overlap: -1s must be between 0 and 1h`},
		{"log rate limit", func(c *Config) { c.Logs.RequestsPerSecond = 500 }, `logs.requests_per_second: 500 must be in (0, 100]`},
		{"log concurrency", func(c *Config) { c.Logs.MaxConcurrentRequests = 0 }, `logs.max_concurrent_requests: 0 must be between 1 and 100`},
		{"slow query text", func(c *Config) { c.Logs.SlowQueries.QueryText = "hide" }, `logs.slow_queries.query_text: "hide" must be keep, truncate or drop`},
		{"slow query text length", func(c *Config) { c.Logs.SlowQueries.QueryText = "truncate"; c.Logs.SlowQueries.MaxQueryTextLength = 0 }, `logs.slow_queries.max_query_text_length: 0 must be at least 16 with query_text: truncate`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := createDefaultConfig().(*Config)
			tt.modify(cfg)
			err := confmap.Validate(cfg)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.want)
			// One mistake, one message, which names the field once.
			field, _, _ := strings.Cut(tt.want, ": ")
			assert.Equal(t, 1, strings.Count(err.Error(), field+": "), "%s named once in:\n%v", field, err)
		})
	}
}

// setPeriod sets cloudwatch.period and the settings that must follow it (delay of one period
// above 1m, overlap a multiple of it, collection_interval at least one period).
func setPeriod(c *Config, p time.Duration) {
	c.CloudWatch.Period = p
	c.CloudWatch.Overlap = p
	c.CollectionInterval = p
	if p > time.Minute {
		c.CloudWatch.Delay = p
	}
}

// TestValidateAcceptsTheLimits: the boundaries of the CloudWatch rules are valid.
func TestValidateAcceptsTheLimits(t *testing.T) {
	tests := []struct {
		name   string
		modify func(*Config)
	}{
		{"defaults", func(*Config) {}},
		{"every 10 s for SQL: CloudWatch every period", func(c *Config) { c.CollectionInterval = 10 * time.Second }},
		{"interval equal to lookback minus overlap", func(c *Config) { c.CollectionInterval = 2*time.Hour + 55*time.Minute }},
		{"1-minute data for 15 days", func(c *Config) { c.CloudWatch.MaxLookback = 15 * day }},
		{"5-minute data for 63 days", func(c *Config) { setPeriod(c, 5*time.Minute); c.CloudWatch.MaxLookback = 63 * day }},
		{"15-minute data for 63 days", func(c *Config) { setPeriod(c, 15*time.Minute); c.CloudWatch.MaxLookback = 63 * day }},
		{"1-hour data for 455 days", func(c *Config) { setPeriod(c, time.Hour); c.CloudWatch.MaxLookback = 455 * day }},
		{"1-day data for 455 days", func(c *Config) { setPeriod(c, 24*time.Hour); c.CloudWatch.MaxLookback = 455 * day }},
		{"delay and overlap in whole periods", func(c *Config) { c.CloudWatch.Delay, c.CloudWatch.Overlap = 2*time.Minute, 3*time.Minute }},
		{"delay of two 5-minute periods", func(c *Config) { setPeriod(c, 5*time.Minute); c.CloudWatch.Delay = 10 * time.Minute }},
		{"no overlap", func(c *Config) { c.CloudWatch.Overlap = 0 }},
		{"backoff of a second", func(c *Config) { c.CloudWatch.MaxBackoff = time.Second }},
		{"scrape timeout of 10s", func(c *Config) { c.Timeout = 10 * time.Second }},
		{"no scrape timeout", func(c *Config) { c.Timeout = 0 }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := createDefaultConfig().(*Config)
			tt.modify(cfg)
			assert.NoError(t, confmap.Validate(cfg))
		})
	}
}

// TestConfigEmptyRegion: `region: ""` in YAML fails validation; no key, or a null value (what
// `${env:AWS_REGION}` resolves to when the variable is unset or empty), means the SDK's region.
// e2e's TestValidateNamesTheBadField checks the variables with the built collector.
func TestConfigEmptyRegion(t *testing.T) {
	err := confmap.Validate(loadConfig(t, "empty_region"))
	require.Error(t, err)
	assert.Equal(t, `region: "" is empty; leave the key out to use the SDK's region (AWS_REGION, the profile's region)`, err.Error())

	for _, name := range []string{"", "null_region"} {
		cfg := loadConfig(t, name)
		assert.NoError(t, confmap.Validate(cfg), name)
		assert.Equal(t, []string{""}, cfg.regions(), "the SDK's region")
	}

	// Decoding the same struct again with a region clears the mark.
	cfg := loadConfig(t, "empty_region")
	require.NoError(t, confmap.NewFromStringMap(map[string]any{"region": "eu-west-1"}).Unmarshal(cfg))
	assert.NoError(t, confmap.Validate(cfg))
}
