#!/usr/bin/env bash
# make demo: the AWS simulator with a small fleet, otelcol-rds scraping it, and its
# Prometheus endpoint on 127.0.0.1. Runs until Ctrl-C, or DEMO_DURATION seconds if set.
set -euo pipefail
cd "$(dirname "$0")/.."

: "${OTELCOL_RDS_BIN:=_build/otelcol-rds}"
: "${RDSSIM_BIN:=bin/rdssim}"
: "${DEMO_FLEET:=testdata/simulator/fleet-small.yaml}"
workdir=.demo
mkdir -p "$workdir"

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
port_or_free() { if (echo >"/dev/tcp/127.0.0.1/$1") 2>/dev/null; then free_port; else echo "$1"; fi; }

sim_port=$(port_or_free 4566)
prom_port=$(port_or_free 9464)
health_port=$(port_or_free 13133)
telemetry_port=$(port_or_free 8888)

pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT INT TERM

"$RDSSIM_BIN" -listen "127.0.0.1:$sim_port" -fleet "$DEMO_FLEET" >"$workdir/rdssim.log" 2>&1 &
pids+=($!)
for _ in $(seq 50); do curl -fsS "http://127.0.0.1:$sim_port/_sim/counters" >/dev/null 2>&1 && break; sleep 0.2; done
head -1 "$workdir/rdssim.log"

# No AWS account: dummy static credentials; the SDK still signs every request.
export AWS_ACCESS_KEY_ID=demo AWS_SECRET_ACCESS_KEY=demo AWS_REGION=us-east-1 AWS_EC2_METADATA_DISABLED=true
export RDSSIM_ENDPOINT="http://127.0.0.1:$sim_port"
export PROMETHEUS_ENDPOINT="127.0.0.1:$prom_port"
export HEALTH_ENDPOINT="127.0.0.1:$health_port"
export TELEMETRY_PORT="$telemetry_port"
# The receiver's durable state (file_storage in examples/demo.yaml): a demo stopped and started
# again continues where it ended. `make clean` removes it with the rest of $workdir.
export STATE_DIRECTORY="$workdir/state"
# SQL metrics: static targets for the local database servers, when there are any.
configs=(--config examples/demo.yaml)
port_open() { (echo >"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
sql_targets=()
port_open 3306 && sql_targets+=(mariadb)
port_open 5432 && sql_targets+=(postgresql)
if [ ${#sql_targets[@]} -gt 0 ]; then
  export DEMO_MYSQL_USER="${DEMO_MYSQL_USER:-root}" DEMO_MYSQL_PASSWORD="${DEMO_MYSQL_PASSWORD:-}"
  export DEMO_PG_USER="${DEMO_PG_USER:-postgres}" DEMO_PG_PASSWORD="${DEMO_PG_PASSWORD:-}"
  {
    echo "receivers:"
    echo "  awsrds:"
    echo "    sql:"
    echo "      targets:"
    for t in "${sql_targets[@]}"; do
      if [ "$t" = mariadb ]; then
        echo '        - {name: local-mariadb, engine: mariadb, host: 127.0.0.1, port: 3306, username: "${env:DEMO_MYSQL_USER}", password: "${env:DEMO_MYSQL_PASSWORD}", tls: {insecure: true}}'
      else
        echo '        - {name: local-postgresql, engine: postgresql, host: 127.0.0.1, port: 5432, database: postgres, username: "${env:DEMO_PG_USER}", password: "${env:DEMO_PG_PASSWORD}", tls: {insecure: true}}'
      fi
    done
    echo "      queries:"
    if [[ " ${sql_targets[*]} " == *" mariadb "* ]]; then
      echo "        - name: mysql_sessions"
      echo "          targets: [local-mariadb]"
      echo "          sql: select user, substring_index(host, ':', 1) host, count(*) sessions from information_schema.processlist group by 1,2"
      echo "          metrics: [{name: db.sessions, value_column: sessions, attribute_columns: [user, host], unit: '{session}'}]"
    fi
    if [[ " ${sql_targets[*]} " == *" postgresql "* ]]; then
      echo "        - name: pg_sessions"
      echo "          targets: [local-postgresql]"
      echo "          sql: select usename, coalesce(client_addr::text, 'local') as client, count(*) as sessions from pg_stat_activity where usename is not null group by 1, 2"
      echo "          metrics: [{name: postgresql.sessions, value_column: sessions, attribute_columns: [usename, client], unit: '{session}'}]"
    fi
  } >"$workdir/sql.yaml"
  configs+=(--config "$workdir/sql.yaml")
fi
"$OTELCOL_RDS_BIN" "${configs[@]}" >"$workdir/otelcol-rds.log" 2>&1 &
pids+=($!)

instances=$(curl -fsS "$RDSSIM_ENDPOINT/_sim/fleet" | python3 -c 'import json,sys; print("\n".join(sorted(i["identifier"] for i in json.load(sys.stdin)["instances"])))')
metrics_url="http://127.0.0.1:$prom_port/metrics"
echo "otelcol-rds: Prometheus endpoint $metrics_url, health http://$HEALTH_ENDPOINT/ (logs in $workdir/)"
echo "receiver state (file_storage): $STATE_DIRECTORY/"

# Enhanced Monitoring: every instance with a MonitoringInterval gets aws_rds_os_* series.
em_instances=$(curl -fsS "$RDSSIM_ENDPOINT/_sim/fleet" | python3 -c 'import json,sys; print("\n".join(sorted(i["identifier"] for i in json.load(sys.stdin)["instances"] if i.get("monitoring_interval", 0) > 0)))')

# Wait at most two collection intervals (2 x 60 s) for every instance's series.
deadline=$((SECONDS + 125))
while :; do
  curl -fsS "$metrics_url" >"$workdir/metrics.txt" 2>/dev/null || true
  missing=()
  for id in $instances; do
    grep -q "^aws_rds_.*aws_rds_db_instance_identifier=\"$id\"" "$workdir/metrics.txt" || missing+=("$id")
  done
  for id in $em_instances; do
    grep -q "^aws_rds_os_.*aws_rds_db_instance_identifier=\"$id\"" "$workdir/metrics.txt" || missing+=("$id (Enhanced Monitoring: aws_rds_os_*)")
  done
  [ ${#missing[@]} -eq 0 ] && break
  if [ $SECONDS -ge $deadline ]; then
    echo "FAIL: no aws_rds_* series for: ${missing[*]}" >&2
    tail -20 "$workdir/otelcol-rds.log" >&2
    exit 1
  fi
  sleep 2
done

echo "aws_rds_* series per instance (engine label shown):"
for id in $instances; do
  n=$(grep -c "^aws_rds_.*aws_rds_db_instance_identifier=\"$id\"" "$workdir/metrics.txt")
  engine=$(grep -m1 "aws_rds_db_instance_identifier=\"$id\"" "$workdir/metrics.txt" | grep -o 'aws_rds_engine="[^"]*"')
  printf '  %-20s %-32s %3d series\n' "$id" "$engine" "$n"
done
if [ ${#sql_targets[@]} -gt 0 ]; then
  for _ in $(seq 20); do grep -qE '^(db_sessions|postgresql_sessions)' "$workdir/metrics.txt" && break; sleep 1; curl -fsS "$metrics_url" >"$workdir/metrics.txt" || true; done
  echo "SQL metrics from the local database servers (${sql_targets[*]}):"
  grep -E '^(db_sessions|postgresql_sessions)' "$workdir/metrics.txt" | sed 's/^/  /' | head -6 || echo "  none yet: see $workdir/otelcol-rds.log (credentials: DEMO_MYSQL_USER/DEMO_MYSQL_PASSWORD, DEMO_PG_USER/DEMO_PG_PASSWORD)"
else
  echo "SQL metrics: no local MariaDB/MySQL (127.0.0.1:3306) or PostgreSQL (127.0.0.1:5432) found."
  echo "  Start one and rerun to see them, or add an sql: section to your config (README: SQL query metrics)."
fi
echo "for example:"
grep -m3 '^aws_rds_cpu_utilization' "$workdir/metrics.txt" | sed 's/^/  /'
pi_ids=$(curl -fsS "$RDSSIM_ENDPOINT/_sim/fleet" | python3 -c 'import json,sys; print(" ".join(sorted(i["identifier"] for i in json.load(sys.stdin)["instances"] if i.get("performance_insights"))))')
if [ -n "$pi_ids" ]; then
  for _ in $(seq 20); do grep -q '^aws_rds_pi_db_load_sql' "$workdir/metrics.txt" && break; sleep 1; curl -fsS "$metrics_url" >"$workdir/metrics.txt" || true; done
  echo "What the load is (Performance Insights) on $pi_ids:"
  for id in $pi_ids; do
    echo "  $id, load by wait event (average active sessions):"
    grep "^aws_rds_pi_db_load_wait_event{.*aws_rds_db_instance_identifier=\"$id\"" "$workdir/metrics.txt" |
      sed -E 's/.*aws_rds_pi_wait_event_name="([^"]*)".*\} ([^ ]+).*/\2 \1/' | sort -rn | head -5 | awk '{printf "    %-36s %s\n", $2, $1}'
    echo "  $id, top SQL:"
    grep "^aws_rds_pi_db_load_sql{.*aws_rds_db_instance_identifier=\"$id\"" "$workdir/metrics.txt" |
      sed -E 's/.*db_query_text="([^"]*)".*\} ([^ ]+).*/\2 \1/' | sort -rn | head -3 | cut -c1-110 | sed 's/^/    /'
  done
  grep -q '^aws_rds_pi_db_load_wait_event' "$workdir/metrics.txt" || { echo "FAIL: no Performance Insights series" >&2; exit 1; }
fi
echo "Enhanced Monitoring (OS metrics from RDSOSMetrics) of $(echo $em_instances | wc -w) instances, e.g.:"
for id in $em_instances; do
  printf '  %-20s %3d aws_rds_os_* series\n' "$id" "$(grep -c "^aws_rds_os_.*aws_rds_db_instance_identifier=\"$id\"" "$workdir/metrics.txt")"
done
grep -m2 '^aws_rds_os_cpu_utilization.*cpu_mode="steal"' "$workdir/metrics.txt" | sed 's/^/  /' || true
for _ in $(seq 20); do grep -q 'LogRecord #' "$workdir/otelcol-rds.log" && break; sleep 1; done
echo "RDS logs from the simulated CloudWatch Logs: $(grep -c 'LogRecord #' "$workdir/otelcol-rds.log") records so far (debug exporter, $workdir/otelcol-rds.log), e.g.:"
grep -m4 -E '^(SeverityText|Body):' "$workdir/otelcol-rds.log" | cut -c1-150 | sed 's/^/  /' || true
echo "receiver's own telemetry (http://127.0.0.1:$telemetry_port/metrics):"
curl -fsS "http://127.0.0.1:$telemetry_port/metrics" | grep -E '^otelcol_receiver_awsrds_(api_calls|api_retries|metrics_requested|collection_cost|pi_requests|em_)' | sed 's/^/  /' || true
echo "simulator counters: $(curl -fsS "$RDSSIM_ENDPOINT/_sim/counters" | head -c 300)"

if [ -n "${DEMO_DURATION:-}" ]; then
  sleep "$DEMO_DURATION"
else
  echo "Running; press Ctrl-C to stop."
  wait
fi
