// Package sqlquery runs user-defined SQL queries against MySQL, MariaDB and PostgreSQL
// databases, static targets or discovered RDS instances, and turns their rows into
// metrics.
//
// Every query is isolated from the others: its own interval and timeout (enforced by
// the client and by the server), read-only (one statement per run on a read-only
// session where that is safe, see session.go, else a read-only transaction), one statement per query
// (enforced by the driver's protocol, whatever the DSN says), a cap on series and a
// policy for duplicate attribute sets; a query whose previous run is still going is
// skipped. Each target has one connection pool with a connection per query that runs on
// it, so a slow query never makes another query of the same target wait
// (max_concurrency_per_target may cap the pool; queries then wait for a connection,
// each within its own timeout). Connecting is bounded by ConnectTimeout and takes none
// of the max_concurrency slots, which only bound queries that run. A target whose
// connection attempt failed gets one attempt per collection, its other queries skipped,
// so it is queried again in the first collection after it is back. Logins use a
// password or an RDS IAM token minted for every new connection, over TLS unless
// tls.insecure is true. Shutdown cancels running statements on the server (PostgreSQL
// cancel request, MySQL KILL QUERY) and returns within seconds.
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
//	    timeout: 10s          # default: 80% of the interval, at most 30s; at least 1s
//	    max_series: 1000      # datapoints per metric per run (at most 100000); the rest are dropped and counted
//	    duplicates: first     # first | sum | last
//	    metrics:
//	      - name: db.sessions
//	        value_column: sessions
//	        attribute_columns: [user, host]
//	        type: gauge         # gauge | counter (monotonic cumulative sum)
//	        unit: "{session}"
//	        on_null: skip       # skip | zero
//	targets:
//	  - name: reporting
//	    engine: postgresql    # mysql | mariadb | postgresql
//	    host: reporting.internal
//	    port: 5432
//	    database: app
//	    username: otel
//	    password: ${env:REPORTING_PASSWORD}
//	    tls: {ca_file: /etc/otelcol-rds/rds-global-bundle.pem}
//	  - name: legacy
//	    engine: mysql
//	    dsn: ${env:LEGACY_DSN}  # go-sql-driver/mysql DSN or PostgreSQL URL, instead of host and credentials
//	    tls: {insecure: true}   # plaintext, asked for explicitly
//	discovered:               # how to log in to discovered instances
//	  username: otel
//	  iam_auth: true          # an IAM token per connection; requires TLS (the default)
//	  tls: {ca_file: /etc/otelcol-rds/rds-global-bundle.pem}
//	max_concurrency: 8        # queries running at once, overall (at most 256)
//	max_concurrency_per_target: 4  # optional cap of each target's pool (default: one connection per query)
//	packs: [postgresql.statements, mysql.statements]  # ready-made queries, see below
//
// Packs (packs/*.yaml, embedded) are queries in this same form, run on the static targets
// and, with discovered credentials, the discovered instances of their engines: statement
// statistics (pg_stat_statements, performance_schema digests: top 100 by total time, the
// rest summed), sessions and connections, transaction ID age, table sizes. A counter may
// name a start_time_column: the time (Unix seconds) the server started counting it, such
// as pg_stat_statements_info.stats_reset; when it changes, a new cumulative series starts
// at that time.
//
// tls is the collector's configtls client configuration: TLS is on unless insecure is
// true, and the server's certificate is verified against ca_file (for RDS, the RDS CA
// bundle from RDSCABundleURL), or the system's roots without it, for the target's host
// name. A DSN may set TLS itself (MySQL tls=true or tls=false, PostgreSQL sslmode), but
// not to a mode that falls back to plaintext silently (tls=preferred,
// allowFallbackToPlaintext, sslmode=prefer or allow); options that let one query run several statements (MySQL multiStatements,
// PostgreSQL default_query_exec_mode=simple_protocol or exec) or read local files
// (allowAllFiles) are rejected.
package sqlquery
