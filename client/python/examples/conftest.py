# SPDX-License-Identifier: MIT
"""An example project: boto3 for the items, dyntabled for the tables.

The pytest plugin (installed with the dyntable package) gives each test
its own table through the ``dyntable_table`` fixture; boto3 only needs the
table's physical name and the DynamoDB endpoint it always used.
"""

import os

import boto3
import pytest


@pytest.fixture(scope="session")
def dynamodb():
    """boto3's DynamoDB client. EXAMPLE_DYNAMODB_ENDPOINT points it at a
    local DynamoDB (dynalite, DynamoDB Local); without it, AWS itself with
    boto3's usual credentials and region."""
    return boto3.client("dynamodb", endpoint_url=os.environ.get("EXAMPLE_DYNAMODB_ENDPOINT"))


@pytest.fixture
def users_table(dyntable_table):
    from shop.models import User

    return dyntable_table(User)  # e.g. "pt1a2b3c4d5e6-gw0.users-3"
