# SPDX-License-Identifier: MIT
import pytest
from botocore.exceptions import ClientError

from shop.store import add_user, count, find_by_email


@pytest.mark.parametrize("n", range(8))
def test_each_test_starts_empty(dynamodb, users_table, n):
    assert count(dynamodb, users_table) == 0  # a table of its own
    for i in range(n):
        add_user(dynamodb, users_table, f"u{i}", f"u{i}@example.com", 20 + i)
    assert count(dynamodb, users_table) == n


def test_lookup_by_email(dynamodb, users_table):
    add_user(dynamodb, users_table, "ann", "same@example.com", 30)
    add_user(dynamodb, users_table, "bob", "same@example.com", 40)
    assert find_by_email(dynamodb, users_table, "same@example.com") == ["ann", "bob"]


def test_duplicate_user_is_refused(dynamodb, users_table):
    add_user(dynamodb, users_table, "ann", "a@example.com", 30)
    with pytest.raises(ClientError) as ei:
        add_user(dynamodb, users_table, "ann", "b@example.com", 31)
    assert ei.value.response["Error"]["Code"] == "ConditionalCheckFailedException"
