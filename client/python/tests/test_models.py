# SPDX-License-Identifier: MIT
"""The model matrix: models of every shape, created sync and async and
read back from DynamoDB; models that cannot be tables, refused naming the
attribute."""

from __future__ import annotations

import asyncio
from typing import Any, Dict, List, Optional, Tuple, Type

import pytest

from conftest import uniq
from dyntable import (BinaryAttribute, BooleanAttribute, DynamoDBClient, GlobalSecondaryIndex,
                      InvalidError, LocalSecondaryIndex, MapAttribute, Model, ModelConfig,
                      NumberAttribute, StringAttribute, StringSetAttribute, set_default_client)


def make(name: str, body: Dict[str, Any], client: DynamoDBClient) -> Type[Model]:
    return type(name, (Model,), {"model_config": ModelConfig(table=uniq(name.lower()),
                                                             client=client), **body})


# name -> (class body, create options, expected (pk, sk, gsis, lsis))
MATRIX: Dict[str, Tuple[Dict[str, Any], Dict[str, Any], Tuple[Any, ...]]] = {
    "pk_only": ({"id": StringAttribute(partition_key=True), "note": StringAttribute()},
                {}, (("id", "S"), None, [], [])),
    "number_binary": ({"n": NumberAttribute(partition_key=True),
                       "b": BinaryAttribute(sort_key=True)},
                      {}, (("n", "N"), ("b", "B"), [], [])),
    "alias": ({"user_id": StringAttribute(partition_key=True, alias="UserId"),
               "when": NumberAttribute(range_key=True, alias="When")},
              {}, (("UserId", "S"), ("When", "N"), [], [])),
    "gsi_lsi": ({"pk": StringAttribute(partition_key=True), "sk": StringAttribute(sort_key=True),
                 "email": StringAttribute(), "age": NumberAttribute(), "tags": StringSetAttribute(),
                 "by_email": GlobalSecondaryIndex(index_name="by_email", partition_key="email",
                                                  projection="KEYS_ONLY"),
                 "by_age": LocalSecondaryIndex(index_name="by_age", sort_key="age",
                                               projection=["email", "tags"])},
                {}, (("pk", "S"), ("sk", "S"), [("by_email", [("email", "S")], [])],
                     [("by_age", [("pk", "S")], [("age", "N")])])),
    "gsi_provisioned": (
        {"pk": StringAttribute(partition_key=True), "a": StringAttribute(),
         "b": NumberAttribute(), "c": NumberAttribute(),
         "g": GlobalSecondaryIndex(index_name="by_abc", hash_key="b", range_key="c",
                                   read_capacity=2, write_capacity=3)},
        {"billing_mode": "PROVISIONED", "read_capacity": 4, "write_capacity": 6},
        (("pk", "S"), None, [("by_abc", [("b", "N")], [("c", "N")])], [])),
}


@pytest.mark.parametrize("mode", ["sync", "async"])
@pytest.mark.parametrize("shape", sorted(MATRIX))
def test_model_matrix(client: DynamoDBClient, shape: str, mode: str) -> None:
    body, opts, (pk, sk, gsis, lsis) = MATRIX[shape]
    M = make(shape.title().replace("_", ""), body, client)

    async def run() -> Any:
        assert await M.table_exists() is False
        d = await M.create_table(wait=True, **opts)
        assert await M.table_exists() is True
        await M.delete_table(wait=True)
        assert await M.table_exists() is False
        return d

    def run_sync() -> Any:
        assert M.sync_table_exists() is False
        d = M.sync_create_table(wait=True, **opts)
        assert M.sync_table_exists() is True
        M.sync_delete_table(wait=True)
        assert M.sync_table_exists() is False
        return d

    d = asyncio.run(run()) if mode == "async" else run_sync()
    if mode == "async":
        asyncio.run(client.aclose())
    assert d.status == "ACTIVE" and d.active
    assert d.partition_key == pk and d.sort_key == sk
    assert [(g.name, list(g.partition_keys), list(g.sort_keys))
            for g in d.global_secondary_indexes] == gsis
    assert [(x.name, list(x.partition_keys), list(x.sort_keys))
            for x in d.local_secondary_indexes] == lsis
    if opts.get("billing_mode") == "PROVISIONED":
        assert (d.read_capacity, d.write_capacity) == (opts["read_capacity"],
                                                       opts["write_capacity"])
        [g] = d.global_secondary_indexes
        assert (g.read_capacity, g.write_capacity) == (2, 3)  # its own, per GSI
    if shape == "gsi_lsi":
        assert d.local_secondary_indexes[0].projection == "INCLUDE"
        assert set(d.local_secondary_indexes[0].non_key_attributes) == {"email", "tags"}


BAD: List[Tuple[str, Dict[str, Any], str]] = [
    ("no partition key", {"x": StringAttribute()}, "no partition key"),
    ("two partition keys", {"a": StringAttribute(partition_key=True),
                            "b": StringAttribute(partition_key=True)}, ".b: a second partition key"),
    ("key of a non-scalar type", {"flag": BooleanAttribute(partition_key=True)}, ".flag:"),
    ("index on an undeclared attribute",
     {"pk": StringAttribute(partition_key=True),
      "by_x": GlobalSecondaryIndex(index_name="by_x", partition_key="emial")}, "'emial'"),
    ("index key of a non-scalar type",
     {"pk": StringAttribute(partition_key=True), "m": MapAttribute(),
      "by_m": GlobalSecondaryIndex(index_name="by_m", partition_key="m")}, ".m:"),
]


@pytest.mark.parametrize("what,body,says", BAD, ids=[b[0] for b in BAD])
def test_models_that_cannot_be_tables(what: str, body: Dict[str, Any], says: str) -> None:
    with pytest.raises(InvalidError, match=".*" + says.replace(".", r"\.").replace("(", r"\(")):
        type("Bad", (Model,), {"model_config": ModelConfig(table="bad"), **body})
    # Without a table name the class may be defined (a base class), and the
    # call raises instead.
    M = type("Base", (Model,), dict(body))
    with pytest.raises(InvalidError):
        M.sync_create_table()


def test_lsi_without_sort_key_is_the_daemons_to_refuse(client: DynamoDBClient) -> None:
    M = make("Lsi", {"pk": StringAttribute(partition_key=True), "n": NumberAttribute(),
                     "by_n": LocalSecondaryIndex(index_name="by_n", sort_key="n")}, client)
    with pytest.raises(InvalidError) as ei:
        M.sync_create_table()
    assert ei.value.field and ei.value.field.startswith("LocalSecondaryIndexes")


def test_spec_model_example_with_default_client(client: DynamoDBClient) -> None:
    """The spec's Model example: set_default_client, ModelConfig, Meta."""
    set_default_client(client)
    try:
        class User(Model):
            model_config = ModelConfig(table=uniq("example_model_users"))
            pk = StringAttribute(partition_key=True)
            sk = StringAttribute(sort_key=True)
            email = StringAttribute()
            status = StringAttribute()
            age = NumberAttribute()
            email_index = GlobalSecondaryIndex(index_name="email-index", partition_key="email")

        if not User.sync_table_exists():
            User.sync_create_table(wait=True)
        assert User.sync_table_exists()
        User.sync_delete_table()

        class Order(Model):
            class Meta:
                table_name = uniq("orders")
            id = StringAttribute(partition_key=True)

        Order.sync_create_table(billing_mode="PROVISIONED", read_capacity=10,
                                write_capacity=5, wait=True)
        assert client.sync_describe_table(Order.Meta.table_name).read_capacity == 10
        Order.sync_delete_table()
        u = User(pk="USER#1", age=3)
        assert (u.pk, u.age, u.email) == ("USER#1", 3, None)
    finally:
        set_default_client(None)
