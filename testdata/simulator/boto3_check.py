#!/usr/bin/env python3
"""Reads the simulator with an independent client, boto3, and prints what it parsed.

Usage: boto3_check.py ENDPOINT_URL START_EPOCH END_EPOCH

Describes every DB instance and cluster (paginated), then runs GetMetricData
(paginated) for CPUUtilization/Average/60 s of every instance and
VolumeBytesUsed/Maximum/300 s of every cluster over [START, END), lists the
CloudWatch Logs log groups (DescribeLogGroups, paginated) and reads every group
with FilterLogEvents (paginated) over startTime START, endTime END (epoch ms),
and prints one JSON document on stdout. The simulator's Go tests compare it with
the Go SDK.
"""
import datetime
import json
import sys

import boto3
import botocore
from botocore.config import Config


def epoch(ts):
    return int(ts.timestamp())


def main():
    endpoint, start, end = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    session = boto3.session.Session(
        aws_access_key_id="AKIDSIM", aws_secret_access_key="secret", region_name="us-east-1"
    )
    cfg = Config(retries={"max_attempts": 2, "mode": "standard"}, connect_timeout=5, read_timeout=30)
    rds = session.client("rds", endpoint_url=endpoint, config=cfg)
    cw = session.client("cloudwatch", endpoint_url=endpoint, config=cfg)
    logs = session.client("logs", endpoint_url=endpoint, config=cfg)

    instances = []
    for page in rds.get_paginator("describe_db_instances").paginate(PaginationConfig={"PageSize": 20}):
        for i in page["DBInstances"]:
            instances.append({
                "id": i["DBInstanceIdentifier"],
                "engine": i["Engine"],
                "class": i["DBInstanceClass"],
                "cluster": i.get("DBClusterIdentifier", ""),
                "replica_source": i.get("ReadReplicaSourceDBInstanceIdentifier", ""),
                "performance_insights": i.get("PerformanceInsightsEnabled", False),
                "arn": i["DBInstanceArn"],
                "tags": {t["Key"]: t["Value"] for t in i.get("TagList", [])},
                "log_exports": i.get("EnabledCloudwatchLogsExports", []),
            })

    clusters = []
    for page in rds.get_paginator("describe_db_clusters").paginate(PaginationConfig={"PageSize": 20}):
        for c in page["DBClusters"]:
            clusters.append({
                "id": c["DBClusterIdentifier"],
                "engine": c["Engine"],
                "serverless": "ServerlessV2ScalingConfiguration" in c,
                "members": {m["DBInstanceIdentifier"]: m["IsClusterWriter"] for m in c["DBClusterMembers"]},
                "tags": {t["Key"]: t["Value"] for t in c.get("TagList", [])},
                "log_exports": c.get("EnabledCloudwatchLogsExports", []),
            })

    specs = {}
    for n, i in enumerate(instances):
        specs["i%d" % n] = ("DBInstanceIdentifier", i["id"], "CPUUtilization", "Average", 60)
    for n, c in enumerate(clusters):
        specs["c%d" % n] = ("DBClusterIdentifier", c["id"], "VolumeBytesUsed", "Maximum", 300)
    queries = [{
        "Id": qid,
        "MetricStat": {
            "Metric": {"Namespace": "AWS/RDS", "MetricName": metric,
                       "Dimensions": [{"Name": dim, "Value": ident}]},
            "Period": period,
            "Stat": stat,
        },
    } for qid, (dim, ident, metric, stat, period) in specs.items()]

    metrics = {}
    kwargs = {
        "MetricDataQueries": queries,
        "StartTime": datetime.datetime.fromtimestamp(start, tz=datetime.timezone.utc),
        "EndTime": datetime.datetime.fromtimestamp(end, tz=datetime.timezone.utc),
        "ScanBy": "TimestampAscending",
        "MaxDatapoints": 200,  # forces NextToken pages
    }
    pages = 0
    while True:
        resp = cw.get_metric_data(**kwargs)
        pages += 1
        for r in resp["MetricDataResults"]:
            dim, ident, metric, stat, period = specs[r["Id"]]
            m = metrics.setdefault(r["Id"], {
                "dimension": dim, "identifier": ident, "metric": metric, "stat": stat, "period": period,
                "timestamps": [], "values": [],
            })
            m["label"] = r["Label"]
            m["status"] = r["StatusCode"]
            m["timestamps"] += [epoch(ts) for ts in r["Timestamps"]]
            m["values"] += r["Values"]
        if not resp.get("NextToken") or pages > 100:
            break
        kwargs["NextToken"] = resp["NextToken"]

    log_groups = []
    for page in logs.get_paginator("describe_log_groups").paginate(PaginationConfig={"PageSize": 3}):
        log_groups += [g["logGroupName"] for g in page["logGroups"]]
    log_events, log_pages = {}, 0
    for group in log_groups:
        evs = log_events.setdefault(group, [])
        kwargs = {"logGroupName": group, "startTime": start * 1000, "endTime": end * 1000, "limit": 500}
        while True:
            resp = logs.filter_log_events(**kwargs)
            log_pages += 1
            evs += [{
                "stream": e["logStreamName"], "timestamp": e["timestamp"], "message": e["message"],
                "ingestion_time": e["ingestionTime"], "event_id": e["eventId"],
            } for e in resp["events"]]
            if not resp.get("nextToken") or log_pages > 1000:
                break
            kwargs["nextToken"] = resp["nextToken"]

    json.dump({
        "botocore": botocore.__version__,
        "cloudwatch_protocol": cw.meta.service_model.protocol,
        "instances": instances,
        "clusters": clusters,
        "metrics": metrics,
        "pages": pages,
        "logs_protocol": logs.meta.service_model.protocol,
        "log_groups": log_groups,
        "log_events": log_events,
        "log_pages": log_pages,
    }, sys.stdout)


if __name__ == "__main__":
    main()
