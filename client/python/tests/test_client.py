# SPDX-License-Identifier: MIT
"""Every operation, the blocking way and the asyncio way, against the real
daemon and dynalite (tables stay CREATING/DELETING for 500 ms there)."""

from __future__ import annotations

import asyncio
import json
import re
import time

import pytest

from conftest import Ops, requests_log, uniq, until
from dyntable import (DynamoDBClient, InUseError, InvalidError, NotFoundError,
                      TableDescription, WaitTimeoutError)


def test_create_exists_describe_list_delete(ops: Ops) -> None:
    name = uniq("basic")
    assert ops.table_exists(name) is False
    d = ops.create_table(name, partition_key=("pk", "S"), sort_key=("sk", "N"))
    assert isinstance(d, TableDescription)
    assert (d.name, d.status) == (name, "CREATING")
    assert ops.table_exists(name) is True  # whatever its status
    d = ops.wait_for_table_active(name, timeout_seconds=30)
    assert d.status == "ACTIVE" and d.active
    d = ops.describe_table(name)
    assert d.partition_key == ("pk", "S") and d.sort_key == ("sk", "N")
    assert d.billing_mode == "PAY_PER_REQUEST" and d.read_capacity is None
    assert d.arn and d.arn.endswith("/" + name)
    assert d.raw["TableName"] == name and d.raw["KeySchema"][0]["KeyType"] == "HASH"
    assert name in ops.list_tables()
    d = ops.delete_table(name)
    assert d.status == "DELETING"
    ops.wait_for_table_deleted(name, timeout_seconds=30)
    assert ops.table_exists(name) is False
    assert name not in ops.list_tables()


def test_create_wait_covers_gsis(ops: Ops) -> None:
    name = uniq("gsi")
    d = ops.create_table(name, partition_key=("pk", "S"), global_secondary_indexes=[
        {"index_name": "by_email", "hash_key": ("email", "S"), "projection": "KEYS_ONLY"}],
        wait=True, timeout_seconds=30)
    assert d.status == "ACTIVE"
    [g] = d.global_secondary_indexes
    assert (g.name, g.status, g.partition_key, g.projection) == (
        "by_email", "ACTIVE", ("email", "S"), "KEYS_ONLY")
    d = ops.delete_table(name, wait=True, timeout_seconds=30)
    assert ops.table_exists(name) is False


def test_create_wait_timeout(ops: Ops) -> None:
    name = uniq("slow")
    t0 = time.monotonic()
    with pytest.raises(WaitTimeoutError) as ei:
        ops.create_table(name, wait=True, timeout_seconds=0.05)
    assert time.monotonic() - t0 < 0.45  # the table stays CREATING 500 ms
    assert isinstance(ei.value, TimeoutError) and ei.value.code == 6
    assert ops.wait_for_table_active(name).status == "ACTIVE"  # created all the same
    ops.delete_table(name)


def test_wait_active_waits_for_a_table_not_there_yet(ops: Ops, client: DynamoDBClient) -> None:
    name = uniq("later")
    other = DynamoDBClient(client.socket_path, namespace="")
    start = time.monotonic()
    # The wait is sent first; the table is created from another connection.
    if ops.mode == "sync":
        import threading
        box = {}
        t = threading.Thread(target=lambda: box.setdefault("d", ops.wait_for_table_active(name, 30)))
        t.start()
        time.sleep(0.2)
        other.sync_create_table(name)
        t.join(30)
        d = box["d"]
    else:
        async def both() -> TableDescription:
            w = asyncio.ensure_future(client.wait_for_table_active(name, 30))
            await asyncio.sleep(0.2)
            await client.create_table(name)
            return await w
        d = ops.loop.run_until_complete(both())  # type: ignore[union-attr]
    assert d.status == "ACTIVE" and time.monotonic() - start < 10
    other.sync_delete_table(name)
    other.close()


def test_delete_wait_and_errors(ops: Ops) -> None:
    name = uniq("del")
    ops.create_table(name, wait=True)
    with pytest.raises(InUseError) as ei:
        ops.create_table(name)
    assert ei.value.aws_type == "ResourceInUseException"
    ops.delete_table(name, wait=True)
    assert ops.table_exists(name) is False
    with pytest.raises(NotFoundError) as ei2:
        ops.delete_table(name)
    assert ei2.value.aws_type == "ResourceNotFoundException"
    with pytest.raises(NotFoundError):
        ops.describe_table(name)
    ops.wait_for_table_deleted(name)  # gone already: answers at once
    with pytest.raises(InvalidError):
        ops.delete_table(name, timeout_seconds=3)  # a timeout needs wait=True


def test_create_table_from_input(ops: Ops) -> None:
    name = uniq("input")
    doc = {"TableName": name,
           "AttributeDefinitions": [{"AttributeName": "id", "AttributeType": "S"}],
           "KeySchema": [{"AttributeName": "id", "KeyType": "HASH"}],
           "BillingMode": "PAY_PER_REQUEST", "Tags": [{"Key": "team", "Value": "py"}]}
    d = ops.create_table_from_input(json.dumps(doc), wait=True, timeout_seconds=30)
    assert d.status == "ACTIVE" and d.partition_key == ("id", "S")
    [body] = [e["body"] for e in requests_log("CreateTable") if e["body"]["TableName"] == name]
    assert body == doc  # sent as it is
    ops.delete_table(name)
    with pytest.raises(InvalidError) as ei:
        ops.create_table_from_input({**doc, "WarmThroughput": {"ReadUnitsPerSecond": 0}})
    assert ei.value.field == "WarmThroughput.ReadUnitsPerSecond"
    # Without BillingMode the document means PROVISIONED, as to DynamoDB:
    # with capacities it is created so, without them it is refused.
    bare = {k: v for k, v in doc.items() if k not in ("BillingMode", "Tags")}
    prov = {**bare, "TableName": uniq("prov"),
            "ProvisionedThroughput": {"ReadCapacityUnits": 2, "WriteCapacityUnits": 3}}
    ops.create_table_from_input(prov, wait=True, timeout_seconds=30)
    [body] = [e["body"] for e in requests_log("CreateTable")
              if e["body"]["TableName"] == prov["TableName"]]
    assert body["BillingMode"] == "PROVISIONED"
    ops.delete_table(prov["TableName"])
    with pytest.raises(InvalidError):
        ops.create_table_from_input({**bare, "TableName": uniq("bare")})


def test_every_option(ops: Ops) -> None:
    name = uniq("opts")
    d = ops.create_table(
        name, partition_key=("id", "N"), sort_key=("at", "B"), billing_mode="PROVISIONED",
        read_capacity=3, write_capacity=4, table_class="STANDARD_INFREQUENT_ACCESS",
        encryption="AWS_MANAGED", tags={"team": "py", "empty": ""}, stream="NEW_IMAGE",
        deletion_protection=True, wait=True)
    assert (d.read_capacity, d.write_capacity, d.billing_mode) == (3, 4, "PROVISIONED")
    assert d.partition_key == ("id", "N") and d.sort_key == ("at", "B")
    [body] = [e["body"] for e in requests_log("CreateTable") if e["body"]["TableName"] == name]
    assert body["SSESpecification"] == {"Enabled": True, "SSEType": "KMS"}
    assert body["TableClass"] == "STANDARD_INFREQUENT_ACCESS"
    assert body["StreamSpecification"] == {"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"}
    assert body["Tags"] == [{"Key": "team", "Value": "py"}, {"Key": "empty", "Value": ""}]
    assert body["DeletionProtectionEnabled"] is True
    ops.delete_table(name)  # dynalite does not enforce deletion protection


def test_spec_defaults_send_no_sse_and_no_throughput(ops: Ops) -> None:
    """AWS_OWNED sends no SSESpecification (Enabled:true alone would be the
    AWS *managed* key); capacities are for PROVISIONED only."""
    name = uniq("dflt")
    ops.create_table(name, partition_key=("pk", "S"), wait=True)
    [body] = [e["body"] for e in requests_log("CreateTable") if e["body"]["TableName"] == name]
    assert body == {"AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
                    "TableName": name,
                    "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
                    "BillingMode": "PAY_PER_REQUEST"}
    ops.delete_table(name)


def test_namespace_and_list(client: DynamoDBClient) -> None:
    ns = uniq("ns")
    with DynamoDBClient(client.socket_path, namespace=ns) as c:
        c.sync_create_table("users", wait=True)
        assert c.sync_list_tables() == ["users"]
        assert f"{ns}.users" in c.sync_list_tables(all=True)
        assert c.physical_name("users") == f"{ns}.users"
        assert c.sync_describe_table("users").name == "users"
        assert client.sync_table_exists(f"{ns}.users")
        c.sync_delete_table("users", wait=True)


def test_session_and_ephemeral(client: DynamoDBClient) -> None:
    """An ephemeral table lives while its session has a connection, and
    the daemon deletes it after the grace period (2 s here) once none has."""
    a = DynamoDBClient(client.socket_path, namespace="", session="")
    token = a.sync_session()
    assert re.fullmatch(r"[0-9a-f]{32}", token)
    name = uniq("eph")
    a.sync_create_table(name, ephemeral=True, wait=True)
    [body] = [e["body"] for e in requests_log("CreateTable") if e["body"]["TableName"] == name]
    assert {t["Key"] for t in body["Tags"]} == {"dyntable:owner", "dyntable:expires"}
    b = DynamoDBClient(client.socket_path, namespace="", session=token)
    assert b.sync_session() == token  # joined
    a.close()
    time.sleep(3)  # past the grace: b still holds the session
    assert client.sync_table_exists(name)
    b.close()
    assert until(lambda: not client.sync_table_exists(name), 15), "ephemeral table not deleted"


def test_async_session_joins_the_sync_one(client: DynamoDBClient) -> None:
    async def main() -> str:
        return await client.session()
    token = client.sync_session()
    assert asyncio.run(main()) == token


def test_client_from_environment(monkeypatch: pytest.MonkeyPatch, client: DynamoDBClient) -> None:
    monkeypatch.setenv("DYNTABLE_NAMESPACE", "envns")
    c = DynamoDBClient()
    assert c.namespace == "envns" and c.socket_path == client.socket_path
    assert DynamoDBClient(namespace="").namespace is None
    c.sync_list_tables()
    assert c.server and c.server.startswith("dyntabled")
    c.close()


def test_status_and_reap(ops: Ops) -> None:
    st = ops.status()
    assert st["server"].startswith("dyntabled") and st["clients"] >= 1
    r = ops.reap()
    assert isinstance(r["deleted"], list) and r["errors"] == 0


def _not_found_describes(text: str) -> int:
    m = re.search(r'^dyntabled_requests_total\{op="describe_table",outcome="NOT_FOUND"\} '
                  r'(\d+)$', text, re.M)
    return int(m.group(1)) if m else 0


def test_metrics(ops: Ops) -> None:
    """The admin verb metrics: the daemon's own OpenMetrics text, whose
    counters follow what this client did (tests run as root, an admin)."""
    before = ops.metrics()
    assert before["content_type"].startswith("application/openmetrics-text; version=1.0.0")
    assert before["text"].endswith("# EOF\n")
    assert "# TYPE dyntabled_request_duration_seconds histogram" in before["text"]
    for _ in range(2):
        with pytest.raises(NotFoundError):
            ops.describe_table(uniq("nometrics"))
    after = ops.metrics()["text"]
    assert _not_found_describes(after) == _not_found_describes(before["text"]) + 2


def test_spec_examples_run_with_only_the_import_changed(client: DynamoDBClient) -> None:
    """The spec's client examples, verbatim but for the import."""
    from dyntable import DynamoDBClient  # noqa: F811 (the changed import)

    client = DynamoDBClient()
    if not client.sync_table_exists("users"):
        client.sync_create_table("users", partition_key=("pk", "S"), wait=True)
    client.sync_create_table("orders", partition_key=("pk", "S"))
    client.sync_wait_for_table_active("orders", timeout_seconds=30)
    client.sync_create_table(
        "example_provisioned", partition_key=("pk", "S"), billing_mode="PROVISIONED",
        read_capacity=5, write_capacity=5, wait=True)
    client.sync_delete_table("users")
    client.sync_delete_table("orders")
    client.sync_delete_table("example_provisioned")

    async def main() -> None:
        client = DynamoDBClient()
        if not await client.table_exists("users2"):
            await client.create_table("users2", partition_key=("pk", "S"), wait=True)
        await client.create_table("orders2", partition_key=("pk", "S"))
        await client.wait_for_table_active("orders2", timeout_seconds=30)
        await client.delete_table("users2")
        await client.delete_table("orders2")
        await client.aclose()
    asyncio.run(main())


def test_sync_calls_work_inside_a_running_loop(client: DynamoDBClient) -> None:
    async def main() -> bool:
        return client.sync_table_exists("nothing-here")
    assert asyncio.run(main()) is False


def test_one_client_across_event_loops(client: DynamoDBClient) -> None:
    """A client used from one asyncio.run() and then another reconnects on
    the new loop."""
    for _ in range(3):
        assert asyncio.run(client.table_exists("nothing-here")) is False


def test_update_ttl_tags_backups(ops: Ops) -> None:
    """Issue 16's operations against dynalite (which answers
    UpdateContinuousBackups as an unknown operation: AwsError)."""
    name = uniq("upd")
    ops.create_table(name, partition_key=("pk", "S"), billing_mode="PROVISIONED",
                     read_capacity=1, write_capacity=1, wait=True, timeout_seconds=30)
    d = ops.update_table(name, {"TableName": name, "ProvisionedThroughput": {
        "ReadCapacityUnits": 4, "WriteCapacityUnits": 2}}, wait=True, timeout_seconds=30)
    assert d.status == "ACTIVE" and d.read_capacity == 4
    [body] = [r["body"] for r in requests_log("UpdateTable") if r["body"]["TableName"] == name]
    assert body == {"TableName": name, "ProvisionedThroughput": {
        "ReadCapacityUnits": 4, "WriteCapacityUnits": 2}}
    n = len(requests_log("UpdateTable"))
    with pytest.raises(InvalidError, match="nothing to update"):
        ops.update_table(name, {})
    with pytest.raises(InvalidError, match="TableName: not the table"):
        ops.update_table(name, {"TableName": "other", "TableClass": "STANDARD"})
    assert len(requests_log("UpdateTable")) == n  # nothing sent
    ops.tag_resource(name, {"team": "py", "env": "ci"})
    ops.untag_resource(name, ["env"])
    assert ops.list_tags_of_resource(name) == {"team": "py"}
    assert ops.describe_time_to_live(name)["TimeToLiveStatus"] == "DISABLED"
    with pytest.raises(InvalidError, match="RecoveryPeriodInDays"):
        ops.update_continuous_backups(name, True, 36)
    ops.delete_table(name, wait=True, timeout_seconds=30)
