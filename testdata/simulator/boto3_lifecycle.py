#!/usr/bin/env python3
"""Reads the simulator's lifecycle answers with boto3: DescribePendingMaintenanceActions
(paginated, MaxRecords 20), DescribeDBMajorEngineVersions (paginated, MaxRecords 20),
DescribeAccountAttributes, and the certificate and audit fields of DescribeDBInstances.

Usage: boto3_lifecycle.py ENDPOINT_URL START_EPOCH END_EPOCH (the times are unused)
Prints one JSON document; the simulator's Go tests compare it with the Go SDK.
"""
import json
import sys

import boto3
from botocore.config import Config


def ms(t):
    return int(t.timestamp() * 1000) if t else 0


def main():
    endpoint = sys.argv[1]
    session = boto3.session.Session(
        aws_access_key_id="AKIDSIM", aws_secret_access_key="secret", region_name="us-east-1"
    )
    cfg = Config(retries={"max_attempts": 2, "mode": "standard"}, connect_timeout=5, read_timeout=30)
    rds = session.client("rds", endpoint_url=endpoint, config=cfg)
    pending = []
    for page in rds.get_paginator("describe_pending_maintenance_actions").paginate(PaginationConfig={"PageSize": 20}):
        for r in page["PendingMaintenanceActions"]:
            for d in r["PendingMaintenanceActionDetails"]:
                pending.append({
                    "resource": r["ResourceIdentifier"], "action": d["Action"],
                    "auto_applied_after_ms": ms(d.get("AutoAppliedAfterDate")), "forced_apply_ms": ms(d.get("ForcedApplyDate")),
                    "current_apply_ms": ms(d.get("CurrentApplyDate")), "description": d.get("Description", ""),
                })
    # DescribeDBMajorEngineVersions is newer than some botocore releases (Debian's): null
    # says this botocore cannot check it; the Go test wants one interpreter that can.
    majors = [] if "DescribeDBMajorEngineVersions" in rds.meta.service_model.operation_names else None
    for page in ([] if majors is None else rds.get_paginator("describe_db_major_engine_versions").paginate(PaginationConfig={"PageSize": 20})):
        for v in page["DBMajorEngineVersions"]:
            for lc in v["SupportedEngineLifecycles"]:
                majors.append({"engine": v["Engine"], "major": v["MajorEngineVersion"], "name": lc["LifecycleSupportName"],
                               "start_ms": ms(lc["LifecycleSupportStartDate"]), "end_ms": ms(lc["LifecycleSupportEndDate"])})
    quotas = {q["AccountQuotaName"]: [q["Used"], q["Max"]] for q in rds.describe_account_attributes()["AccountQuotas"]}
    instances = {}
    has_cert = "CertificateDetails" in rds.meta.service_model.shape_for("DBInstance").members
    lacks = ([] if majors is not None else ["DescribeDBMajorEngineVersions"]) + ([] if has_cert else ["CertificateDetails"])
    for page in rds.get_paginator("describe_db_instances").paginate():
        for i in page["DBInstances"]:
            instances[i["DBInstanceIdentifier"]] = {
                "ca": i["CACertificateIdentifier"], "valid_till_ms": ms(i["CertificateDetails"]["ValidTill"]) if has_cert else None,
                "deletion_protection": i["DeletionProtection"], "iam_auth": i["IAMDatabaseAuthenticationEnabled"],
                "public": i["PubliclyAccessible"], "encrypted": i["StorageEncrypted"],
            }
    json.dump({"pending": pending, "majors": majors, "quotas": quotas, "instances": instances, "lacks": lacks}, sys.stdout)


if __name__ == "__main__":
    main()
