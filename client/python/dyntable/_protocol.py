# SPDX-License-Identifier: MIT
"""The protocol core, shared by the blocking and the asyncio transports:
framing and the msgpack codec with the limits of PROTOCOL.md, request ids,
the handshake, the arguments of each operation, the reading of replies.
No I/O here (the transports own the sockets), so the two cannot drift.
"""

from __future__ import annotations

import math
import os
import struct
from typing import Any, Dict, Iterable, List, Mapping, Optional, Sequence, Set, Tuple, Union

import msgpack

from .errors import InvalidError, ProtocolError, VersionError, error_from_reply

PROTOCOL_MAJOR = 1
PROTOCOL_MINOR = 2  # proto/PROTOCOL.md: the operations this client sends
HEADER = struct.Struct(">I")
FRAME_MAX = 4 << 20  #: DTP_FRAME_MAX: the largest payload of protocol 1.x
DEPTH_MAX = 32  #: DTP_DEPTH_MAX: containers nested in one message
ID_MAX = (1 << 32) - 1
DEFAULT_SOCKET = "/run/dyntabled/dyntabled.sock"
CONNECT_TIMEOUT = 5.0  #: seconds for connect + hello, as libdyntable

Message = Dict[str, Any]


def client_name() -> str:
    from . import __version__
    return f"dyntable-python {__version__} pid={os.getpid()}"


# ---- framing and codec ---------------------------------------------------

def _check_value(v: Any, depth: int, path: str) -> None:
    """What msgpack-python would pack but the protocol refuses: bin/ext
    values, non-str map keys, nesting beyond DEPTH_MAX (an empty container
    counts), floats that are not finite."""
    if isinstance(v, dict):
        if depth >= DEPTH_MAX:
            raise InvalidError(f"{path}: nested deeper than {DEPTH_MAX} containers")
        for k, x in v.items():
            if not isinstance(k, str):
                raise InvalidError(f"{path}: map key {k!r} is not a string")
            _check_value(x, depth + 1, f"{path}.{k}" if path else k)
    elif isinstance(v, (list, tuple)):
        if depth >= DEPTH_MAX:
            raise InvalidError(f"{path}: nested deeper than {DEPTH_MAX} containers")
        for i, x in enumerate(v):
            _check_value(x, depth + 1, f"{path}[{i}]")
    elif isinstance(v, (bytes, bytearray, memoryview)):
        raise InvalidError(f"{path}: binary values cannot be sent")
    elif isinstance(v, float) and not math.isfinite(v):
        raise InvalidError(f"{path}: {v} is not a finite number")
    elif not (v is None or isinstance(v, (str, int, float))):
        raise InvalidError(f"{path}: cannot send a {type(v).__name__}")


def encode(msg: Message, limit: int = FRAME_MAX) -> bytes:
    """One frame: the 4-byte big-endian length, then msg packed. A message
    the protocol refuses, or longer than limit (the daemon's max_frame),
    raises InvalidError and nothing is sent."""
    _check_value(msg, 0, "")
    payload = msgpack.packb(msg, use_bin_type=True)
    if len(payload) > limit:
        raise InvalidError(f"request: {len(payload)} bytes, more than the "
                           f"daemon accepts in a frame ({limit})")
    return HEADER.pack(len(payload)) + payload


class FrameDecoder:
    """Cuts a byte stream into messages. feed() may be given any number of
    bytes at a time; a length of 0 or above the limit raises ProtocolError
    before anything is allocated for it."""

    def __init__(self, limit: int = FRAME_MAX) -> None:
        self.limit = limit
        self._buf = bytearray()

    def feed(self, data: bytes) -> List[Message]:
        self._buf += data
        out: List[Message] = []
        while len(self._buf) >= HEADER.size:
            (n,) = HEADER.unpack_from(self._buf)
            if n == 0 or n > self.limit:
                raise ProtocolError(f"the daemon sent a frame of {n} bytes "
                                    f"(limit {self.limit})")
            if len(self._buf) < HEADER.size + n:
                break
            payload = bytes(self._buf[HEADER.size:HEADER.size + n])
            del self._buf[:HEADER.size + n]
            out.append(decode(payload))
        return out

    @property
    def pending(self) -> int:
        """Bytes held of an incomplete frame."""
        return len(self._buf)


def decode(payload: bytes) -> Message:
    """One payload: exactly one msgpack map, with str keys."""
    try:
        msg = msgpack.unpackb(payload, raw=False, strict_map_key=True)
    except Exception as e:  # ExtraData, FormatError, StackError, ValueError...
        raise ProtocolError(f"malformed msgpack from the daemon: {e}") from None
    if not isinstance(msg, dict):
        raise ProtocolError("the daemon sent a frame that is not a map")
    return msg


# ---- ids -----------------------------------------------------------------

class Ids:
    """Request ids, 1 .. 2**32-1, never one still in flight on the daemon
    (busy: the calls waiting for an answer, and those abandoned by
    cancellation, whose answers are still to come)."""

    def __init__(self) -> None:
        self._next = 0

    def take(self, busy: Set[int]) -> int:
        while True:
            self._next = self._next % ID_MAX + 1
            if self._next not in busy:
                return self._next


# ---- handshake -----------------------------------------------------------

def hello_args(namespace: Optional[str], session: Optional[str]) -> Message:
    args: Message = {"major": PROTOCOL_MAJOR, "minor": PROTOCOL_MINOR,
                     "client": client_name()}
    if namespace:
        args["namespace"] = namespace
    if session:
        args["session"] = session
    return args


class ServerInfo:
    """What the handshake said about the daemon and this connection."""

    __slots__ = ("major", "minor", "server", "max_frame", "max_inflight",
                 "protocol_frame_max", "session", "resumed")

    def __init__(self, r: Mapping[str, Any]) -> None:
        def uint(k: str, default: int) -> int:
            v = r.get(k)
            return v if isinstance(v, int) and v > 0 else default
        self.major = r.get("major")
        self.minor = r.get("minor")
        self.server: str = r.get("server") or ""
        self.max_frame = min(uint("max_frame", FRAME_MAX), FRAME_MAX)
        self.max_inflight = uint("max_inflight", 1)
        self.protocol_frame_max = min(uint("protocol_frame_max", FRAME_MAX), FRAME_MAX)
        self.session: Optional[str] = r.get("session") if isinstance(r.get("session"), str) else None
        self.resumed = bool(r.get("resumed"))


def hello_result(r: Message) -> ServerInfo:
    """The handshake's result map, checked."""
    if r.get("major") != PROTOCOL_MAJOR:
        raise VersionError(f"the daemon speaks protocol {r.get('major')}."
                           f"{r.get('minor')}, this client {PROTOCOL_MAJOR}.{PROTOCOL_MINOR}")
    return ServerInfo(r)


# ---- replies -------------------------------------------------------------

def result(reply: Message) -> Message:
    """A reply's result map, or its error raised as its exception."""
    ok = reply.get("ok")
    if ok is True:
        r = reply.get("result", {})
        if not isinstance(r, dict):
            raise ProtocolError("reply whose result is not a map")
        return r
    if ok is False:
        raise error_from_reply(reply.get("error"))
    raise ProtocolError("reply without ok")


def reply_id(reply: Message) -> int:
    i = reply.get("id")
    if not isinstance(i, int) or isinstance(i, bool) or i < 0:
        raise ProtocolError(f"reply with a bad id {i!r}")
    return i


# ---- arguments -----------------------------------------------------------

Key = Sequence[str]  # (name, type)
_TYPES = {"S": "S", "STRING": "S", "N": "N", "NUMBER": "N", "B": "B", "BINARY": "B"}
_ENCRYPTION = ("AWS_OWNED", "AWS_MANAGED", "CUSTOMER_MANAGED")


def timeout_ms(timeout_seconds: Optional[float]) -> Optional[int]:
    """Seconds to the protocol's timeout_ms (None: the daemon's default,
    60 s). A positive timeout never rounds down to 0, which means default."""
    if timeout_seconds is None:
        return None
    if timeout_seconds <= 0:
        raise InvalidError(f"timeout_seconds: must be positive, not {timeout_seconds}")
    return max(1, math.ceil(timeout_seconds * 1000))


class _Doc:
    """Builds AttributeDefinitions as keys are seen, first use first (the
    table's keys, then the GSIs', then the LSIs'), as libdyntable does."""

    def __init__(self) -> None:
        self.defs: List[Message] = []
        self.seen: Dict[str, Tuple[str, str]] = {}

    def key(self, attr: Any, key_type: str, field: str) -> Message:
        if (isinstance(attr, (str, bytes)) or not isinstance(attr, (tuple, list))
                or len(attr) != 2 or not isinstance(attr[0], str)
                or not isinstance(attr[1], str)):
            raise InvalidError(f"{field}: must be a (name, type) tuple, not {attr!r}")
        name, typ = attr[0], _TYPES.get(attr[1].upper(), attr[1])
        if name in self.seen:
            t0, where = self.seen[name]
            if t0 != typ:
                raise InvalidError(f"{field}: '{name}' is {typ} here but {t0} in {where}")
        else:
            self.seen[name] = (typ, field)
            self.defs.append({"AttributeName": name, "AttributeType": typ})
        return {"AttributeName": name, "KeyType": key_type}


def _projection(spec: Mapping[str, Any], field: str) -> Message:
    p = spec.get("projection", "ALL")
    nka = spec.get("non_key_attributes")
    if isinstance(p, (list, tuple)):  # a list of attributes means INCLUDE
        p, nka = "INCLUDE", list(p)
    if not isinstance(p, str):
        raise InvalidError(f"{field}.projection: must be ALL, KEYS_ONLY, "
                           f"INCLUDE or a list of attributes, not {p!r}")
    out: Message = {"ProjectionType": p}
    if nka:  # the daemon refuses them without INCLUDE, naming the field
        out["NonKeyAttributes"] = list(nka)
    return out


def _as_list(v: Any) -> List[Any]:
    """One key (a (name, type) tuple, or a name) or a list of them."""
    if v is None:
        return []
    if isinstance(v, str) or (isinstance(v, tuple) and len(v) == 2
                              and all(isinstance(x, str) for x in v)):
        return [v]
    return list(v)


_GSI_KEYS = {"index_name", "hash_key", "hash_keys", "partition_key", "partition_keys",
             "range_key", "range_keys", "sort_key", "sort_keys", "projection",
             "non_key_attributes", "read_capacity", "write_capacity"}
_LSI_KEYS = {"index_name", "range_key", "sort_key", "projection", "non_key_attributes"}


def _unknown(spec: Mapping[str, Any], allowed: Set[str], field: str) -> None:
    if not isinstance(spec, Mapping):
        raise InvalidError(f"{field}: must be a dict, not {type(spec).__name__}")
    extra = sorted(set(spec) - allowed)
    if extra:
        raise InvalidError(f"{field}: unknown key {extra[0]!r} (known: {', '.join(sorted(allowed))})")


def _first(spec: Mapping[str, Any], *names: str) -> Any:
    for n in names:
        if spec.get(n) is not None:
            return spec[n]
    return None


def create_table_input(
    table_name: str,
    partition_key: Key,
    sort_key: Optional[Key] = None,
    billing_mode: str = "PAY_PER_REQUEST",
    read_capacity: Optional[int] = 5,
    write_capacity: Optional[int] = 5,
    table_class: Optional[str] = "STANDARD",
    encryption: Optional[str] = "AWS_OWNED",
    kms_key_id: Optional[str] = None,
    global_secondary_indexes: Optional[Iterable[Mapping[str, Any]]] = None,
    local_secondary_indexes: Optional[Iterable[Mapping[str, Any]]] = None,
    tags: Union[Mapping[str, str], Iterable[Tuple[str, str]], None] = None,
    stream: Optional[str] = None,
    deletion_protection: bool = False,
) -> Message:
    """The CreateTableInput that create_table's arguments stand for, member
    for member and in the order libdyntable builds it (so that DynamoDB
    receives the same bytes from either). Only the shape is checked here;
    DynamoDB's rules are the daemon's (it answers InvalidError naming the
    field)."""
    doc = _Doc()
    prov = billing_mode == "PROVISIONED"
    rcu = read_capacity if read_capacity is not None else 5
    wcu = write_capacity if write_capacity is not None else 5
    t: Message = {"AttributeDefinitions": doc.defs, "TableName": table_name}
    ks = [doc.key(partition_key, "HASH", "partition_key")]
    if sort_key is not None:
        ks.append(doc.key(sort_key, "RANGE", "sort_key"))
    t["KeySchema"] = ks

    gsis: List[Message] = []
    for i, g in enumerate(global_secondary_indexes or ()):
        f = f"global_secondary_indexes[{i}]"
        _unknown(g, _GSI_KEYS, f)
        x: Message = {"IndexName": g.get("index_name")}
        keys = [doc.key(k, "HASH", f"{f}.hash_keys[{j}]") for j, k in
                enumerate(_as_list(_first(g, "hash_keys", "hash_key", "partition_keys", "partition_key")))]
        keys += [doc.key(k, "RANGE", f"{f}.range_keys[{j}]") for j, k in
                 enumerate(_as_list(_first(g, "range_keys", "range_key", "sort_keys", "sort_key")))]
        x["KeySchema"] = keys
        x["Projection"] = _projection(g, f)
        g_rcu, g_wcu = g.get("read_capacity"), g.get("write_capacity")
        # Under PROVISIONED every GSI has its own throughput, the table's
        # unless it sets one. Set under PAY_PER_REQUEST, it goes out too,
        # and the daemon refuses it naming the field.
        if prov or g_rcu is not None or g_wcu is not None:
            x["ProvisionedThroughput"] = {"ReadCapacityUnits": g_rcu or rcu,
                                          "WriteCapacityUnits": g_wcu or wcu}
        gsis.append(x)
    lsis: List[Message] = []
    for i, ls in enumerate(local_secondary_indexes or ()):
        f = f"local_secondary_indexes[{i}]"
        _unknown(ls, _LSI_KEYS, f)
        lsis.append({
            "IndexName": ls.get("index_name"),
            "KeySchema": [doc.key(partition_key, "HASH", "partition_key"),
                          doc.key(_first(ls, "range_key", "sort_key"), "RANGE", f"{f}.range_key")],
            "Projection": _projection(ls, f),
        })
    if lsis:
        t["LocalSecondaryIndexes"] = lsis
    if gsis:
        t["GlobalSecondaryIndexes"] = gsis

    t["BillingMode"] = billing_mode
    if prov:
        t["ProvisionedThroughput"] = {"ReadCapacityUnits": rcu, "WriteCapacityUnits": wcu}
    if stream:
        t["StreamSpecification"] = {"StreamEnabled": True, "StreamViewType": stream}
    enc = encryption or "AWS_OWNED"
    if enc not in _ENCRYPTION:
        raise InvalidError(f"encryption: must be one of {', '.join(_ENCRYPTION)}, not {enc!r}")
    if enc == "CUSTOMER_MANAGED" and not kms_key_id:
        raise InvalidError("kms_key_id: required with CUSTOMER_MANAGED encryption")
    if enc != "CUSTOMER_MANAGED" and kms_key_id:
        raise InvalidError("kms_key_id: only with CUSTOMER_MANAGED encryption")
    # AWS owned key: no SSESpecification ({"Enabled": true} alone would
    # select the AWS *managed* KMS key).
    if enc != "AWS_OWNED":
        sse: Message = {"Enabled": True, "SSEType": "KMS"}
        if kms_key_id:
            sse["KMSMasterKeyId"] = kms_key_id
        t["SSESpecification"] = sse
    if tags:
        items = tags.items() if isinstance(tags, Mapping) else tags
        t["Tags"] = [{"Key": k, "Value": "" if v is None else v} for k, v in items]
    # STANDARD is DynamoDB's default and is not sent, as libdyntable does.
    if table_class and table_class != "STANDARD":
        t["TableClass"] = ("STANDARD_INFREQUENT_ACCESS" if table_class == "STANDARD_IA"
                           else table_class)
    if deletion_protection:
        t["DeletionProtectionEnabled"] = True
    return t


def create_args(table: Message, wait: bool, timeout_seconds: Optional[float],
                ephemeral: bool, table_only: bool) -> Message:
    args: Message = {"table": table}
    if wait:
        args["wait"] = True
        if table_only:
            args["table_only"] = True
        ms = timeout_ms(timeout_seconds)
        if ms is not None:
            args["timeout_ms"] = ms
    elif table_only or timeout_seconds is not None:
        raise InvalidError("timeout_seconds/table_only: only with wait=True")
    if ephemeral:
        args["ephemeral"] = True
    return args


def name_args(table_name: str, timeout_seconds: Optional[float] = None,
              **flags: bool) -> Message:
    if not isinstance(table_name, str):
        raise InvalidError(f"table_name: must be a str, not {type(table_name).__name__}")
    args: Message = {"name": table_name}
    for k, v in flags.items():
        if v:
            args[k] = True
    ms = timeout_ms(timeout_seconds)
    if ms is not None:
        args["timeout_ms"] = ms
    return args
