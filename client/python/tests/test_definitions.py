# SPDX-License-Identifier: MIT
"""The same definition through this client and through the C library
(dyntablectl create): DynamoDB must receive the same CreateTable body,
byte for byte as the proxy recorded it (member order included), but for
the table name."""

from __future__ import annotations

import json
import os
import subprocess
from typing import Any, Dict, List

import pytest

from conftest import need, requests_log, uniq
from dyntable import (DynamoDBClient, GlobalSecondaryIndex, LocalSecondaryIndex, Model,
                      ModelConfig, NumberAttribute, StringAttribute)

CASES: Dict[str, Any] = {
    "gsi-lsi-provisioned": (
        dict(partition_key=("pk", "S"), sort_key=("sk", "N"), billing_mode="PROVISIONED",
             read_capacity=7, write_capacity=3,
             global_secondary_indexes=[
                 {"index_name": "by_email", "hash_key": ("email", "S"),
                  "range_key": ("created", "N"), "projection": "INCLUDE",
                  "non_key_attributes": ["name", "age"]},
                 {"index_name": "by_place", "hash_keys": [("country", "S"), ("city", "S")],
                  "range_keys": [("created", "N"), ("rank", "N")],
                  "projection": "KEYS_ONLY", "read_capacity": 2, "write_capacity": 9}],
             local_secondary_indexes=[
                 {"index_name": "by_updated", "range_key": ("updated", "N"),
                  "projection": "KEYS_ONLY"},
                 {"index_name": "by_score", "range_key": ("score", "B")}],
             tags={"team": "py", "env": "ci"}, stream="NEW_AND_OLD_IMAGES",
             table_class="STANDARD_INFREQUENT_ACCESS", encryption="AWS_MANAGED",
             deletion_protection=True),
        ["--pk", "pk:S", "--sk", "sk:N", "--billing-mode", "PROVISIONED",
         "--rcu", "7", "--wcu", "3",
         "--gsi", "name=by_email,pk=email:S,sk=created:N,projection=INCLUDE:name+age",
         "--gsi", "name=by_place,pk=country:S+city:S,sk=created:N+rank:N,"
                  "projection=KEYS_ONLY,rcu=2,wcu=9",
         "--lsi", "name=by_updated,sk=updated:N,projection=KEYS_ONLY",
         "--lsi", "name=by_score,sk=score:B",
         "--tag", "team=py", "--tag", "env=ci", "--stream", "NEW_AND_OLD_IMAGES",
         "--table-class", "STANDARD_INFREQUENT_ACCESS", "--encryption", "AWS_MANAGED",
         "--deletion-protection"]),
    "on-demand-gsi-lsi": (
        dict(partition_key=("id", "S"), sort_key=("at", "S"),
             global_secondary_indexes=[{"index_name": "by_owner", "hash_key": ("owner", "S"),
                                        "projection": ["title"]}],
             local_secondary_indexes=[{"index_name": "by_size", "range_key": ("size", "N")}]),
        ["--pk", "id:S", "--sk", "at:S",
         "--gsi", "name=by_owner,pk=owner:S,projection=INCLUDE:title",
         "--lsi", "name=by_size,sk=size:N"]),
    "provisioned-defaults": (
        dict(partition_key=("pk", "N"), billing_mode="PROVISIONED",
             global_secondary_indexes=[{"index_name": "gx1", "hash_key": ("x", "B")}]),
        ["--pk", "pk:N", "--billing-mode", "PROVISIONED", "--gsi", "name=gx1,pk=x:B"]),
    "customer-key": (
        dict(partition_key=("pk", "S"), encryption="CUSTOMER_MANAGED",
             kms_key_id="alias/dyntable-test"),
        ["--pk", "pk:S", "--encryption", "CUSTOMER_MANAGED",
         "--kms-key-id", "alias/dyntable-test"]),
    "spec-defaults": (dict(partition_key=("pk", "S")), ["--pk", "pk:S"]),
}


def ctl(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([need("DYNTABLE_TEST_CTL"), *args], capture_output=True,
                          text=True, timeout=60, env={**os.environ, "DYNTABLE_NAMESPACE": ""})


def sent(name: str) -> str:
    """The CreateTable body the proxy recorded for table name, as JSON text
    in the order it was received, the name replaced."""
    bodies: List[Dict[str, Any]] = [e["body"] for e in requests_log("CreateTable")
                                    if isinstance(e.get("body"), dict)
                                    and e["body"].get("TableName") == name]
    assert len(bodies) == 1, f"{len(bodies)} CreateTable requests for {name}"
    bodies[0]["TableName"] = "NAME"
    return json.dumps(bodies[0])


def drop(client: DynamoDBClient, *names: str) -> None:
    for n in names:
        try:
            client.sync_delete_table(n)
        except Exception:
            pass  # CUSTOMER_MANAGED may not have been created by dynalite


@pytest.mark.parametrize("case", sorted(CASES))
def test_same_body_as_the_c_library(client: DynamoDBClient, case: str) -> None:
    kwargs, flags = CASES[case]
    py, c = uniq("py"), uniq("c")
    try:
        client.sync_create_table(py, **kwargs)
    except Exception as e:  # recorded all the same if it reached DynamoDB
        print(f"python create: {e}")
    r = ctl("create", c, *flags)
    print(r.stdout, r.stderr)
    assert sent(py) == sent(c)
    drop(client, py, c)


class Person(Model):
    model_config = ModelConfig(table="people")
    pk = StringAttribute(partition_key=True)
    sk = NumberAttribute(sort_key=True)
    email = StringAttribute()
    created = NumberAttribute()
    name = StringAttribute()
    country = StringAttribute()
    city = StringAttribute()
    by_email = GlobalSecondaryIndex(index_name="by-email", partition_key="email",
                                    sort_key="created")
    by_created = LocalSecondaryIndex(index_name="by-created", sort_key="created",
                                     projection=["email", "name"])
    by_place = GlobalSecondaryIndex(index_name="by-place", partition_key=["country", "city"],
                                    sort_key="created", projection="KEYS_ONLY",
                                    read_capacity=2, write_capacity=1)


def test_model_same_body_as_a_c_model(client: DynamoDBClient, tmp_path: Any) -> None:
    model = {"table": "people",
             "attributes": {"pk": "S", "sk": "N", "email": "S", "created": "N", "name": "S",
                            "country": "S", "city": "S"},
             "partition_key": "pk", "sort_key": "sk",
             "indexes": [
                 {"name": "by-email", "type": "global", "partition_key": "email",
                  "sort_key": "created"},
                 {"name": "by-created", "type": "local", "sort_key": "created",
                  "projection": ["email", "name"]},
                 {"name": "by-place", "type": "global", "partition_key": ["country", "city"],
                  "sort_key": "created", "projection": "KEYS_ONLY",
                  "read_capacity": 2, "write_capacity": 1}]}
    path = os.path.join(str(tmp_path), "people.json")
    with open(path, "w") as f:
        json.dump(model, f)
    py, c = uniq("pm"), uniq("cm")
    try:  # dynalite refuses multi-attribute GSI keys; the request is recorded
        client.sync_create_table(py, **{k: v for k, v in Person.create_table_kwargs(
            billing_mode="PROVISIONED", read_capacity=4).items() if k != "table_name"})
    except Exception as e:
        print(f"python create: {e}")
    r = ctl("create", c, "--model", path, "--billing-mode", "PROVISIONED", "--rcu", "4")
    print(r.stdout, r.stderr)
    assert sent(py) == sent(c)
    drop(client, py, c)
