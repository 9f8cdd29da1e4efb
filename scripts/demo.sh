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
"$OTELCOL_RDS_BIN" --config examples/demo.yaml >"$workdir/otelcol-rds.log" 2>&1 &
pids+=($!)

instances=$(curl -fsS "$RDSSIM_ENDPOINT/_sim/fleet" | python3 -c 'import json,sys; print("\n".join(sorted(i["identifier"] for i in json.load(sys.stdin)["instances"])))')
metrics_url="http://127.0.0.1:$prom_port/metrics"
echo "otelcol-rds: Prometheus endpoint $metrics_url, health http://$HEALTH_ENDPOINT/ (logs in $workdir/)"

# Wait at most two collection intervals (2 x 60 s) for every instance's series.
deadline=$((SECONDS + 125))
while :; do
  curl -fsS "$metrics_url" >"$workdir/metrics.txt" 2>/dev/null || true
  missing=()
  for id in $instances; do
    grep -q "^aws_rds_.*aws_rds_db_instance_identifier=\"$id\"" "$workdir/metrics.txt" || missing+=("$id")
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
echo "for example:"
grep -m3 '^aws_rds_cpu_utilization' "$workdir/metrics.txt" | sed 's/^/  /'
echo "receiver's own telemetry (http://127.0.0.1:$telemetry_port/metrics):"
curl -fsS "http://127.0.0.1:$telemetry_port/metrics" | grep -E '^otelcol_receiver_awsrds_(api_calls|metrics_requested|collection_cost)' | sed 's/^/  /' || true
echo "simulator counters: $(curl -fsS "$RDSSIM_ENDPOINT/_sim/counters" | head -c 300)"

if [ -n "${DEMO_DURATION:-}" ]; then
  sleep "$DEMO_DURATION"
else
  echo "Running; press Ctrl-C to stop."
  wait
fi
