#!/usr/bin/env python3
"""Runs one GetMetricData request with boto3, page by page, and prints what it parsed.

Usage: boto3_metricdata.py ENDPOINT_URL < request.json

The request is {"queries": [{"id", "dim", "ident", "metric", "stat", "period"}, ...],
"start": epoch, "end": epoch, "max_datapoints": n (0: none), "scan_by": "..."}. Every
page is printed as it came (results with StatusCode, Messages, timestamps and values,
the top-level Messages and whether a NextToken followed), so the simulator's Go tests
can compare boto3 with the Go SDK for per-query statuses (Forbidden, InternalError,
PartialData + NextToken), Messages and stopped instances.
"""
import datetime
import json
import sys

import boto3
import botocore
from botocore.config import Config


def utc(epoch):
    return datetime.datetime.fromtimestamp(epoch, tz=datetime.timezone.utc)


def messages(ms):
    return [{"code": m.get("Code", ""), "value": m.get("Value", "")} for m in ms or []]


def main():
    endpoint = sys.argv[1]
    req = json.load(sys.stdin)
    session = boto3.session.Session(
        aws_access_key_id="AKIDSIM", aws_secret_access_key="secret", region_name="us-east-1"
    )
    cfg = Config(retries={"max_attempts": 1, "mode": "standard"}, connect_timeout=5, read_timeout=30)
    cw = session.client("cloudwatch", endpoint_url=endpoint, config=cfg)
    kwargs = {
        "MetricDataQueries": [{
            "Id": q["id"],
            "MetricStat": {
                "Metric": {"Namespace": "AWS/RDS", "MetricName": q["metric"],
                           "Dimensions": [{"Name": q["dim"], "Value": q["ident"]}]},
                "Period": q["period"],
                "Stat": q["stat"],
            },
        } for q in req["queries"]],
        "StartTime": utc(req["start"]),
        "EndTime": utc(req["end"]),
        "ScanBy": req.get("scan_by") or "TimestampDescending",
    }
    if req.get("max_datapoints"):
        kwargs["MaxDatapoints"] = req["max_datapoints"]
    pages = []
    while len(pages) < 100:
        resp = cw.get_metric_data(**kwargs)
        pages.append({
            "results": [{
                "id": r["Id"],
                "label": r.get("Label", ""),
                "status": r["StatusCode"],
                "timestamps": [int(ts.timestamp()) for ts in r.get("Timestamps", [])],
                "values": r.get("Values", []),
                "messages": messages(r.get("Messages")),
            } for r in resp["MetricDataResults"]],
            "messages": messages(resp.get("Messages")),
            "next_token": bool(resp.get("NextToken")),
        })
        if not resp.get("NextToken"):
            break
        kwargs["NextToken"] = resp["NextToken"]
    json.dump({
        "botocore": botocore.__version__,
        "cloudwatch_protocol": cw.meta.service_model.protocol,
        "pages": pages,
    }, sys.stdout)


if __name__ == "__main__":
    main()
