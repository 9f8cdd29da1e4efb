package awsrdsreceiver

import (
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"time"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/confmap"
	"go.opentelemetry.io/collector/scraper/scraperhelper"

	"github.com/otelcol-rds/awsrdsreceiver/internal/awsconfig"
	"github.com/otelcol-rds/awsrdsreceiver/internal/catalog"
	"github.com/otelcol-rds/awsrdsreceiver/internal/discovery"
	"github.com/otelcol-rds/awsrdsreceiver/internal/metadata"
	"github.com/otelcol-rds/awsrdsreceiver/internal/rdslogs"
	"github.com/otelcol-rds/awsrdsreceiver/internal/shard"
	"github.com/otelcol-rds/awsrdsreceiver/internal/sqlquery"
)

// Config is the awsrds receiver's configuration.
type Config struct {
	scraperhelper.ControllerConfig `mapstructure:",squash"`
	metadata.MetricsBuilderConfig  `mapstructure:",squash"`

	// Region is the AWS region to watch; empty means the SDK's (AWS_REGION, profile). Leaving
	// the key out, or a value that resolves to nothing (`${env:AWS_REGION}` with the variable
	// unset or empty), selects the SDK's region; an explicit empty string is an error (see
	// Unmarshal).
	Region string `mapstructure:"region"`
	// regionEmpty records an explicit empty region in the YAML, which Validate rejects.
	regionEmpty bool
	// Regions watches several regions with one receiver; combined with Region.
	Regions []string `mapstructure:"regions"`
	// Profile is a shared-config profile name (~/.aws/config, ~/.aws/credentials).
	Profile string `mapstructure:"profile"`
	// RoleARN is assumed through STS on top of the base credentials.
	RoleARN string `mapstructure:"role_arn"`
	// ExternalID is passed with RoleARN when the role's trust policy requires it.
	ExternalID string `mapstructure:"external_id"`
	// Endpoints override service endpoints (VPC endpoints, simulators).
	Endpoints awsconfig.Endpoints `mapstructure:"endpoints"`
	// Storage names a storage extension (file_storage) that keeps the CloudWatch windows
	// and per-series high-water marks across restarts and reloads; nil keeps them in memory.
	Storage *component.ID `mapstructure:"storage"`

	Discovery  DiscoveryConfig  `mapstructure:"discovery"`
	CloudWatch CloudWatchConfig `mapstructure:"cloudwatch"`

	// Sharding splits the discovered fleet among `count` collectors: this one collects
	// share `index` (CloudWatch, logs and SQL of its instances; static SQL targets by name).
	// Discovery, which is free, runs in every shard. See internal/shard.
	Sharding shard.Shard `mapstructure:"sharding"`

	// ResourceTags are RDS tag keys copied to resource attributes aws.rds.tag.<key>.
	ResourceTags []string `mapstructure:"resource_tags"`

	// Logs reads the RDS logs published to CloudWatch Logs when the receiver is in a logs pipeline.
	Logs LogsConfig `mapstructure:"logs"`

	// EnhancedMonitoring reads the OS metrics of instances with Enhanced Monitoring on.
	EnhancedMonitoring EnhancedMonitoringConfig `mapstructure:"enhanced_monitoring"`

	// SQL declares queries whose rows become metrics, run on discovered instances and
	// static targets. Its own Validate is called by the collector's config walk.
	SQL sqlquery.Config `mapstructure:"sql"`

	// PerformanceInsights reads load by wait event, SQL, user and host (pi_config.go).
	PerformanceInsights PerformanceInsightsConfig `mapstructure:"performance_insights"`
}

// DiscoveryConfig selects the instances to watch and how often the list is refreshed.
type DiscoveryConfig struct {
	discovery.FilterConfig `mapstructure:",squash"`
	// RefreshInterval is how often DescribeDBInstances/DescribeDBClusters are called.
	RefreshInterval time.Duration `mapstructure:"refresh_interval"`
}

// CloudWatchConfig shapes the GetMetricData requests.
type CloudWatchConfig struct {
	// Period is the CloudWatch aggregation period of every datapoint.
	Period time.Duration `mapstructure:"period"`
	// Delay holds back the newest periods (their end is at most now - delay).
	Delay time.Duration `mapstructure:"delay"`
	// Overlap re-reads the end of the previous window to pick up late-published points.
	Overlap time.Duration `mapstructure:"overlap"`
	// MaxLookback bounds how far back a window may reach after an outage.
	MaxLookback time.Duration `mapstructure:"max_lookback"`
	// Statistic is the default statistic requested for every metric.
	Statistic string `mapstructure:"statistic"`
	// Statistics overrides Statistic per metric name (e.g. aws.rds.replica.lag: Maximum).
	Statistics map[string]string `mapstructure:"statistics"`
	// RequestsPerSecond is the client-side rate limit of GetMetricData calls.
	RequestsPerSecond float64 `mapstructure:"requests_per_second"`
	// MaxConcurrentRequests bounds the GetMetricData calls in flight.
	MaxConcurrentRequests int `mapstructure:"max_concurrent_requests"`
	// MaxAttempts is the SDK retryer's attempts per call (throttling and 5xx are retried).
	MaxAttempts int `mapstructure:"max_attempts"`
	// MaxBackoff caps the exponential backoff between attempts.
	MaxBackoff time.Duration `mapstructure:"max_backoff"`
	// Budget caps what GetMetricData may cost; the receiver reads CloudWatch less often
	// (never with less resolution) to stay under it.
	Budget BudgetConfig `mapstructure:"budget"`
}

// BudgetConfig is a ceiling on the metrics requested from CloudWatch, given as metrics
// per hour or as US dollars per month (at $0.01 per 1,000 metrics). Zero means none.
type BudgetConfig struct {
	MetricsPerHour float64 `mapstructure:"metrics_per_hour"`
	USDPerMonth    float64 `mapstructure:"usd_per_month"`
}

// LogsConfig shapes the reading of RDS log groups (/aws/rds/instance/<id>/<type>,
// /aws/rds/cluster/<id>/<type>) with FilterLogEvents.
type LogsConfig struct {
	// Types limits the log types read (error, slowquery, general, audit, postgresql, upgrade,
	// iam-db-auth-error); empty reads every type an instance or cluster publishes.
	Types []string `mapstructure:"types"`
	// PollInterval is how often every log group is read.
	PollInterval time.Duration `mapstructure:"poll_interval"`
	// InitialLookback is how far back the first read of a log group reaches.
	InitialLookback time.Duration `mapstructure:"initial_lookback"`
	// Overlap re-reads the end of the previous read for events ingested late.
	Overlap time.Duration `mapstructure:"overlap"`
	// RequestsPerSecond is the client-side rate limit of FilterLogEvents calls.
	RequestsPerSecond float64 `mapstructure:"requests_per_second"`
	// MaxConcurrentRequests bounds the FilterLogEvents calls in flight.
	MaxConcurrentRequests int `mapstructure:"max_concurrent_requests"`
	// SlowQueries parses slow query entries into records with typed attributes.
	SlowQueries SlowQueriesConfig `mapstructure:"slow_queries"`
	// Events reads RDS events (DescribeEvents) as log records; see events.go.
	Events EventsConfig `mapstructure:"events"`
}

var (
	regionPattern    = regexp.MustCompile(`^[a-z]{2}(-[a-z]+)+-\d+$`)
	roleARNPattern   = regexp.MustCompile(`^arn:aws[a-z-]*:iam::\d{12}:role/[\w+=,.@/-]+$`)
	statisticPattern = regexp.MustCompile(`^(Average|Sum|Minimum|Maximum|SampleCount|IQM|(p|tm|wm|tc|ts)\d{1,2}(\.\d{1,2})?|p100)$`)
)

// Unmarshal decodes the receiver's configuration and records whether `region` was given as an
// empty string. A Go string cannot tell `region: ""` from a missing key, so the value is also
// decoded into a *string: a literal "" gives "", while a missing key, a YAML null and a
// variable that expands to nothing (`${env:AWS_REGION}` with AWS_REGION unset or empty) give
// nil. confmap's env provider turns an empty default (`${env:AWS_REGION:-}`) into "", an
// explicitly empty region like a literal one.
func (c *Config) Unmarshal(conf *confmap.Conf) error {
	if err := conf.Unmarshal(c); err != nil {
		return err
	}
	// confmap decodes into a *string the original text of a value, except when that value
	// parses as nothing: then the pointer stays nil.
	var probe struct {
		Region *string `mapstructure:"region"`
	}
	if err := conf.Unmarshal(&probe, confmap.WithIgnoreUnused()); err != nil {
		return err
	}
	c.regionEmpty = probe.Region != nil && *probe.Region == ""
	return nil
}

// fleetFilter is this collector's discovery filter: the configured one, cut to its shard.
func (c *Config) fleetFilter() (*discovery.Filter, error) {
	f, err := c.Discovery.Compile()
	if err != nil {
		return nil, fmt.Errorf("discovery: %w", err)
	}
	if c.Sharding.Count > 1 {
		f = f.Sharded(c.Sharding.Owns)
	}
	return f, nil
}

// Validate checks every field and names the offending field and value.
func (c *Config) Validate() error {
	var errs []error
	add := func(err error) { errs = append(errs, err) }

	if c.regionEmpty {
		add(errors.New(`region: "" is empty; leave the key out to use the SDK's region (AWS_REGION, the profile's region)`))
	}
	if c.Region != "" && !regionPattern.MatchString(c.Region) {
		add(fmt.Errorf("region: %q is not an AWS region name (like us-east-1)", c.Region))
	}
	for i, r := range c.Regions {
		switch {
		case !regionPattern.MatchString(r):
			add(fmt.Errorf("regions[%d]: %q is not an AWS region name (like us-east-1)", i, r))
		case slices.Contains(c.Regions[:i], r):
			add(fmt.Errorf("regions[%d]: %q is listed twice", i, r))
		}
	}
	if c.RoleARN != "" && !roleARNPattern.MatchString(c.RoleARN) {
		add(fmt.Errorf("role_arn: %q is not an IAM role ARN (arn:aws:iam::<account>:role/<name>)", c.RoleARN))
	}
	if c.ExternalID != "" && c.RoleARN == "" {
		add(errors.New("external_id: set, but it is only used with role_arn, which is empty"))
	}
	for field, v := range map[string]string{"endpoints.rds": c.Endpoints.RDS, "endpoints.cloudwatch": c.Endpoints.CloudWatch, "endpoints.sts": c.Endpoints.STS, "endpoints.logs": c.Endpoints.Logs, "endpoints.pi": c.Endpoints.PI} {
		add(checkEndpoint(field, v))
	}

	if _, err := c.Discovery.Compile(); err != nil {
		add(fmt.Errorf("discovery.%w", err))
	}
	if err := c.Sharding.Check(); err != nil {
		add(fmt.Errorf("sharding.%w", err))
	}
	if c.Timeout > 0 && c.Timeout < minScrapeTimeout {
		add(fmt.Errorf("timeout: %v is below %v: a cycle's paginated GetMetricData calls and their retries would be canceled midway, and the next cycle would read (and pay for) the same windows again", c.Timeout, minScrapeTimeout))
	}
	if c.Discovery.RefreshInterval < time.Second {
		add(fmt.Errorf("discovery.refresh_interval: %v must be at least 1s", c.Discovery.RefreshInterval))
	}
	for i, k := range c.ResourceTags {
		if k == "" {
			add(fmt.Errorf("resource_tags[%d]: empty tag key", i))
		}
	}
	add(c.CloudWatch.validate(c.CollectionInterval))
	add(c.Logs.validate())
	add(c.PerformanceInsights.validate())
	add(c.EnhancedMonitoring.validate())
	add(prefixed("sql.", c.SQL.ValidateAgainst(c.CollectionInterval)))
	return errors.Join(errs...)
}

// Minimums of the receiver's timeouts; below them a setting defeats its own purpose (the
// messages say why).
const (
	// minScrapeTimeout bounds `timeout` (the scraper controller's, per cycle) from below.
	minScrapeTimeout = 10 * time.Second
	// minMaxBackoff bounds cloudwatch.max_backoff from below: AWS API rate quotas are per
	// second, so retries spaced closer than that are throttled again.
	minMaxBackoff = time.Second
)

const day = 24 * time.Hour

// cloudWatchRetention is how far back GetMetricData can return data at a given period:
// CloudWatch keeps 1-minute data 15 days, 5-minute aggregates 63 days and 1-hour aggregates
// 455 days, and serves older data only at a period that is a multiple of the coarser one.
func cloudWatchRetention(period time.Duration) (time.Duration, string) {
	switch {
	case period%time.Hour == 0:
		return 455 * day, "455 days (1-hour data, for periods that are multiples of 1h)"
	case period%(5*time.Minute) == 0:
		return 63 * day, "63 days (5-minute data, for periods that are multiples of 5m but not of 1h)"
	}
	return 15 * day, "15 days (1-minute data, for periods that are not multiples of 5m)"
}

func (cw CloudWatchConfig) validate(interval time.Duration) error {
	var errs []error
	add := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	periodOK := cw.Period >= time.Minute && cw.Period%time.Minute == 0
	if !periodOK {
		add("cloudwatch.period: %v must be a whole number of minutes (RDS metrics have 60s resolution)", cw.Period)
	}
	switch {
	case cw.Delay < 0:
		add("cloudwatch.delay: %v must not be negative", cw.Delay)
	case !periodOK:
	case cw.Delay%cw.Period != 0:
		add("cloudwatch.delay: %v is not a whole multiple of cloudwatch.period (%v): a window's end is rounded down to a period, so only whole periods of delay have a meaning", cw.Delay, cw.Period)
	case cw.Period > time.Minute && cw.Delay < cw.Period:
		// A period's aggregate changes until its last minute is published; reading it sooner
		// delivers a partial value that the final one can no longer replace.
		add("cloudwatch.delay: %v must be at least cloudwatch.period (%v) when the period is longer than 1m: a period's aggregate is final only after its last minute is published", cw.Delay, cw.Period)
	}
	switch {
	case cw.Overlap < 0:
		add("cloudwatch.overlap: %v must not be negative", cw.Overlap)
	case periodOK && cw.Overlap%cw.Period != 0:
		add("cloudwatch.overlap: %v is not a whole multiple of cloudwatch.period (%v): a window must start on a period boundary, or CloudWatch aggregates shifted periods", cw.Overlap, cw.Period)
	}
	switch {
	case cw.MaxLookback < cw.Period || cw.MaxLookback < cw.Overlap:
		add("cloudwatch.max_lookback: %v must be at least cloudwatch.period (%v) and cloudwatch.overlap (%v)", cw.MaxLookback, cw.Period, cw.Overlap)
	case periodOK:
		if keep, why := cloudWatchRetention(cw.Period); cw.MaxLookback > keep {
			add("cloudwatch.max_lookback: %v is beyond what CloudWatch keeps at cloudwatch.period %v: %s", cw.MaxLookback, cw.Period, why)
		}
		// Each cycle reads back at most max_lookback, and its window starts overlap before the
		// last one ended: a longer interval leaves periods no window ever covers.
		if span := cw.MaxLookback - cw.Overlap; interval > span {
			add("collection_interval: %v is longer than cloudwatch.max_lookback (%v) minus cloudwatch.overlap (%v), %v: every cycle would leave a gap", interval, cw.MaxLookback, cw.Overlap, span)
		}
	}
	if !statisticPattern.MatchString(cw.Statistic) {
		add("cloudwatch.statistic: %q is not a CloudWatch statistic (Average, Sum, Minimum, Maximum, SampleCount, p99, ...)", cw.Statistic)
	}
	for name, stat := range cw.Statistics {
		if _, ok := catalog.ByName(name); !ok {
			add("cloudwatch.statistics: %q is not a CloudWatch metric of this receiver", name)
		}
		if !statisticPattern.MatchString(stat) {
			add("cloudwatch.statistics[%s]: %q is not a CloudWatch statistic", name, stat)
		}
	}
	if cw.RequestsPerSecond <= 0 || cw.RequestsPerSecond > 1000 {
		add("cloudwatch.requests_per_second: %v must be in (0, 1000]", cw.RequestsPerSecond)
	}
	if cw.MaxConcurrentRequests < 1 || cw.MaxConcurrentRequests > 100 {
		add("cloudwatch.max_concurrent_requests: %d must be between 1 and 100", cw.MaxConcurrentRequests)
	}
	if cw.MaxAttempts < 1 || cw.MaxAttempts > 20 {
		add("cloudwatch.max_attempts: %d must be between 1 and 20", cw.MaxAttempts)
	}
	if cw.MaxBackoff < minMaxBackoff {
		add("cloudwatch.max_backoff: %v is below %v: AWS rate quotas are per second, so retries spaced closer than that are throttled again", cw.MaxBackoff, minMaxBackoff)
	}
	switch b := cw.Budget; {
	case b.MetricsPerHour < 0:
		add("cloudwatch.budget.metrics_per_hour: %v must not be negative", b.MetricsPerHour)
	case b.USDPerMonth < 0:
		add("cloudwatch.budget.usd_per_month: %v must not be negative", b.USDPerMonth)
	case b.MetricsPerHour > 0 && b.USDPerMonth > 0:
		add("cloudwatch.budget: set metrics_per_hour (%v) or usd_per_month (%v), not both", b.MetricsPerHour, b.USDPerMonth)
	}
	return errors.Join(errs...)
}

func (l LogsConfig) validate() error {
	var errs []error
	add := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	for i, t := range l.Types {
		switch {
		case !rdslogs.KnownType(t):
			add("logs.types[%d]: %q is not an RDS log type (error, slowquery, general, audit, postgresql, upgrade, iam-db-auth-error)", i, t)
		case slices.Contains(l.Types[:i], t):
			add("logs.types[%d]: %q is listed twice", i, t)
		}
	}
	if l.PollInterval < time.Second {
		add("logs.poll_interval: %v must be at least 1s", l.PollInterval)
	}
	if l.InitialLookback < 0 {
		add("logs.initial_lookback: %v must not be negative", l.InitialLookback)
	}
	if l.Overlap < 0 {
		add("logs.overlap: %v must not be negative", l.Overlap)
	}
	if l.RequestsPerSecond <= 0 || l.RequestsPerSecond > 100 {
		add("logs.requests_per_second: %v must be in (0, 100] (FilterLogEvents' quota is 5 per second per account and region)", l.RequestsPerSecond)
	}
	if l.MaxConcurrentRequests < 1 || l.MaxConcurrentRequests > 100 {
		add("logs.max_concurrent_requests: %d must be between 1 and 100", l.MaxConcurrentRequests)
	}
	if err := l.SlowQueries.validate(); err != nil {
		errs = append(errs, err)
	}
	errs = append(errs, l.Events.validate())
	return errors.Join(errs...)
}

func checkEndpoint(field, v string) error {
	if v == "" {
		return nil
	}
	u, err := url.Parse(v)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("%s: %q is not an http(s) URL", field, v)
	}
	return nil
}

// regions returns the regions to watch: the SDK's default when none is configured.
func (c *Config) regions() []string {
	out := slices.Clone(c.Regions)
	if c.Region != "" && !slices.Contains(out, c.Region) {
		out = append([]string{c.Region}, out...)
	}
	if len(out) == 0 {
		return []string{""}
	}
	return out
}

// prefixed puts prefix before each error joined in err, so that every line names its field.
func prefixed(prefix string, err error) error {
	if err == nil {
		return nil
	}
	joined, ok := err.(interface{ Unwrap() []error })
	if !ok {
		return fmt.Errorf("%s%w", prefix, err)
	}
	errs := joined.Unwrap()
	out := make([]error, len(errs))
	for i, e := range errs {
		out[i] = prefixed(prefix, e)
	}
	return errors.Join(out...)
}
