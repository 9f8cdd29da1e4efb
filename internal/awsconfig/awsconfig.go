// Package awsconfig turns the receiver's AWS settings into SDK clients. Everything the
// standard SDK chain provides (AWS_REGION, AWS_PROFILE, web identity, ECS/EC2 roles,
// AWS_ENDPOINT_URL[_<SERVICE>]) keeps working; the receiver's settings only add to it.
// Loading makes no network calls: credentials are resolved lazily on the first request.
package awsconfig

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/rds"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go/middleware"
)

// Endpoints override service endpoints (VPC endpoints, simulators). Empty means the SDK default.
type Endpoints struct {
	RDS        string `mapstructure:"rds"`
	CloudWatch string `mapstructure:"cloudwatch"`
	STS        string `mapstructure:"sts"`
	Logs       string `mapstructure:"logs"`
}

// Settings selects the credentials, region and retry behaviour of one region's clients.
type Settings struct {
	Region      string
	Profile     string
	RoleARN     string
	ExternalID  string
	Endpoints   Endpoints
	MaxAttempts int
	MaxBackoff  time.Duration
	// OnThrottledRetry is called each time the SDK retries a throttled call.
	OnThrottledRetry func()
	// OnCall is called once per API operation, after its retries, with its final error.
	OnCall func(operation string, err error)
}

// Clients are the SDK clients of one region.
type Clients struct {
	Region     string
	RDS        *rds.Client
	CloudWatch *cloudwatch.Client
	Logs       *cloudwatchlogs.Client
	// Credentials sign RDS IAM database authentication tokens.
	Credentials aws.CredentialsProvider
}

// New loads the SDK configuration for s and builds the region's clients.
func New(ctx context.Context, s Settings) (*Clients, error) {
	opts := []func(*config.LoadOptions) error{
		config.WithRetryer(func() aws.Retryer { return newRetryer(s) }),
	}
	if s.Region != "" {
		opts = append(opts, config.WithRegion(s.Region))
	}
	if s.Profile != "" {
		opts = append(opts, config.WithSharedConfigProfile(s.Profile))
	}
	cfg, err := config.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return nil, fmt.Errorf("loading AWS configuration (profile %q): %w", s.Profile, err)
	}
	if s.OnCall != nil {
		cfg.APIOptions = append(cfg.APIOptions, countCalls(s.OnCall))
	}
	if cfg.Region == "" {
		return nil, fmt.Errorf("no AWS region: set `region`/`regions` in the receiver config or AWS_REGION")
	}
	if s.RoleARN != "" {
		stsClient := sts.NewFromConfig(cfg, withEndpoint[sts.Options](s.Endpoints.STS, func(o *sts.Options, ep *string) { o.BaseEndpoint = ep }))
		provider := stscreds.NewAssumeRoleProvider(stsClient, s.RoleARN, func(o *stscreds.AssumeRoleOptions) {
			o.RoleSessionName = "otelcol-rds"
			if s.ExternalID != "" {
				o.ExternalID = aws.String(s.ExternalID)
			}
		})
		cfg.Credentials = aws.NewCredentialsCache(provider)
	}
	return &Clients{
		Region:      cfg.Region,
		Credentials: cfg.Credentials,
		RDS:         rds.NewFromConfig(cfg, withEndpoint[rds.Options](s.Endpoints.RDS, func(o *rds.Options, ep *string) { o.BaseEndpoint = ep })),
		CloudWatch:  cloudwatch.NewFromConfig(cfg, withEndpoint[cloudwatch.Options](s.Endpoints.CloudWatch, func(o *cloudwatch.Options, ep *string) { o.BaseEndpoint = ep })),
		Logs:        cloudwatchlogs.NewFromConfig(cfg, withEndpoint[cloudwatchlogs.Options](s.Endpoints.Logs, func(o *cloudwatchlogs.Options, ep *string) { o.BaseEndpoint = ep })),
	}, nil
}

// withEndpoint returns a client option that sets BaseEndpoint when url is not empty.
func withEndpoint[O any](url string, set func(*O, *string)) func(*O) {
	return func(o *O) {
		if url != "" {
			set(o, aws.String(url))
		}
	}
}

// newRetryer is the SDK's standard retryer (exponential backoff with jitter, throttling
// and 5xx retried) without its client-side retry quota: a burst of throttling on a large
// fleet must slow the cycle down, not fail it with "retry quota exceeded".
func newRetryer(s Settings) aws.Retryer {
	std := retry.NewStandard(func(o *retry.StandardOptions) {
		if s.MaxAttempts > 0 {
			o.MaxAttempts = s.MaxAttempts
		}
		if s.MaxBackoff > 0 {
			o.MaxBackoff = s.MaxBackoff
		}
		o.RateLimiter = ratelimit.None
	})
	if s.OnThrottledRetry == nil {
		return std
	}
	return &countingRetryer{Standard: std, throttles: retry.IsErrorThrottles(retry.DefaultThrottles), onThrottle: s.OnThrottledRetry}
}

// countingRetryer reports throttled retries; RetryDelay is called exactly once per retry.
type countingRetryer struct {
	*retry.Standard
	throttles  retry.IsErrorThrottles
	onThrottle func()
}

func (r *countingRetryer) RetryDelay(attempt int, err error) (time.Duration, error) {
	if r.throttles.IsErrorThrottle(err).Bool() {
		r.onThrottle()
	}
	return r.Standard.RetryDelay(attempt, err)
}

// countCalls reports each operation once, outside the retry loop, with its outcome.
func countCalls(onCall func(string, error)) func(*middleware.Stack) error {
	return func(stack *middleware.Stack) error {
		return stack.Initialize.Add(middleware.InitializeMiddlewareFunc("otelcolRDSCallCounter",
			func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
				out, md, err := next.HandleInitialize(ctx, in)
				onCall(middleware.GetOperationName(ctx), err)
				return out, md, err
			}), middleware.Before)
	}
}
