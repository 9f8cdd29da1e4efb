#!/usr/bin/env python3
"""Reads the simulator's RDS events with an independent client, boto3.

Usage: boto3_events.py ENDPOINT_URL START_EPOCH END_EPOCH

Prints one JSON document: every event of [START, END] (DescribeEvents paginated with
MaxRecords 20), the events of the default window (no StartTime/EndTime: the last 60
minutes), the db-instance failover events (SourceType + EventCategories), and the error
code of SourceIdentifier without SourceType. The simulator's Go tests compare it with the Go SDK.
"""
import datetime
import json
import sys

import boto3
import botocore
from botocore.config import Config


def events(pages):
    out = []
    for page in pages:
        for e in page["Events"]:
            out.append({
                "source": e["SourceIdentifier"],
                "type": e["SourceType"],
                "message": e["Message"],
                "categories": e["EventCategories"],
                "date_ms": int(e["Date"].timestamp() * 1000),
                "arn": e["SourceArn"],
            })
    return out


def main():
    endpoint, start, end = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    session = boto3.session.Session(
        aws_access_key_id="AKIDSIM", aws_secret_access_key="secret", region_name="us-east-1"
    )
    cfg = Config(retries={"max_attempts": 2, "mode": "standard"}, connect_timeout=5, read_timeout=30)
    rds = session.client("rds", endpoint_url=endpoint, config=cfg)
    utc = datetime.timezone.utc
    window = dict(StartTime=datetime.datetime.fromtimestamp(start, utc), EndTime=datetime.datetime.fromtimestamp(end, utc))
    paginator = rds.get_paginator("describe_events")
    pages = list(paginator.paginate(PaginationConfig={"PageSize": 20}, **window))
    report = {
        "botocore": botocore.__version__,
        "pages": len(pages),
        "all": events(pages),
        "default_window": events([rds.describe_events()]),
        "instance_failovers": events(paginator.paginate(SourceType="db-instance", EventCategories=["failover"], **window)),
    }
    try:
        rds.describe_events(SourceIdentifier="mysql-a")
        report["no_type_error"] = ""
    except botocore.exceptions.ClientError as err:
        report["no_type_error"] = err.response["Error"]["Code"]
    json.dump(report, sys.stdout)


if __name__ == "__main__":
    main()
