package awsrdsreceiver

import (
	"context"
	"fmt"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/receiver"
	"go.opentelemetry.io/collector/scraper/scrapererror"

	"go.uber.org/zap"

	"github.com/otelcol-rds/awsrdsreceiver/internal/discovery"
	"github.com/otelcol-rds/awsrdsreceiver/internal/metadata"
	"github.com/otelcol-rds/awsrdsreceiver/internal/sqlquery"
)

// sqlTargets lists what the SQL queries run against: the static targets and every
// discovered instance of an engine that speaks MySQL or PostgreSQL. Which query runs on
// which target (engines, identifiers, tags) is the sqlquery package's decision.
func (s *rdsScraper) sqlTargets() []sqlquery.Target {
	cfg := s.cfg.SQL
	targets := make([]sqlquery.Target, 0, len(cfg.Targets))
	for _, t := range cfg.Targets {
		// A static target is no instance of the fleet: shards split them by name.
		if !s.cfg.Sharding.Owns("sql-target/" + t.Name) {
			continue
		}
		targets = append(targets, sqlquery.Target{
			Name: t.Name, Engine: t.Engine, Host: t.Host, Port: t.Port, Database: t.Database,
			DSN: t.DSN, Credentials: t.Credentials, Static: true,
		})
	}
	for _, r := range s.regions {
		if r.plan == nil {
			continue
		}
		for i := range r.plan.resources {
			in := r.plan.resources[i].instance
			// An instance that is not running (stopped, starting, ...) cannot be queried.
			if in == nil || !in.Running() || discovery.EngineFamily(in.Engine) == "" || in.Endpoint.Address == "" {
				continue
			}
			t := sqlquery.Target{
				Name: in.Identifier, Engine: in.Engine, Host: in.Endpoint.Address, Port: int(in.Endpoint.Port),
				Credentials: cfg.Discovered, Region: r.name, Tags: in.Tags,
			}
			// A MySQL session needs no database; naming one that only PostgreSQL has would fail.
			if discovery.EngineFamily(in.Engine) == "postgresql" {
				t.Database = cfg.Discovered.Database
			}
			targets = append(targets, t)
		}
	}
	return targets
}

// sqlResource is the resource of a target's SQL metrics: for a discovered instance the
// very resource of its CloudWatch metrics, so that both join in any backend.
func (s *rdsScraper) sqlResource(t *sqlquery.Target) pcommon.Resource {
	if !t.Static {
		for _, r := range s.regions {
			if r.plan == nil || r.name != t.Region {
				continue
			}
			if rp := r.plan.instanceByID(t.Name); rp != nil {
				return rp.resource
			}
		}
	}
	rb := s.mb.NewResourceBuilder()
	setIf(rb.SetSQLTargetName, t.Name)
	setIf(rb.SetServerAddress, t.Host)
	if t.Port > 0 {
		rb.SetServerPort(int64(t.Port))
	}
	setIf(rb.SetDbNamespace, t.Database)
	setIf(rb.SetDbSystemName, discovery.DBSystemName(t.Engine))
	return rb.Emit()
}

// appendSQL adds each target's SQL metrics to md under the target's resource.
func (s *rdsScraper) appendSQL(md pmetric.Metrics, results []sqlquery.Result, errs *scrapererror.ScrapeErrors) {
	for i := range results {
		res := &results[i]
		for _, err := range res.Errs {
			if err = s.reportOnce(res.Target, err); err != nil {
				errs.AddPartial(1, err)
			}
		}
		if res.Metrics.Len() == 0 {
			continue
		}
		rm := md.ResourceMetrics().AppendEmpty()
		s.sqlResource(res.Target).CopyTo(rm.Resource())
		sm := rm.ScopeMetrics().AppendEmpty()
		sm.Scope().SetName(metadata.ScopeName)
		sm.Scope().SetVersion(s.settings.BuildInfo.Version)
		res.Metrics.MoveAndAppendTo(sm.Metrics())
	}
}

// startSQL runs the due SQL queries in the background while CloudWatch is fetched.
func (s *rdsScraper) startSQL(ctx context.Context, now time.Time, refreshed bool) <-chan []sqlquery.Result {
	done := make(chan []sqlquery.Result, 1)
	if s.sql == nil {
		done <- nil
		return done
	}
	if refreshed || !s.sqlTargetsSet {
		s.sql.SetTargets(s.sqlTargets())
		s.sqlTargetsSet = true
	}
	go func() { done <- s.sql.Collect(ctx, now) }()
	return done
}

// sqlFirst makes the metrics receiver's Shutdown cancel the SQL queries before anything
// else. The scraper controller waits for the scrape in progress before it shuts the
// scraper down, and that scrape waits for its queries, up to their timeouts (a minute
// or more): without this, SIGTERM would wait for them, past systemd's stop timeout.
func (s *rdsScraper) sqlFirst(r receiver.Metrics, err error) (receiver.Metrics, error) {
	if err != nil {
		return nil, err
	}
	return sqlFirstShutdown{Metrics: r, s: s}, nil
}

type sqlFirstShutdown struct {
	receiver.Metrics
	s *rdsScraper
}

func (r sqlFirstShutdown) Shutdown(ctx context.Context) error {
	// Start set s.sql before the service could call Shutdown; the scraper's own shutdown
	// calls Shutdown again, which is harmless.
	if r.s.sql != nil {
		_ = r.s.sql.Shutdown(ctx)
	}
	return r.Metrics.Shutdown(ctx)
}

// reportOnce returns err, unless it is a missing prerequisite of a pack (an extension, a
// privilege) already reported for the target: that would fail the same way every
// collection until someone acts, so it is said once, with what to do, and then only
// counted (receiver_awsrds_sql_query_runs).
func (s *rdsScraper) reportOnce(t *sqlquery.Target, err error) error {
	advice, ok := sqlquery.MissingPrerequisite(err)
	if !ok {
		return err
	}
	key := t.Name + "\x00" + advice
	if s.sqlPrereqs[key] {
		return nil
	}
	if s.sqlPrereqs == nil {
		s.sqlPrereqs = map[string]bool{}
	}
	s.sqlPrereqs[key] = true
	s.logger.Warn("SQL pack cannot run until the database is prepared; reported once",
		zap.String("target", t.Name), zap.String("advice", advice), zap.Error(err))
	return fmt.Errorf("%w; %s (reported once)", err, advice)
}
