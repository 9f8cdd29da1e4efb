package rdsprometheusexporter

import (
	"errors"
	"fmt"
	"time"

	"github.com/open-telemetry/opentelemetry-collector-contrib/pkg/resourcetotelemetry"
	"go.opentelemetry.io/collector/config/confighttp"
	"go.opentelemetry.io/collector/confmap"
)

// unsupported are contrib's prometheus exporter settings this exporter does not
// implement: refused rather than ignored (confighttp's squashed server settings would
// let any unknown key through).
var unsupported = []string{
	"namespace", "const_labels", "enable_open_metrics", "add_metric_suffixes", "translation_strategy",
	"resource_to_telemetry_conversion", "sending_queue",
}

// Unmarshal refuses the unsupported settings, then decodes the others.
func (c *Config) Unmarshal(conf *confmap.Conf) error {
	for _, k := range unsupported {
		if conf.IsSet(k) {
			return fmt.Errorf("%s is not supported by the rdsprometheus exporter (contrib's prometheus exporter has it)", k)
		}
	}
	type plain Config // without this method
	return conf.Unmarshal((*plain)(c))
}

// Config is the subset of contrib's prometheus exporter configuration that this exporter
// implements, under the same keys and with the same meaning; any other key is rejected.
type Config struct {
	ServerConfig confighttp.ServerConfig `mapstructure:",squash"`

	// SendTimestamps writes each sample's own timestamp (CloudWatch's minute).
	SendTimestamps bool `mapstructure:"send_timestamps"`

	// MetricExpiration drops a series not updated for this long.
	MetricExpiration time.Duration `mapstructure:"metric_expiration"`

	// ResourceConstantLabels picks the resource attributes that become labels of every
	// series of the resource (included and excluded patterns, '*' and '?' wildcards).
	ResourceConstantLabels resourcetotelemetry.Settings `mapstructure:"resource_constant_labels"`

	// WithoutScopeInfo leaves out the otel_scope_* labels.
	WithoutScopeInfo bool `mapstructure:"without_scope_info"`
}

// Validate rejects what the prometheus exporter rejects in resource_constant_labels.
func (c *Config) Validate() error {
	//nolint:staticcheck // the deprecated fields are refused, as contrib's exporter does
	if c.ResourceConstantLabels.Enabled || c.ResourceConstantLabels.ExcludeServiceAttributes {
		return errors.New("enabled and exclude_service_attributes are not supported under resource_constant_labels; use included and excluded instead")
	}
	if c.MetricExpiration <= 0 {
		return errors.New("metric_expiration must be positive")
	}
	return c.ResourceConstantLabels.Validate()
}
