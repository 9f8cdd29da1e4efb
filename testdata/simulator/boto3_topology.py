#!/usr/bin/env python3
"""Reads the simulator's RDS Proxy, Limitless and Multi-AZ answers with boto3:
DescribeDBProxies, DescribeDBProxyTargets, DescribeDBShardGroups, DescribeDBClusters,
DescribeGlobalClusters, and
one proxy target series by its three dimensions.

Usage: boto3_topology.py ENDPOINT_URL START_EPOCH END_EPOCH
Prints one JSON document shaped like the Go test's topologyView.
"""
import datetime
import json
import sys

import boto3
from botocore.config import Config


def main():
    endpoint, start, end = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    session = boto3.session.Session(
        aws_access_key_id="AKIDSIM", aws_secret_access_key="secret", region_name="us-east-1"
    )
    cfg = Config(retries={"max_attempts": 2, "mode": "standard"}, connect_timeout=5, read_timeout=30)
    rds = session.client("rds", endpoint_url=endpoint, config=cfg)
    cw = session.client("cloudwatch", endpoint_url=endpoint, config=cfg)
    view = {"proxies": [], "targets": {}, "shard_groups": None, "clusters": None, "target_sum": 0.0, "writers": {}, "lacks": None}
    for page in rds.get_paginator("describe_global_clusters").paginate():
        for g in page["GlobalClusters"]:
            for m in g["GlobalClusterMembers"]:
                view["writers"][m["DBClusterArn"]] = m["IsWriter"]
    for page in rds.get_paginator("describe_db_proxies").paginate():
        for p in page["DBProxies"]:
            name = p["DBProxyName"]
            view["proxies"].append(" ".join([name, p.get("EngineFamily", ""), p.get("Status", "")]))
            for tpage in rds.get_paginator("describe_db_proxy_targets").paginate(DBProxyName=name):
                for t in tpage["Targets"]:
                    view["targets"].setdefault(name, []).append(" ".join([
                        t.get("Type", ""), t.get("RdsResourceId", ""), t.get("Role", ""), t.get("TargetHealth", {}).get("State", "")]))
    # DescribeDBShardGroups (and ClusterScalabilityType) came in 2024: Debian's botocore
    # may lack them; the Go test wants one interpreter that has them.
    if "DescribeDBShardGroups" in rds.meta.service_model.operation_names:
        view["shard_groups"], view["clusters"] = [], {}
        for g in rds.describe_db_shard_groups()["DBShardGroups"]:
            view["shard_groups"].append(" ".join([
                g["DBShardGroupIdentifier"], g["DBClusterIdentifier"], "%g" % g["MinACU"], "%g" % g["MaxACU"],
                "%g" % g["ComputeRedundancy"], g["Status"]]))
        for page in rds.get_paginator("describe_db_clusters").paginate():
            for c in page["DBClusters"]:
                view["clusters"][c["DBClusterIdentifier"]] = c.get("ClusterScalabilityType", "") + "/" + c.get("DBClusterInstanceClass", "")
    else:
        view["lacks"] = ["DescribeDBShardGroups"]
    out = cw.get_metric_data(
        StartTime=datetime.datetime.fromtimestamp(start, datetime.timezone.utc),
        EndTime=datetime.datetime.fromtimestamp(end, datetime.timezone.utc),
        MetricDataQueries=[{"Id": "t", "MetricStat": {"Metric": {
            "Namespace": "AWS/RDS", "MetricName": "DatabaseConnections", "Dimensions": [
                {"Name": "Target", "Value": "ledger-1"},
                {"Name": "ProxyName", "Value": "ledger-proxy"},
                {"Name": "TargetGroup", "Value": "default"},
            ]}, "Period": 60, "Stat": "Sum"}}],
    )
    view["target_sum"] = sum(out["MetricDataResults"][0]["Values"])
    json.dump(view, sys.stdout)


if __name__ == "__main__":
    main()
