// Package sqlquery runs user-defined SQL queries against MySQL, MariaDB and PostgreSQL
// databases, static targets or discovered RDS instances, and turns their rows into
// metrics.
//
// Every query is isolated from the others: its own interval and timeout (enforced by
// the client and by the server), a read-only transaction, a cap on series and a policy
// for duplicate attribute sets; a query whose previous run is still going is skipped.
// Queries run concurrently within bounds per target and overall, on one bounded
// connection pool per target that survives server restarts, with an exponential
// backoff for unreachable targets. Logins use a password or an RDS IAM token minted
// for every new connection, over TLS when configured.
//
// Configuration, under the receiver's sql key:
//
//	queries:
//	  - name: sessions                       # in telemetry, logs and errors; the SQL text never is
//	    sql: select user, substring_index(host, ':', 1) host, count(*) sessions from information_schema.processlist group by 1,2
//	    engines: [mysql, mariadb, aurora-mysql]   # discovered instances of these engines...
//	    identifiers: ["orders-.*"]                # ...optionally narrowed by identifier
//	    tags: {env: [prod]}                       # ...and by tags
//	    targets: [reporting]                      # static targets by name
//	    interval: 5m          # default: every collection; a multiple of collection_interval
//	    timeout: 10s          # default: 80% of the interval, at most 30s
//	    max_series: 1000      # datapoints per metric per run; the rest are dropped and counted
//	    duplicates: first     # first | sum | last
//	    metrics:
//	      - name: db.sessions
//	        value_column: sessions
//	        attribute_columns: [user, host]
//	        type: gauge         # gauge | counter (monotonic cumulative sum)
//	        unit: "{session}"
//	        null: skip          # skip | zero
//	targets:
//	  - name: reporting
//	    engine: postgresql    # mysql | mariadb | postgresql
//	    host: reporting.internal
//	    port: 5432
//	    database: app
//	    username: otel
//	    password: ${env:REPORTING_PASSWORD}
//	    tls: {enabled: true, ca_file: /etc/ssl/rds-global-bundle.pem}
//	  - name: legacy
//	    engine: mysql
//	    dsn: ${env:LEGACY_DSN}  # go-sql-driver/mysql DSN or PostgreSQL URL, instead of host and credentials
//	discovered:               # how to log in to discovered instances
//	  username: otel
//	  iam_auth: true          # an IAM token per connection; requires tls.enabled
//	  tls: {enabled: true, ca_file: /etc/ssl/rds-global-bundle.pem}
//	max_concurrency: 8
//	max_concurrency_per_target: 2  # also the size of each target's connection pool
package sqlquery
