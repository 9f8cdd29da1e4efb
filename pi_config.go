package awsrdsreceiver

import (
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/otelcol-rds/awsrdsreceiver/internal/pi"
)

// PerformanceInsightsConfig reads database load by wait event, SQL, user and host, and
// counters, from Performance Insights for every discovered instance that has it.
type PerformanceInsightsConfig struct {
	Enabled bool `mapstructure:"enabled"`
	// Top is how many wait events, statements, users and hosts are read per period (the
	// API's GroupBy Limit, 1 to 25): the cardinality bound per instance and dimension.
	Top int `mapstructure:"top"`
	// StatementText sets what db.query.text carries.
	StatementText StatementTextConfig `mapstructure:"statement_text"`
	// Delay holds back the newest period, so that only complete periods are read.
	Delay time.Duration `mapstructure:"delay"`
	// MaxLookback bounds how far back an instance's window reaches after failures.
	MaxLookback time.Duration `mapstructure:"max_lookback"`
	// MaxConcurrentRequests bounds the GetResourceMetrics calls in flight.
	MaxConcurrentRequests int `mapstructure:"max_concurrent_requests"`
	// Budget caps the GetResourceMetrics calls; the receiver then reads Performance
	// Insights less often, every period still read.
	Budget PIBudgetConfig `mapstructure:"budget"`
}

// PIBudgetConfig is a ceiling on Performance Insights calls. Zero means none.
type PIBudgetConfig struct {
	// RequestsPerMonth: the first 1,000,000 a month are free, then $0.01 per 1,000.
	RequestsPerMonth float64 `mapstructure:"requests_per_month"`
}

// StatementTextConfig: tokenized statements can still hold literals on some engines.
type StatementTextConfig struct {
	Enabled bool `mapstructure:"enabled"`
	// MaxLength cuts the text, in bytes (the API cuts at 500).
	MaxLength int `mapstructure:"max_length"`
}

func defaultPerformanceInsights() PerformanceInsightsConfig {
	return PerformanceInsightsConfig{
		Top:                   10,
		StatementText:         StatementTextConfig{Enabled: true, MaxLength: 200},
		Delay:                 30 * time.Second,
		MaxLookback:           time.Hour,
		MaxConcurrentRequests: 4,
	}
}

func (c PerformanceInsightsConfig) validate() error {
	var errs []error
	if c.Top < 1 || c.Top > pi.MaxGroupLimit {
		errs = append(errs, fmt.Errorf("top: %d must be between 1 and %d (the API's GroupBy limit)", c.Top, pi.MaxGroupLimit))
	}
	if c.StatementText.MaxLength < 1 || c.StatementText.MaxLength > pi.MaxDimensionBytes {
		errs = append(errs, fmt.Errorf("statement_text.max_length: %d must be between 1 and %d (the API cuts statements at %d bytes)",
			c.StatementText.MaxLength, pi.MaxDimensionBytes, pi.MaxDimensionBytes))
	}
	if c.Delay < 0 {
		errs = append(errs, fmt.Errorf("delay: %v must not be negative", c.Delay))
	}
	if c.MaxLookback < 10*time.Minute || c.MaxLookback > 7*24*time.Hour {
		errs = append(errs, fmt.Errorf("max_lookback: %v must be between 10m and 168h (the free tier keeps 7 days)", c.MaxLookback))
	}
	if c.Budget.RequestsPerMonth < 0 {
		errs = append(errs, fmt.Errorf("budget.requests_per_month: %v must not be negative", c.Budget.RequestsPerMonth))
	}
	if c.MaxConcurrentRequests < 1 {
		errs = append(errs, fmt.Errorf("max_concurrent_requests: %d must be at least 1", c.MaxConcurrentRequests))
	}
	return prefixed("performance_insights.", errors.Join(errs...))
}

// newPIGovernor is the cost governor of the Performance Insights calls: one call per
// instance per read, so reading every k-th cycle costs 1/k and, windows being contiguous,
// still returns every period.
// With a collection_interval under a minute (SQL every 10 s) it reads once a period.
func newPIGovernor(c PerformanceInsightsConfig, interval time.Duration) *governor {
	period := pi.PeriodFor(interval)
	base := interval
	if interval > 0 && interval < period {
		base = time.Duration(math.Ceil(float64(period)/float64(interval))) * interval
	}
	return &governor{
		budgetPerHour: c.Budget.RequestsPerMonth / (30 * 24), interval: interval, base: base,
		maxInterval: c.MaxLookback - period, effective: base,
	}
}
