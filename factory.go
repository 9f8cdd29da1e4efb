package awsrdsreceiver

import (
	"context"
	"time"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/receiver"
	"go.opentelemetry.io/collector/scraper"
	"go.opentelemetry.io/collector/scraper/scraperhelper"

	"github.com/otelcol-rds/awsrdsreceiver/internal/metadata"
)

// NewFactory returns the factory of the awsrds receiver.
func NewFactory() receiver.Factory {
	return receiver.NewFactory(metadata.Type, createDefaultConfig,
		receiver.WithMetrics(createMetrics, metadata.MetricsStability))
}

// Defaults are explained in README.md ("Time windows" and "Cost").
func createDefaultConfig() component.Config {
	cc := scraperhelper.NewDefaultControllerConfig()
	cc.CollectionInterval = time.Minute
	return &Config{
		ControllerConfig:     cc,
		MetricsBuilderConfig: metadata.NewDefaultMetricsBuilderConfig(),
		Discovery:            DiscoveryConfig{RefreshInterval: 5 * time.Minute},
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
	}
}

func createMetrics(_ context.Context, set receiver.Settings, cfg component.Config, next consumer.Metrics) (receiver.Metrics, error) {
	c := cfg.(*Config)
	s := newScraper(c, set)
	sc, err := scraper.NewMetrics(s.scrape, scraper.WithStart(s.start), scraper.WithShutdown(s.shutdown))
	if err != nil {
		return nil, err
	}
	return scraperhelper.NewMetricsController(&c.ControllerConfig, set, next, scraperhelper.AddMetricsScraper(metadata.Type, sc))
}
