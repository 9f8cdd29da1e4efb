package awsrdsreceiver

import (
	"context"
	"time"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/receiver"
	"go.opentelemetry.io/collector/scraper"
	"go.opentelemetry.io/collector/scraper/scraperhelper"

	"github.com/otelcol-rds/awsrdsreceiver/internal/clock"
	"github.com/otelcol-rds/awsrdsreceiver/internal/metadata"
	"github.com/otelcol-rds/awsrdsreceiver/internal/shard"
)

// NewFactory returns the factory of the awsrds receiver.
func NewFactory() receiver.Factory {
	return receiver.NewFactory(metadata.Type, createDefaultConfig,
		receiver.WithMetrics(createMetrics, metadata.MetricsStability),
		receiver.WithLogs(createLogs, metadata.LogsStability))
}

// Defaults are explained in README.md ("Time windows" and "Cost").
func createDefaultConfig() component.Config {
	cc := scraperhelper.NewDefaultControllerConfig()
	cc.CollectionInterval = time.Minute
	return &Config{
		ControllerConfig:     cc,
		MetricsBuilderConfig: metadata.NewDefaultMetricsBuilderConfig(),
		Discovery:            DiscoveryConfig{RefreshInterval: 5 * time.Minute},
		Sharding:             shard.Shard{Count: 1},
		CloudWatch: CloudWatchConfig{
			Period:                time.Minute,
			Delay:                 0,
			Overlap:               5 * time.Minute,
			MaxLookback:           3 * time.Hour,
			Statistic:             "Average",
			RequestsPerSecond:     50,
			MaxConcurrentRequests: 10,
			MaxAttempts:           5,
			MaxBackoff:            20 * time.Second,
		},
		Logs: LogsConfig{
			PollInterval:          time.Minute,
			InitialLookback:       time.Minute,
			Overlap:               2 * time.Minute,
			RequestsPerSecond:     4, // of the account's 5, leaving room for other clients
			MaxConcurrentRequests: 4,
			SlowQueries:           SlowQueriesConfig{Parse: true, QueryText: QueryTextKeep, MaxQueryTextLength: 4096, MetricsTopK: 20},
			Events:                defaultEventsConfig(),
		},
		PerformanceInsights: defaultPerformanceInsights(),
		EnhancedMonitoring:  defaultEnhancedMonitoringConfig(),
	}
}

func createMetrics(_ context.Context, set receiver.Settings, cfg component.Config, next consumer.Metrics) (receiver.Metrics, error) {
	c := cfg.(*Config)
	clk, err := clock.FromEnv()
	if err != nil {
		return nil, err
	}
	s := newScraper(c, set, clk.Now)
	sc, err := scraper.NewMetrics(s.scrape, scraper.WithStart(s.start), scraper.WithShutdown(s.shutdown))
	if err != nil {
		return nil, err
	}
	// The controller hands each scrape's output to the pipeline right after the scrape, on
	// the same goroutine: the scraper's state moves on only once the pipeline took it.
	deliver, err := consumer.NewMetrics(func(ctx context.Context, md pmetric.Metrics) error {
		err := next.ConsumeMetrics(ctx, md)
		s.delivered(ctx, err)
		return err
	})
	if err != nil {
		return nil, err
	}
	opts := []scraperhelper.ControllerOption{scraperhelper.AddMetricsScraper(metadata.Type, sc)}
	if clk.Scaled() {
		// A test clock runs faster than real time: so do the scrapes.
		opts = append(opts, scraperhelper.WithTickerChannel(time.NewTicker(clk.Real(c.CollectionInterval)).C))
	}
	return s.sqlFirst(scraperhelper.NewMetricsController(&c.ControllerConfig, set, deliver, opts...))
}

// createLogs reads the log groups of the discovered instances every logs.poll_interval.
func createLogs(_ context.Context, set receiver.Settings, cfg component.Config, next consumer.Logs) (receiver.Logs, error) {
	c := cfg.(*Config)
	s := newLogsScraper(c, set)
	f := scraper.NewFactory(metadata.Type, nil, scraper.WithLogs(func(context.Context, scraper.Settings, component.Config) (scraper.Logs, error) {
		return scraper.NewLogs(s.scrape, scraper.WithStart(s.start), scraper.WithShutdown(s.shutdown))
	}, metadata.LogsStability))
	cc := c.ControllerConfig
	cc.CollectionInterval = c.Logs.PollInterval
	// As for metrics: the RDS events cursor moves on only once the pipeline took the records.
	deliver, err := consumer.NewLogs(func(ctx context.Context, ld plog.Logs) error {
		err := next.ConsumeLogs(ctx, ld)
		s.delivered(ctx, err)
		return err
	})
	if err != nil {
		return nil, err
	}
	return scraperhelper.NewLogsController(&cc, set, deliver, scraperhelper.AddFactoryWithConfig(f, c))
}
