package sqlquery

import (
	"context"
	"fmt"
	"net"
	"reflect"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"go.opentelemetry.io/collector/config/configopaque"

	"github.com/otelcol-rds/awsrdsreceiver/internal/discovery"
)

// Target is one database to query: a static target or a discovered RDS instance.
type Target struct {
	// Name is the static target's name or the instance identifier.
	Name string
	// Engine is an RDS engine name (mysql, mariadb, aurora-mysql, postgres,
	// aurora-postgresql) or a static target's engine (mysql, mariadb, postgresql).
	Engine   string
	Host     string
	Port     int
	Database string
	// DSN is set for static targets configured by DSN; it then supplies host, port,
	// database and credentials.
	DSN         configopaque.String
	Credentials Credentials
	// Region is the instance's AWS region, for IAM tokens.
	Region string
	// Tags are the discovered instance's tags, for the queries' tag filters.
	Tags   map[string]string
	Static bool
}

// Families of engines: what decides the driver and the dialect.
const (
	familyMySQL    = "mysql"
	familyPostgres = "postgresql"
)

func (t *Target) family() string { return discovery.EngineFamily(t.Engine) }

// database is the database to connect to: the target's, else its credentials', else
// "postgres" on PostgreSQL (which, unlike MySQL, always connects to one).
func (t *Target) database() string {
	switch {
	case t.Database != "":
		return t.Database
	case t.Credentials.Database != "":
		return t.Credentials.Database
	case t.family() == familyPostgres:
		return "postgres"
	}
	return ""
}

func (t *Target) port() int {
	switch {
	case t.Port != 0:
		return t.Port
	case t.family() == familyPostgres:
		return 5432
	}
	return 3306
}

func (t *Target) address() string { return net.JoinHostPort(t.Host, strconv.Itoa(t.port())) }

// key identifies a target across SetTargets calls.
func (t *Target) key() string {
	if t.Static {
		return "static/" + t.Name
	}
	return t.Region + "/" + t.Name
}

// connection is what, when it changes, requires a new pool. Tags only change which
// queries run.
type connection struct {
	Engine, Host string
	Port         int
	Database     string
	DSN          configopaque.String
	Credentials  Credentials
	Region       string
}

func (t *Target) connection() connection {
	return connection{t.Engine, t.Host, t.Port, t.Database, t.DSN, t.Credentials, t.Region}
}

// query is a validated QueryConfig ready to run.
type query struct {
	QueryConfig
	filter   *discovery.Filter
	interval time.Duration // effective
	timeout  time.Duration // effective
}

// appliesTo reports whether the query runs on the target: static targets by name,
// discovered instances by engine, identifier and tags.
func (q *query) appliesTo(t *Target) bool {
	if t.Static {
		return slices.Contains(q.Targets, t.Name)
	}
	return slices.Contains(q.Engines, t.Engine) &&
		q.filter.Match(discovery.Instance{Identifier: t.Name, Engine: t.Engine, Tags: t.Tags})
}

// targetState is a target with its pool, its queries and their state, kept across
// collections as long as the target's connection settings do not change.
type targetState struct {
	name    string // immutable, for the runs; target may be replaced under Collector.mu
	label   string // immutable: the target attribute of telemetry
	target  Target
	conn    connection
	pool    *pool
	poolErr error
	queries []*queryState
	down    bool            // the last connection attempt failed (as far as Collect has seen)
	ctx     context.Context // canceled when the target goes away
	cancel  context.CancelFunc
}

// queryState is one query on one target.
type queryState struct {
	q       *query
	running atomic.Bool
	last    time.Time      // when it was last due (Collect's clock)
	starts  []seriesStarts // per metric, for counters; owned by the running run
	sizes   []int          // per metric, the series of the last run: what the next one allocates
}

// SetTargets replaces the targets. Targets whose connection settings are unchanged keep
// their pool, backoff and query state; the others' pools are closed and their runs
// canceled. Targets that no query applies to are dropped.
func (c *Collector) SetTargets(targets []Target) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.ctx.Err() != nil {
		return
	}
	old := make(map[string]*targetState, len(c.targets))
	for _, ts := range c.targets {
		old[ts.target.key()] = ts
	}
	next := make([]*targetState, 0, len(targets))
	seen := map[string]bool{}
	for _, t := range targets {
		key := t.key()
		if seen[key] {
			continue
		}
		seen[key] = true
		ts, ok := old[key]
		if ok && reflect.DeepEqual(ts.conn, t.connection()) {
			delete(old, key)
			ts.target = t
		} else {
			ts = c.newTargetState(t)
		}
		ts.queries = c.queriesFor(&ts.target, ts.queries)
		if len(ts.queries) == 0 {
			old[key] = ts // nothing to run: let it go
			continue
		}
		if ts.pool != nil {
			ts.pool.resize(c.poolSize(len(ts.queries)))
		}
		next = append(next, ts)
	}
	for _, ts := range old {
		ts.close()
	}
	c.targets = next
}

func (c *Collector) newTargetState(t Target) *targetState {
	ts := &targetState{name: t.Name, label: telemetryTarget(&t), target: t, conn: t.connection()}
	ts.ctx, ts.cancel = context.WithCancel(c.ctx)
	// Sessions start with the timeout of the target's first query: with the usual one
	// timeout for all, no query ever has to change it.
	var timeout time.Duration
	if ts.queries = c.queriesFor(&ts.target, nil); len(ts.queries) > 0 {
		timeout = ts.queries[0].q.timeout
	}
	ts.pool, ts.poolErr = openPool(&ts.target, c.poolOptions, timeout)
	if ts.poolErr != nil {
		ts.poolErr = fmt.Errorf("sql target %q: %w", t.Name, ts.poolErr)
	}
	return ts
}

// queriesFor lists the states of the queries that apply to t, reusing the previous ones.
func (c *Collector) queriesFor(t *Target, prev []*queryState) []*queryState {
	var out []*queryState
	for _, q := range c.queries {
		if !q.appliesTo(t) {
			continue
		}
		i := slices.IndexFunc(prev, func(qs *queryState) bool { return qs.q == q })
		if i >= 0 {
			out = append(out, prev[i])
		} else {
			out = append(out, &queryState{q: q, starts: make([]seriesStarts, len(q.Metrics)), sizes: make([]int, len(q.Metrics))})
		}
	}
	return out
}

// close cancels the target's runs and closes its pool; connections still in use are
// closed when their runs give them back.
func (ts *targetState) close() {
	ts.cancel()
	if ts.pool != nil {
		_ = ts.pool.db.Close()
	}
}

// due tells whether the query should run at now; half a collection interval absorbs
// ticker jitter.
func (qs *queryState) due(now time.Time, step time.Duration) bool {
	return qs.last.IsZero() || now.Sub(qs.last) >= qs.q.interval-step/2
}

// probe is a down target's one connection attempt of a cycle: the first of its runs
// makes it, the others wait for its outcome and, when it fails, are not tried at all.
type probe struct {
	once sync.Once
	err  error
}

// check returns the attempt's error, and whether this caller made the attempt.
func (p *probe) check(ctx context.Context, ts *targetState) (err error, first bool) {
	p.once.Do(func() {
		first = true
		conn, err := ts.pool.db.Conn(ctx)
		if err == nil {
			_ = conn.Close() // back to the pool, for the runs
		}
		p.err = err
	})
	return p.err, first
}
