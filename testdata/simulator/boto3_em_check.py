#!/usr/bin/env python3
"""Reads the simulator's RDSOSMetrics log group (Enhanced Monitoring) with boto3.

Usage: boto3_em_check.py ENDPOINT_URL START_MS END_MS STREAM...

FilterLogEvents (paginated) over the streams and [START_MS, END_MS] (inclusive),
the same call with one unknown stream added (its error code), and the newest
event of each stream by GetLogEvents(limit=1); prints one JSON document.
"""
import json
import sys

import boto3
import botocore
from botocore.config import Config


def main():
    endpoint, start, end, streams = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4:]
    session = boto3.session.Session(
        aws_access_key_id="AKIDSIM", aws_secret_access_key="secret", region_name="us-east-1"
    )
    cfg = Config(retries={"max_attempts": 2, "mode": "standard"}, connect_timeout=5, read_timeout=30)
    logs = session.client("logs", endpoint_url=endpoint, config=cfg)

    events, pages = {}, 0
    kwargs = {"logGroupName": "RDSOSMetrics", "logStreamNames": streams, "startTime": start, "endTime": end}
    while True:
        resp = logs.filter_log_events(**kwargs)
        pages += 1
        for e in resp["events"]:
            events.setdefault(e["logStreamName"], []).append({
                "stream": e["logStreamName"], "timestamp": e["timestamp"], "message": e["message"],
                "ingestion_time": e["ingestionTime"], "event_id": e["eventId"],
            })
        if "nextToken" not in resp or pages > 1000:
            break
        kwargs["nextToken"] = resp["nextToken"]

    missing = ""
    try:
        logs.filter_log_events(logGroupName="RDSOSMetrics", logStreamNames=streams + ["db-MISSING"], startTime=start)
    except botocore.exceptions.ClientError as err:
        missing = err.response["Error"]["Code"]

    newest = {}
    for s in streams:
        resp = logs.get_log_events(logGroupName="RDSOSMetrics", logStreamName=s, limit=1)
        e = resp["events"][0]
        newest[s] = {"stream": s, "timestamp": e["timestamp"], "message": e["message"],
                     "ingestion_time": e["ingestionTime"], "event_id": ""}

    json.dump({"pages": pages, "events": events, "missing_error": missing, "newest": newest}, sys.stdout)


if __name__ == "__main__":
    main()
