# SPDX-License-Identifier: MIT
import pytest


@pytest.fixture
def orders(dyntable_table):
    # One table for the whole module, created by the first test that asks.
    return dyntable_table("orders", partition_key=("customer", "S"),
                          sort_key=("order_id", "N"), scope="module")


@pytest.mark.parametrize("i", range(4))
def test_orders_share_a_module_table(dynamodb, orders, i):
    dynamodb.put_item(TableName=orders, Item={"customer": {"S": f"c{i}"},
                                              "order_id": {"N": str(i)}})
    got = dynamodb.get_item(TableName=orders, Key={"customer": {"S": f"c{i}"},
                                                  "order_id": {"N": str(i)}})
    assert "Item" in got


@pytest.mark.asyncio
async def test_async_client_describes_the_table(dyntable_async, users_table):
    d = await dyntable_async.describe_table(users_table.split(".", 1)[1])
    assert d.active and d.global_secondary_indexes[0].name == "by_email"
