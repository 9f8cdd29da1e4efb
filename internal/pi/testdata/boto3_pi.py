"""Send GetResourceMetrics with boto3's `pi` client and print what it parsed, as JSON.

Usage: boto3_pi.py ENDPOINT REQUEST_JSON
REQUEST_JSON holds Identifier, StartTime and EndTime (epoch seconds), PeriodInSeconds and
MetricQueries in the API's shape. Credentials come from the environment.
"""
import json
import sys

import boto3
import botocore


def main():
    endpoint, req = sys.argv[1], json.loads(sys.argv[2])
    client = boto3.client("pi", region_name="us-east-1", endpoint_url=endpoint)
    kwargs = dict(
        ServiceType="RDS",
        Identifier=req["Identifier"],
        StartTime=req["StartTime"],
        EndTime=req["EndTime"],
        PeriodInSeconds=req["PeriodInSeconds"],
        MetricQueries=req["MetricQueries"],
    )
    series = []
    while True:
        resp = client.get_resource_metrics(**kwargs)
        for m in resp.get("MetricList", []):
            series.append({
                "metric": m["Key"]["Metric"],
                "dimensions": m["Key"].get("Dimensions", {}),
                "timestamps": [int(p["Timestamp"].timestamp()) for p in m.get("DataPoints", [])],
                "values": [p["Value"] for p in m.get("DataPoints", [])],
            })
        if not resp.get("NextToken"):
            break
        kwargs["NextToken"] = resp["NextToken"]
    error = None
    try:
        unknown = {k: v for k, v in kwargs.items() if k != "NextToken"}
        client.get_resource_metrics(**dict(unknown, Identifier="db-UNKNOWN"))
    except client.exceptions.NotAuthorizedException as e:
        error = e.response["Error"]["Code"]
    print(json.dumps({"botocore": botocore.__version__, "series": series, "unknown_error": error}))


if __name__ == "__main__":
    main()
