// Package rdsprometheusexporter serves metrics on a Prometheus /metrics endpoint, as
// contrib's prometheus exporter does (the same names and labels, translated by the same
// library, github.com/prometheus/otlptranslator), but keeps each series as its rendered
// label text and last value instead of a pdata copy, and renders the exposition once per
// change rather than converting every series on every read.
package rdsprometheusexporter

import (
	"context"
	"time"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/config/confighttp"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/exporter"
	"go.opentelemetry.io/collector/exporter/exporterhelper"
)

// Type is the exporter's type in a collector configuration.
var Type = component.MustNewType("rdsprometheus")

// NewFactory returns the factory of the rdsprometheus exporter.
func NewFactory() exporter.Factory {
	return exporter.NewFactory(Type, createDefaultConfig,
		exporter.WithMetrics(createMetrics, component.StabilityLevelAlpha))
}

// createDefaultConfig has the defaults of contrib's prometheus exporter.
func createDefaultConfig() component.Config {
	return &Config{
		ServerConfig:     confighttp.NewDefaultServerConfig(),
		MetricExpiration: 5 * time.Minute,
	}
}

func createMetrics(ctx context.Context, set exporter.Settings, cfg component.Config) (exporter.Metrics, error) {
	c := cfg.(*Config)
	e := newExporter(c, set)
	return exporterhelper.NewMetrics(ctx, set, cfg, e.consume,
		exporterhelper.WithStart(e.start),
		exporterhelper.WithShutdown(e.shutdown),
		exporterhelper.WithCapabilities(consumer.Capabilities{MutatesData: false}))
}
