package sqlquery

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.uber.org/zap"

	"github.com/otelcol-rds/awsrdsreceiver/internal/metadata"
)

const (
	// claimGrace is how long Collect waits past a run's deadline for the run to report
	// its own outcome before reporting a timeout itself.
	claimGrace = 250 * time.Millisecond
	// maxShutdownWait bounds Shutdown even when its context has no deadline.
	maxShutdownWait = 5 * time.Second
)

// Result is what one Collect produced for one target that had queries due.
type Result struct {
	Target  *Target
	Metrics pmetric.MetricSlice
	// Errs name the target, the query and, where it applies, the metric and column;
	// never the SQL text or a secret.
	Errs []error
}

// Collector runs the configured queries on the current targets.
type Collector struct {
	queries            []*query
	collectionInterval time.Duration
	poolOptions        poolOptions
	tel                telemetry
	logger             *zap.Logger
	slots              chan struct{} // max_concurrency

	ctx    context.Context // canceled by Shutdown
	cancel context.CancelFunc
	runs   sync.WaitGroup // run goroutines, which may outlive the Collect that started them
	active atomic.Int64

	collecting sync.Mutex // one Collect at a time
	mu         sync.Mutex
	targets    []*targetState
}

// NewCollector prepares the queries of cfg, which must have passed Validate. tb may be
// nil (no telemetry); creds may be nil when no target uses IAM authentication.
func NewCollector(cfg Config, collectionInterval time.Duration, tb *metadata.TelemetryBuilder, logger *zap.Logger, creds aws.CredentialsProvider) *Collector {
	if logger == nil {
		logger = zap.NewNop()
	}
	tel := newTelemetry(tb)
	c := &Collector{
		collectionInterval: collectionInterval,
		poolOptions:        poolOptions{size: cfg.maxConcurrencyPerTarget(), creds: creds, logger: logger, tel: tel},
		tel:                tel,
		logger:             logger,
		slots:              make(chan struct{}, cfg.maxConcurrency()),
	}
	c.ctx, c.cancel = context.WithCancel(context.Background())
	for _, qc := range cfg.Queries {
		f, err := qc.filter()
		if err != nil {
			logger.Error("SQL query left out: invalid configuration", zap.String("query", qc.Name), zap.Error(err))
			continue
		}
		c.queries = append(c.queries, &query{
			QueryConfig: qc,
			filter:      f,
			interval:    qc.effectiveInterval(collectionInterval),
			timeout:     qc.effectiveTimeout(collectionInterval),
		})
	}
	return c
}

// pending is a run started by Collect. Whoever claims it first, the run when it ends or
// Collect when the deadline has passed, reports its outcome, so that it is counted once.
type pending struct {
	ts       *targetState
	qs       *queryState
	result   int // index in Collect's results
	deadline time.Time
	claimed  atomic.Bool
	done     chan runResult
}

// Collect runs the queries due at now on every target, concurrently within the
// configured bounds, and returns one Result per target that had queries due. It waits
// for each run at most until the run's own timeout, so a hung query delays nothing
// else; a query whose previous run is still going is skipped.
func (c *Collector) Collect(ctx context.Context, now time.Time) []Result {
	c.collecting.Lock()
	defer c.collecting.Unlock()
	// A snapshot, so that SetTargets may run meanwhile.
	type snapshot struct {
		ts      *targetState
		target  Target
		queries []*queryState
	}
	c.mu.Lock()
	targets := make([]snapshot, len(c.targets))
	for i, ts := range c.targets {
		targets[i] = snapshot{ts, ts.target, ts.queries}
	}
	c.mu.Unlock()
	if c.ctx.Err() != nil {
		return nil
	}

	var (
		results []Result
		runs    []*pending
	)
	for _, snap := range targets {
		ts := snap.ts
		var due []*queryState
		for _, qs := range snap.queries {
			if qs.due(now, c.collectionInterval) {
				qs.last = now
				due = append(due, qs)
			}
		}
		if len(due) == 0 {
			continue
		}
		t := snap.target
		results = append(results, Result{Target: &t, Metrics: pmetric.NewMetricSlice()})
		res := &results[len(results)-1]
		if ts.poolErr != nil {
			res.Errs = append(res.Errs, ts.poolErr)
			for _, qs := range due {
				c.tel.run(qs.q.Name, t.Name, outcomeError, 0)
			}
			continue
		}
		if err := ts.backoff.blocked(now, c.collectionInterval); err != nil {
			res.Errs = append(res.Errs, scrub(fmt.Errorf("sql target %q: %w", t.Name, err), "", ts.pool.secrets))
			for _, qs := range due {
				c.tel.run(qs.q.Name, t.Name, outcomeBackoff, 0)
			}
			continue
		}
		for _, qs := range due {
			if !qs.running.CompareAndSwap(false, true) {
				c.tel.run(qs.q.Name, t.Name, outcomeSkipped, 0)
				res.Errs = append(res.Errs, fmt.Errorf("sql target %q: query %q: skipped, its previous run is still going", t.Name, qs.q.Name))
				continue
			}
			p := c.start(ctx, ts, qs, len(results)-1)
			if p == nil { // shutting down
				qs.running.Store(false)
				c.tel.run(qs.q.Name, t.Name, outcomeCanceled, 0)
				continue
			}
			runs = append(runs, p)
		}
	}

	ran := map[*targetState][]string{}
	for _, p := range runs {
		r := c.wait(ctx, p)
		res := &results[p.result]
		r.metrics.MoveAndAppendTo(res.Metrics)
		res.Errs = append(res.Errs, r.errs...)
		ran[p.ts] = append(ran[p.ts], r.outcome)
	}
	for ts, outcomes := range ran {
		c.updateBackoff(ts, now, outcomes)
	}
	return results
}

// start launches one run with its own deadline; nil once Shutdown has begun.
func (c *Collector) start(ctx context.Context, ts *targetState, qs *queryState, result int) *pending {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.ctx.Err() != nil {
		return nil // Shutdown may already be waiting for the runs
	}
	c.runs.Add(1)
	c.active.Add(1)
	p := &pending{ts: ts, qs: qs, result: result, deadline: time.Now().Add(qs.q.timeout), done: make(chan runResult, 1)}
	runCtx, cancel := context.WithDeadline(ctx, p.deadline)
	stop := context.AfterFunc(ts.ctx, cancel) // shutdown or target removed
	go func() {
		defer c.runs.Done()
		defer c.active.Add(-1)
		r := c.run(runCtx, ts, qs)
		stop()
		cancel()
		// Before the result is handed over: the next Collect may start right after.
		qs.running.Store(false)
		if p.claimed.CompareAndSwap(false, true) {
			c.account(ts, qs, r)
			p.done <- r
		}
	}()
	return p
}

// wait returns the run's result, or a timeout once its deadline (plus a grace for the
// run to notice) has passed.
func (c *Collector) wait(ctx context.Context, p *pending) runResult {
	timer := time.NewTimer(time.Until(p.deadline) + claimGrace)
	defer timer.Stop()
	outcome := outcomeTimeout
	select {
	case r := <-p.done:
		return r
	case <-timer.C:
	case <-ctx.Done():
		outcome = outcomeCanceled
	}
	if !p.claimed.CompareAndSwap(false, true) {
		return <-p.done // the run has just ended
	}
	r := runResult{outcome: outcome, metrics: pmetric.NewMetricSlice(), duration: p.qs.q.timeout}
	err := fmt.Errorf("timed out after %v", p.qs.q.timeout)
	if outcome == outcomeCanceled {
		err = ctx.Err()
	}
	r.errs = []error{fmt.Errorf("sql target %q: query %q: %w", p.ts.name, p.qs.q.Name, err)}
	c.account(p.ts, p.qs, r)
	return r
}

// account records a run's outcome in telemetry and the log.
func (c *Collector) account(ts *targetState, qs *queryState, r runResult) {
	query, target := qs.q.Name, ts.name
	c.tel.run(query, target, r.outcome, r.duration)
	if r.rows > 0 {
		c.tel.rows(query, target, r.rows)
	}
	c.tel.lost(query, target, r.counts)
	if ce := c.logger.Check(zap.DebugLevel, "SQL query run"); ce != nil {
		ce.Write(zap.String("query", query), zap.String("target", target), zap.String("outcome", r.outcome),
			zap.Duration("duration", r.duration), zap.Int64("rows", r.rows), zap.Errors("errors", r.errs))
	}
}

// updateBackoff starts or extends the target's backoff when none of its runs succeeded
// and its last connection attempt failed; any success ends it.
func (c *Collector) updateBackoff(ts *targetState, now time.Time, outcomes []string) {
	for _, o := range outcomes {
		if o == outcomeSuccess {
			ts.backoff.succeeded()
			return
		}
	}
	if err := ts.pool.health.down(); err != nil {
		wait := ts.backoff.failed(now, c.collectionInterval, scrub(err, "", ts.pool.secrets))
		c.logger.Warn("SQL target unreachable, backing off", zap.String("target", ts.name),
			zap.Int("failures", ts.backoff.failures), zap.Duration("next_attempt_in", wait), zap.Error(ts.backoff.lastErr))
	}
}

// Shutdown cancels every run, waits for them at most until ctx is done or 5 s have
// passed, whichever comes first, and closes every pool.
func (c *Collector) Shutdown(ctx context.Context) error {
	c.mu.Lock()
	c.cancel()
	c.mu.Unlock()
	ctx, cancel := context.WithTimeout(ctx, maxShutdownWait)
	defer cancel()
	done := make(chan struct{})
	go func() {
		c.runs.Wait()
		close(done)
	}()
	var err error
	select {
	case <-done:
	case <-ctx.Done():
		err = fmt.Errorf("sqlquery: %d query runs still going at shutdown: %w", c.active.Load(), ctx.Err())
	}

	c.mu.Lock()
	targets := c.targets
	c.targets = nil
	c.mu.Unlock()
	// Closing a pool closes its idle connections, which may each take a round trip.
	closed := make(chan struct{})
	go func() {
		for _, ts := range targets {
			ts.close()
		}
		close(closed)
	}()
	select {
	case <-closed:
	case <-ctx.Done():
		err = errors.Join(err, fmt.Errorf("sqlquery: closing connection pools: %w", ctx.Err()))
	}
	return err
}
