# SPDX-License-Identifier: MIT
"""dyntable: DynamoDB table operations through the local dyntabled daemon.

The API of the spec's table operations, async first with ``sync_`` twins::

    from dyntable import DynamoDBClient

    client = DynamoDBClient()            # $DYNTABLE_SOCKET, $DYNTABLE_NAMESPACE
    if not client.sync_table_exists("users"):
        client.sync_create_table("users", partition_key=("pk", "S"), wait=True)

The client speaks the daemon's protocol (proto/PROTOCOL.md) itself; its only
dependency is msgpack.
"""

__version__ = "0.2.0"

from .client import DynamoDBClient, Lease
from .description import IndexDescription, KeyAttribute, TableDescription
from .errors import (AccessDeniedException, AwsError, CredentialsError, DeniedError,
                     DisconnectedError, DyntableError, InternalError, InUseError,
                     InvalidError, LimitError, NotFoundError, ProtocolError,
                     ResourceInUseException, ResourceNotFoundException, ShutdownError,
                     UnreachableError, UpstreamError, ValidationException, VersionError,
                     WaitTimeoutError)
from .model import (Attribute, BinaryAttribute, BooleanAttribute, GlobalSecondaryIndex,
                    ListAttribute, LocalSecondaryIndex, MapAttribute, Model, ModelConfig,
                    NumberAttribute, NumberSetAttribute, StringAttribute, StringSetAttribute,
                    get_default_client, set_default_client)

__all__ = [
    "DynamoDBClient", "Lease", "TableDescription", "IndexDescription", "KeyAttribute",
    "DyntableError", "ProtocolError", "VersionError", "InvalidError", "NotFoundError",
    "InUseError", "WaitTimeoutError", "AwsError", "UpstreamError", "CredentialsError",
    "LimitError", "ShutdownError", "DeniedError", "InternalError", "UnreachableError",
    "DisconnectedError", "ResourceNotFoundException", "ResourceInUseException",
    "ValidationException", "AccessDeniedException",
    "Model", "ModelConfig", "Attribute", "StringAttribute", "NumberAttribute",
    "BinaryAttribute", "BooleanAttribute", "ListAttribute", "MapAttribute",
    "StringSetAttribute", "NumberSetAttribute", "GlobalSecondaryIndex",
    "LocalSecondaryIndex", "set_default_client", "get_default_client",
]
