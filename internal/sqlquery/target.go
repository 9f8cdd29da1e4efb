package sqlquery

import (
	"net"
	"slices"
	"strconv"
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
