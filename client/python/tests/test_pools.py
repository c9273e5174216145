# SPDX-License-Identifier: MIT
"""truncate_table, lease_table, release_table, pools through the Python
client, blocking and asyncio, against the real daemon and dynalite (run
through tests/e2e/harness.sh); items are written and counted with boto3
straight in dynalite."""

from __future__ import annotations

import subprocess
import sys
from typing import Any

import pytest

from conftest import Ops, need, requests_log, uniq, until
from dyntable import DynamoDBClient, InvalidError, Lease, NotFoundError, StringAttribute
from dyntable import Model, ModelConfig


def _ddb() -> Any:
    boto3 = pytest.importorskip("boto3")
    return boto3.client("dynamodb", endpoint_url=need("DYNTABLE_TEST_DYNALITE_URL"),
                        region_name="us-east-1", aws_access_key_id="AKIDDIRECT",
                        aws_secret_access_key="direct-secret")


def _fill(table: str, n: int) -> None:
    ddb = _ddb()
    for i in range(0, n, 25):
        ddb.batch_write_item(RequestItems={table: [
            {"PutRequest": {"Item": {"pk": {"S": f"k{j}"}}}} for j in range(i, min(n, i + 25))]})


def _count(table: str) -> int:
    return int(_ddb().scan(TableName=table, Select="COUNT")["Count"])


def test_truncate(ops: Ops) -> None:
    name = uniq("tr")
    ops.create_table(name, wait=True)
    _fill(name, 60)
    out = ops.truncate_table(name)
    assert out["deleted"] == 60 and isinstance(out["elapsed_ms"], int)
    assert _count(name) == 0
    assert any(name in e["body"].get("RequestItems", {}) for e in requests_log("BatchWriteItem"))
    with pytest.raises(NotFoundError):
        ops.truncate_table(uniq("missing"), force=True)
    ops.delete_table(name)


def test_lease_release_pools(ops: Ops) -> None:
    logical = uniq("lease")
    lease = ops.lease_table(partition_key=("pk", "S"), name=logical,
                            global_secondary_indexes=[{"index_name": "by-g",
                                                       "hash_key": ("g", "S")}])
    assert isinstance(lease, Lease)
    assert lease.table_name.startswith("dyntable-pool-") and lease.name == logical
    assert lease.table.status == "ACTIVE" and lease.table.name == lease.table_name
    # The logical name stands for the table.
    assert ops.describe_table(logical).name == lease.table_name
    _fill(lease.table_name, 10)
    pools = ops.pools()
    assert any(p["leased"] >= 1 for p in pools["pools"])
    assert ops.release_table(logical) == lease.table_name
    with pytest.raises(NotFoundError):
        ops.release_table(logical)
    # The same definition, another way: a CreateTableInput; from the pool.
    again = ops.lease_table({
        "AttributeDefinitions": [{"AttributeName": "g", "AttributeType": "S"},
                                 {"AttributeName": "pk", "AttributeType": "S"}],
        "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
        "BillingMode": "PAY_PER_REQUEST",
        "GlobalSecondaryIndexes": [{"IndexName": "by-g", "KeySchema": [
            {"AttributeName": "g", "KeyType": "HASH"}], "Projection": {"ProjectionType": "ALL"}}]},
        pooled_only=True, timeout_seconds=30)
    assert _count(again.table_name) == 0
    ops.release_table(again.table_name)
    with pytest.raises(NotFoundError):
        ops.lease_table(partition_key=("other", "N"), pooled_only=True)
    with pytest.raises(InvalidError):
        ops.lease_table({"KeySchema": []}, partition_key=("pk", "S"))


class Widget(Model):
    model_config = ModelConfig(table="widgets")
    wid = StringAttribute(partition_key=True)


def test_lease_a_model(client: DynamoDBClient) -> None:
    lease = client.sync_lease_table(Widget)
    assert lease.table.partition_key[0] == "wid"
    client.sync_release_table(lease.table_name)


def test_fixture_leases_when_a_pool_serves(tmp_path: Any, client: DynamoDBClient) -> None:
    # A pool learnt from a lease serves this definition from now on.
    first = client.sync_lease_table(partition_key=("fid", "S"))
    client.sync_release_table(first.table_name)
    (tmp_path / "test_fixture.py").write_text(
        "def test_one(dyntable_table):\n"
        "    name = dyntable_table('things', partition_key=('fid', 'S'))\n"
        "    assert name.startswith('dyntable-pool-'), name\n"
        "\n"
        "def test_no_pool(dyntable_table):\n"
        "    name = dyntable_table('others', partition_key=('oid', 'N'))\n"
        "    assert not name.startswith('dyntable-pool-'), name\n")
    res = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                          "-p", "dyntable.pytest_plugin", "--dyntable-required",
                          str(tmp_path)], capture_output=True, text=True, timeout=120,
                         check=False)
    assert res.returncode == 0, res.stdout + res.stderr
    assert "2 passed" in res.stdout
    # The leased table went back: nothing leased once the run is over.
    assert until(lambda: client.sync_pools()["leased"] == 0, 10)
