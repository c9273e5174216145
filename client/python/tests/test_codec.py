# SPDX-License-Identifier: MIT
"""Unit tests of the pure pieces: framing, codec limits, ids, and the
arguments -> CreateTableInput shaping. No daemon needed."""

from __future__ import annotations

import struct

import msgpack
import pytest

from dyntable import _protocol as p
from dyntable.description import TableDescription
from dyntable.errors import InvalidError, ProtocolError


def frame(obj: object) -> bytes:
    payload = msgpack.packb(obj, use_bin_type=True)
    return struct.pack(">I", len(payload)) + payload


def test_decoder_byte_at_a_time() -> None:
    msgs = [{"id": i, "ok": True, "result": {"n": "x" * i}} for i in range(1, 6)]
    stream = b"".join(frame(m) for m in msgs)
    d = p.FrameDecoder()
    got = []
    for i in range(len(stream)):
        got += d.feed(stream[i:i + 1])
    assert got == msgs and d.pending == 0


def test_decoder_many_frames_in_one_read() -> None:
    d = p.FrameDecoder()
    assert d.feed(frame({"id": 1}) + frame({"id": 2}) + frame({"id": 3})[:3]) == [
        {"id": 1}, {"id": 2}]
    assert d.feed(frame({"id": 3})[3:]) == [{"id": 3}]


@pytest.mark.parametrize("length", [0, p.FRAME_MAX + 1, 0xFFFFFFFF])
def test_decoder_refuses_bad_lengths_before_allocating(length: int) -> None:
    with pytest.raises(ProtocolError):
        p.FrameDecoder().feed(struct.pack(">I", length))


def test_decoder_limit_is_settable() -> None:
    d = p.FrameDecoder(limit=10)
    with pytest.raises(ProtocolError):
        d.feed(frame({"id": 1, "x": "0123456789"}))


@pytest.mark.parametrize("payload", [b"\x93\x01\x02\x03", b"\xc1", b"\x81\xa1a\x01\x01",
                                     b"\x81\x01\x01"])
def test_decoder_refuses_non_maps_and_garbage(payload: bytes) -> None:
    with pytest.raises(ProtocolError):
        p.FrameDecoder().feed(struct.pack(">I", len(payload)) + payload)


def test_encode_round_trip_and_limits() -> None:
    msg = {"id": 7, "op": "describe_table", "args": {"name": "users"}}
    assert p.FrameDecoder().feed(p.encode(msg)) == [msg]
    with pytest.raises(InvalidError, match="more than the daemon accepts"):
        p.encode({"id": 1, "op": "x", "args": {"s": "y" * 100}}, limit=50)
    with pytest.raises(InvalidError, match="binary"):
        p.encode({"id": 1, "op": "x", "args": {"b": b"\x00"}})
    with pytest.raises(InvalidError, match="map key"):
        p.encode({"id": 1, "op": "x", "args": {1: 2}})
    deep: dict = {}
    cur = deep
    for _ in range(40):
        cur["a"] = {}
        cur = cur["a"]
    with pytest.raises(InvalidError, match="nested deeper"):
        p.encode({"id": 1, "op": "x", "args": deep})
    # 32 containers are fine: message, args, and 30 more.
    ok: dict = {}
    cur = ok
    for _ in range(30):
        cur["a"] = {}
        cur = cur["a"]
    p.encode({"id": 1, "op": "x", "args": ok})


def test_ids_skip_busy_and_wrap() -> None:
    ids = p.Ids()
    assert ids.take(set()) == 1
    assert ids.take({2, 3}) == 4
    ids._next = p.ID_MAX - 1
    assert ids.take(set()) == p.ID_MAX
    assert ids.take({1}) == 2  # wraps past 0, never gives 0


def test_create_input_order_and_defaults() -> None:
    t = p.create_table_input(
        "t1", ("pk", "S"), ("sk", "N"), "PROVISIONED", 7, 3,
        global_secondary_indexes=[{"index_name": "g", "hash_key": ("email", "STRING"),
                                   "range_key": ("sk", "n")}],
        local_secondary_indexes=[{"index_name": "l", "range_key": ("at", "B")}])
    assert list(t) == ["AttributeDefinitions", "TableName", "KeySchema",
                       "LocalSecondaryIndexes", "GlobalSecondaryIndexes", "BillingMode",
                       "ProvisionedThroughput"]
    assert [a["AttributeName"] for a in t["AttributeDefinitions"]] == ["pk", "sk", "email", "at"]
    assert t["AttributeDefinitions"][2]["AttributeType"] == "S"
    assert t["GlobalSecondaryIndexes"][0]["ProvisionedThroughput"] == {
        "ReadCapacityUnits": 7, "WriteCapacityUnits": 3}
    ppr = p.create_table_input("t2", ("pk", "S"))
    assert "ProvisionedThroughput" not in ppr and "SSESpecification" not in ppr
    assert "TableClass" not in ppr and ppr["BillingMode"] == "PAY_PER_REQUEST"


def test_create_input_shape_errors_name_the_parameter() -> None:
    with pytest.raises(InvalidError, match="^INVALID: partition_key: must be a"):
        p.create_table_input("t", "pk")  # type: ignore[arg-type]
    with pytest.raises(InvalidError, match=r"global_secondary_indexes\[0\]: unknown key 'hashkey'"):
        p.create_table_input("t", ("pk", "S"), global_secondary_indexes=[
            {"index_name": "g", "hashkey": ("a", "S")}])
    with pytest.raises(InvalidError, match="'pk' is N here but S in partition_key"):
        p.create_table_input("t", ("pk", "S"), global_secondary_indexes=[
            {"index_name": "g", "hash_key": ("pk", "N")}])
    with pytest.raises(InvalidError, match="^INVALID: kms_key_id: only with"):
        p.create_table_input("t", ("pk", "S"), kms_key_id="k")
    with pytest.raises(InvalidError, match="^INVALID: encryption:"):
        p.create_table_input("t", ("pk", "S"), encryption="KMS")


def test_timeouts() -> None:
    assert p.timeout_ms(None) is None
    assert p.timeout_ms(0.0001) == 1  # never 0, which means the default
    assert p.timeout_ms(30) == 30000
    with pytest.raises(InvalidError):
        p.timeout_ms(0)


def test_description_parsing() -> None:
    d = TableDescription.from_dict({
        "TableName": "t", "TableStatus": "ACTIVE",
        "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"},
                                 {"AttributeName": "g", "AttributeType": "N"}],
        "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
        "ProvisionedThroughput": {"ReadCapacityUnits": 0, "WriteCapacityUnits": 0},
        "BillingModeSummary": {"BillingMode": "PAY_PER_REQUEST"},
        "GlobalSecondaryIndexes": [{"IndexName": "gi", "IndexStatus": "CREATING",
                                    "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"}],
                                    "Projection": {"ProjectionType": "ALL"}}],
        "SomethingNew": {"x": 1}})
    assert d.partition_key == ("pk", "S") and d.sort_key is None
    assert d.read_capacity is None and not d.active  # the GSI is CREATING
    assert d.global_secondary_indexes[0].partition_key == ("g", "N")
    assert d.raw["SomethingNew"] == {"x": 1}
    with pytest.raises(Exception):
        d.status = "x"  # type: ignore[misc]
