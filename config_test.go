package awsrdsreceiver

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/confmap"
	"go.opentelemetry.io/collector/confmap/confmaptest"

	"github.com/otelcol-rds/awsrdsreceiver/internal/metadata"
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
	assert.Equal(t, []string{"prod", "staging"}, cfg.Discovery.Tags["env"])
	assert.Contains(t, cfg.Discovery.Tags, "team")
	assert.Equal(t, "p99", cfg.CloudWatch.Statistics["aws.rds.cpu.utilization"])
	assert.Equal(t, 8, cfg.CloudWatch.MaxAttempts)
	assert.False(t, cfg.Metrics.AwsRdsSwapUsage.Enabled)
	assert.True(t, cfg.Metrics.AwsRdsCPUUtilization.Enabled)
	assert.Equal(t, "http://127.0.0.1:4566", cfg.Endpoints.Logs)
	assert.Equal(t, LogsConfig{Types: []string{"error", "postgresql"}, PollInterval: 30 * time.Second, Overlap: 5 * time.Minute,
		RequestsPerSecond: 2, MaxConcurrentRequests: 2}, cfg.Logs)
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
		{"period not minutes", func(c *Config) { c.CloudWatch.Period = 90 * time.Second }, `cloudwatch.period: 1m30s must be a whole number of minutes`},
		{"interval shorter than period", func(c *Config) { c.CollectionInterval = 30 * time.Second }, `collection_interval: 30s is shorter than cloudwatch.period 1m0s`},
		{"negative delay", func(c *Config) { c.CloudWatch.Delay = -time.Second }, `cloudwatch.delay: -1s must not be negative`},
		{"negative overlap", func(c *Config) { c.CloudWatch.Overlap = -time.Minute }, `cloudwatch.overlap: -1m0s must not be negative`},
		{"lookback shorter than overlap", func(c *Config) { c.CloudWatch.MaxLookback = 2 * time.Minute }, `cloudwatch.max_lookback: 2m0s must be at least`},
		{"statistic", func(c *Config) { c.CloudWatch.Statistic = "Avg" }, `cloudwatch.statistic: "Avg" is not a CloudWatch statistic`},
		{"statistics metric", func(c *Config) { c.CloudWatch.Statistics = map[string]string{"aws.rds.cpu": "Maximum"} }, `cloudwatch.statistics: "aws.rds.cpu" is not a CloudWatch metric`},
		{"statistics value", func(c *Config) { c.CloudWatch.Statistics = map[string]string{"aws.rds.cpu.utilization": "max"} }, `cloudwatch.statistics[aws.rds.cpu.utilization]: "max"`},
		{"rate limit", func(c *Config) { c.CloudWatch.RequestsPerSecond = 0 }, `cloudwatch.requests_per_second: 0 must be in (0, 1000]`},
		{"concurrency", func(c *Config) { c.CloudWatch.MaxConcurrentRequests = 0 }, `cloudwatch.max_concurrent_requests: 0 must be between 1 and 100`},
		{"attempts", func(c *Config) { c.CloudWatch.MaxAttempts = 50 }, `cloudwatch.max_attempts: 50 must be between 1 and 20`},
		{"backoff", func(c *Config) { c.CloudWatch.MaxBackoff = 0 }, `cloudwatch.max_backoff: 0s must be positive`},
		{"resource tag", func(c *Config) { c.ResourceTags = []string{"env", ""} }, `resource_tags[1]: empty tag key`},
		{"logs endpoint", func(c *Config) { c.Endpoints.Logs = "logs.local" }, `endpoints.logs: "logs.local" is not an http(s) URL`},
		{"log type", func(c *Config) { c.Logs.Types = []string{"error", "slow"} }, `logs.types[1]: "slow" is not an RDS log type`},
		{"log type twice", func(c *Config) { c.Logs.Types = []string{"error", "error"} }, `logs.types[1]: "error" is listed twice`},
		{"log poll interval", func(c *Config) { c.Logs.PollInterval = 0 }, `logs.poll_interval: 0s must be at least 1s`},
		{"log lookback", func(c *Config) { c.Logs.InitialLookback = -time.Second }, `logs.initial_lookback: -1s must not be negative`},
		{"log overlap", func(c *Config) { c.Logs.Overlap = -time.Second }, `logs.overlap: -1s must not be negative`},
		{"log rate limit", func(c *Config) { c.Logs.RequestsPerSecond = 500 }, `logs.requests_per_second: 500 must be in (0, 100]`},
		{"log concurrency", func(c *Config) { c.Logs.MaxConcurrentRequests = 0 }, `logs.max_concurrent_requests: 0 must be between 1 and 100`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := createDefaultConfig().(*Config)
			tt.modify(cfg)
			err := confmap.Validate(cfg)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.want)
		})
	}
}
