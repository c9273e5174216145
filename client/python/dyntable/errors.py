# SPDX-License-Identifier: MIT
"""The exceptions of dyntable: one class per error code of the protocol
(PROTOCOL.md §4), and two that arise in the client (the daemon cannot be
reached; the connection was lost with calls in flight).

Every exception carries ``code`` and ``name`` (the protocol's), ``message``
(the daemon's text, which includes DynamoDB's message when DynamoDB gave
one) and ``aws_type`` (DynamoDB's error type, e.g.
``ResourceNotFoundException``, or None). The names pydynox users catch
(``ResourceNotFoundException``, ``ResourceInUseException``,
``ValidationException``, ``AccessDeniedException``) are aliases.
"""

from __future__ import annotations

import re
from typing import Dict, Optional, Type

__all__ = [
    "DyntableError", "ProtocolError", "VersionError", "InvalidError",
    "NotFoundError", "InUseError", "WaitTimeoutError", "AwsError",
    "UpstreamError", "CredentialsError", "LimitError", "ShutdownError",
    "DeniedError", "InternalError", "UnreachableError", "DisconnectedError",
    "ResourceNotFoundException", "ResourceInUseException",
    "ValidationException", "AccessDeniedException", "error_from_reply",
]


class DyntableError(Exception):
    """Base class of every error this package raises."""

    code: int = 0  #: the protocol's error code; 0 for client-side errors
    name: str = "CLIENT"  #: the protocol's error name

    def __init__(self, message: str, *, aws_type: Optional[str] = None) -> None:
        super().__init__(message)
        self.message = message
        self.aws_type = aws_type

    def __str__(self) -> str:
        if self.aws_type and self.aws_type not in self.message:
            return f"{self.name}: {self.aws_type}: {self.message}"
        return f"{self.name}: {self.message}"


class ProtocolError(DyntableError):
    """Malformed frame or message (either side); the connection is closed."""
    code, name = 1, "PROTOCOL"


class VersionError(DyntableError):
    """The daemon speaks another major version of the protocol."""
    code, name = 2, "VERSION"


# A field path at the start of the daemon's message, e.g.
# "GlobalSecondaryIndexes[1].Projection.NonKeyAttributes: ...".
_FIELD = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*(?:\[\d+\])*(?:\.[A-Za-z_][A-Za-z0-9_/]*(?:\[\d+\])*)*): ")


class InvalidError(DyntableError, ValueError):
    """Bad arguments or table definition, refused before anything reached
    DynamoDB. ``field`` is the path of the offending field (e.g.
    ``GlobalSecondaryIndexes[0].KeySchema``) when the message names one."""
    code, name = 3, "INVALID"

    def __init__(self, message: str, *, aws_type: Optional[str] = None) -> None:
        super().__init__(message, aws_type=aws_type)
        m = _FIELD.match(message)
        self.field: Optional[str] = m.group(1) if m else None


class NotFoundError(DyntableError):
    """DynamoDB's ResourceNotFoundException: no such table."""
    code, name = 4, "NOT_FOUND"


class InUseError(DyntableError):
    """DynamoDB's ResourceInUseException: the table exists already, or is
    being created or deleted."""
    code, name = 5, "IN_USE"


class WaitTimeoutError(DyntableError, TimeoutError):
    """A wait's deadline passed (also a built-in ``TimeoutError``)."""
    code, name = 6, "TIMEOUT"


class AwsError(DyntableError):
    """Any other DynamoDB error; ``aws_type`` names it."""
    code, name = 7, "AWS"


class UpstreamError(DyntableError):
    """DynamoDB unreachable, or its answer unusable, after retries."""
    code, name = 8, "UPSTREAM"


class CredentialsError(DyntableError):
    """The daemon has no valid AWS credentials."""
    code, name = 9, "CREDENTIALS"


class LimitError(DyntableError):
    """A daemon limit was hit (requests in flight, clients)."""
    code, name = 10, "LIMIT"


class ShutdownError(DyntableError):
    """The daemon is stopping."""
    code, name = 11, "SHUTDOWN"


class DeniedError(DyntableError, PermissionError):
    """The daemon does not allow this peer to do this."""
    code, name = 12, "DENIED"


class InternalError(DyntableError):
    """The daemon failed (out of memory); DynamoDB was not affected."""
    code, name = 13, "INTERNAL"


class UnreachableError(DyntableError, ConnectionError):
    """No daemon answers on the socket. The message says which socket and
    how to fix it (start ``dyntabled``, or set ``DYNTABLE_SOCKET``)."""
    name = "UNREACHABLE"


class DisconnectedError(DyntableError, ConnectionError):
    """The connection closed while the call was in flight; its effect on
    DynamoDB is unknown (a CreateTable already sent still takes effect)."""
    name = "DISCONNECTED"


# pydynox's names, for code written against the spec.
ResourceNotFoundException = NotFoundError
ResourceInUseException = InUseError
ValidationException = InvalidError
AccessDeniedException = DeniedError

_BY_CODE: Dict[int, Type[DyntableError]] = {
    c.code: c for c in (ProtocolError, VersionError, InvalidError, NotFoundError,
                        InUseError, WaitTimeoutError, AwsError, UpstreamError,
                        CredentialsError, LimitError, ShutdownError, DeniedError,
                        InternalError)
}


def error_from_reply(error: object) -> DyntableError:
    """The exception for a reply's ``error`` map; an unknown or missing code
    is a ProtocolError."""
    if not isinstance(error, dict):
        return ProtocolError(f"error reply without an error map: {error!r}")
    code = error.get("code")
    message = error.get("message")
    aws_type = error.get("aws_type")
    cls = _BY_CODE.get(code) if isinstance(code, int) else None
    if cls is None:
        return ProtocolError(f"error reply with unknown code {code!r}: {message!r}")
    return cls(message if isinstance(message, str) else "",
               aws_type=aws_type if isinstance(aws_type, str) else None)
