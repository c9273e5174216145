# SPDX-License-Identifier: MIT
"""Python client vs boto3, on the same dynalite in the same run.

    tests/e2e/harness.sh build/daemon/dyntabled -- \
        /usr/bin/python3 bench/python/bench_client.py [--describe N] [--tables N]

Both reach dynalite through the harness's proxy (dyntabled signs for the
Python client; boto3 signs itself with keys the proxy is told to accept),
so the DynamoDB side is the same. Prints a Markdown table. Not run by CI.

1. describe_table: median and p90 latency of one call, blocking, N times
   each, alternating in rounds of 50 (a warm-up call first for each).
2. per-test table: what the dyntable_table fixture does (create_table with
   ephemeral=True and wait=True: table and GSI ACTIVE, then delete_table)
   against boto3's create_table + get_waiter("table_exists").wait() +
   delete_table, with the waiter's default 20 s delay and with Delay=1
   (the smallest it takes). The tables have one GSI.
"""

import argparse
import json
import os
import secrets
import statistics
import sys
import time

import boto3

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "client", "python"))
from dyntable import DynamoDBClient  # noqa: E402


def boto3_client():
    akid, secret = "AKIDBENCH" + secrets.token_hex(4).upper(), secrets.token_hex(20)
    with open(os.environ["DYNTABLE_TEST_KEYS"], "a") as f:
        f.write(json.dumps({"access_key": akid, "secret": secret, "token": None}) + "\n")
    time.sleep(0.5)  # the proxy re-reads the file when it changes
    return boto3.client("dynamodb", endpoint_url=os.environ["DYNTABLE_TEST_ENDPOINT"],
                        region_name="us-east-1", aws_access_key_id=akid,
                        aws_secret_access_key=secret)


def stats(xs):
    xs = sorted(xs)
    return statistics.median(xs) * 1000, xs[int(len(xs) * 0.9)] * 1000


def timed(f):
    t0 = time.perf_counter()
    f()
    return time.perf_counter() - t0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--describe", type=int, default=1000)
    ap.add_argument("--tables", type=int, default=10)
    ap.add_argument("--tables-default-waiter", type=int, default=2)
    a = ap.parse_args()
    dt = DynamoDBClient(namespace="")
    b3 = boto3_client()
    dt.sync_create_table("bench", partition_key=("pk", "S"), wait=True)
    dt.sync_describe_table("bench")
    b3.describe_table(TableName="bench")
    t_dt, t_b3 = [], []
    for _ in range(a.describe // 50):
        t_dt += [timed(lambda: dt.sync_describe_table("bench")) for _ in range(50)]
        t_b3 += [timed(lambda: b3.describe_table(TableName="bench")) for _ in range(50)]
    print(f"| describe_table, {len(t_dt)} calls each | median ms | p90 ms |")
    print("| --- | --- | --- |")
    print("| dyntable (sync) | %.2f | %.2f |" % stats(t_dt))
    print("| boto3 | %.2f | %.2f |" % stats(t_b3))

    gsi = [{"index_name": "by_email", "hash_key": ("email", "S")}]

    def fixture_way():
        n = "f-" + secrets.token_hex(4)
        dt.sync_create_table(n, partition_key=("pk", "S"), global_secondary_indexes=gsi,
                             wait=True, ephemeral=True)
        dt.sync_delete_table(n)

    def boto3_way(delay):
        n = "b-" + secrets.token_hex(4)
        b3.create_table(TableName=n, BillingMode="PAY_PER_REQUEST",
                        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"},
                                              {"AttributeName": "email", "AttributeType": "S"}],
                        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                        GlobalSecondaryIndexes=[{
                            "IndexName": "by_email", "Projection": {"ProjectionType": "ALL"},
                            "KeySchema": [{"AttributeName": "email", "KeyType": "HASH"}]}])
        w = b3.get_waiter("table_exists")
        w.wait(TableName=n, **({"WaiterConfig": {"Delay": delay}} if delay else {}))
        b3.delete_table(TableName=n)

    rows = [("dyntable_table fixture (create+wait+delete)", [timed(fixture_way) for _ in range(a.tables)]),
            ("boto3 create + waiter(Delay=1) + delete", [timed(lambda: boto3_way(1)) for _ in range(a.tables)]),
            ("boto3 create + waiter(default 20 s) + delete",
             [timed(lambda: boto3_way(None)) for _ in range(a.tables_default_waiter)])]
    print()
    print("| per-test table (CREATING lasts %s ms) | runs | median s | max s |"
          % os.environ.get("DYNTABLE_TEST_CREATE_MS", "500"))
    print("| --- | --- | --- | --- |")
    for label, xs in rows:
        print(f"| {label} | {len(xs)} | {statistics.median(xs):.3f} | {max(xs):.3f} |")
    dt.sync_delete_table("bench")
    dt.close()


if __name__ == "__main__":
    main()
