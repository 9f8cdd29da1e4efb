// Package awsconfig turns the receiver's AWS settings into SDK clients. Everything the
// standard SDK chain provides (AWS_REGION, AWS_PROFILE, web identity, ECS/EC2 roles,
// AWS_ENDPOINT_URL[_<SERVICE>]) keeps working; the receiver's settings only add to it.
// Loading makes no network calls: credentials are resolved lazily on the first request.
package awsconfig

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/pi"
	"github.com/aws/aws-sdk-go-v2/service/rds"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"
	"github.com/aws/smithy-go/middleware"
)

// Endpoints override service endpoints (VPC endpoints, simulators). Empty means the SDK default.
type Endpoints struct {
	RDS        string `mapstructure:"rds"`
	CloudWatch string `mapstructure:"cloudwatch"`
	STS        string `mapstructure:"sts"`
	Logs       string `mapstructure:"logs"`
	PI         string `mapstructure:"pi"` // Performance Insights
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
	// OnRetry is called each time the SDK decides to retry a failed attempt of an operation,
	// with the reason (RetryThrottling, Retry5xx, RetryTimeout, RetryConnection, RetryOther).
	// It is called before the backoff: a retry canceled during it (shutdown) is counted too.
	OnRetry func(operation, reason string)
	// OnCall is called once per API operation, after its retries, with its final error.
	OnCall func(operation string, err error)
}

// Clients are the SDK clients of one region.
type Clients struct {
	Region     string
	RDS        *rds.Client
	CloudWatch *cloudwatch.Client
	Logs       *cloudwatchlogs.Client
	PI         *pi.Client // Performance Insights
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
		PI:          pi.NewFromConfig(cfg, withEndpoint[pi.Options](s.Endpoints.PI, func(o *pi.Options, ep *string) { o.BaseEndpoint = ep })),
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
	if s.OnRetry == nil {
		return std
	}
	return &countingRetryer{Standard: std, onRetry: s.OnRetry}
}

// countingRetryer reports each retry with its operation and reason. The SDK's retry
// middleware asks for a retry token exactly once per retry, after it has decided that the
// error is retryable and attempts remain, and with the operation's context (RetryDelay has
// no context). The rate limiter is ratelimit.None, so the token is always granted.
type countingRetryer struct {
	*retry.Standard
	onRetry func(operation, reason string)
}

func (r *countingRetryer) GetRetryToken(ctx context.Context, err error) (func(error) error, error) {
	r.onRetry(middleware.GetOperationName(ctx), RetryReason(err))
	return r.Standard.GetRetryToken(ctx, err)
}

// Reasons of a retry, the `reason` attribute of the receiver's retry telemetry.
const (
	RetryThrottling = "throttling" // AWS throttled the call (Throttling, ThrottlingException, ...)
	Retry5xx        = "5xx"        // the service answered 500, 502, 503 or 504
	RetryTimeout    = "timeout"    // the request timed out (client side, or RequestTimeout from AWS)
	RetryConnection = "connection" // no answer: connection refused, reset or closed, DNS failure
	RetryOther      = "other"      // any other error the SDK retries
)

var (
	throttles       = retry.IsErrorThrottles(retry.DefaultThrottles)
	timeoutCodes    = retry.DefaultRetryableErrorCodes // RequestTimeout, RequestTimeoutException
	connectionError = retry.RetryableConnectionError{}
)

// RetryReason classifies an error the SDK retries. Throttling comes first (AWS may throttle
// with a 5xx status), then the HTTP status, then timeouts (a timed-out request is also a
// connection error to the SDK), then connection errors.
func RetryReason(err error) string {
	if throttles.IsErrorThrottle(err).Bool() {
		return RetryThrottling
	}
	var status interface{ HTTPStatusCode() int }
	if errors.As(err, &status) && status.HTTPStatusCode() >= 500 {
		return Retry5xx
	}
	var api smithy.APIError
	if errors.As(err, &api) {
		if _, ok := timeoutCodes[api.ErrorCode()]; ok {
			return RetryTimeout
		}
	}
	var timeout interface{ Timeout() bool }
	if errors.As(err, &timeout) && timeout.Timeout() {
		return RetryTimeout
	}
	var conn interface{ ConnectionError() bool }
	if (errors.As(err, &conn) && conn.ConnectionError()) || connectionError.IsErrorRetryable(err).Bool() {
		return RetryConnection
	}
	return RetryOther
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
