# SPDX-License-Identifier: MIT
"""DynamoDBClient: the spec's table operations, async first, each with a
blocking ``sync_`` twin, performed by dyntabled.

One client holds at most one blocking connection and one asyncio
connection (per event loop), both opened on first use with the same
namespace and session. A connection that broke is replaced on the next
call, joining the same session (so its ephemeral tables live on if that
happens within the daemon's grace period); the calls that were in flight
raise DisconnectedError.
"""

from __future__ import annotations

import asyncio
import dataclasses
import inspect
import json
import os
import threading
from typing import Any, Dict, Iterable, List, Mapping, Optional, Tuple, Union

from . import _protocol as p
from ._transport import AsyncConnection, SyncConnection
from .description import TableDescription, table_names
from .errors import InvalidError, ProtocolError

__all__ = ["DynamoDBClient", "Lease"]

Key = Tuple[str, str]
Tags = Union[Mapping[str, str], Iterable[Tuple[str, str]], None]


def _table(r: p.Message) -> TableDescription:
    t = r.get("table")
    if not isinstance(t, dict):
        raise ProtocolError("reply without a table description")
    return TableDescription.from_dict(t)


@dataclasses.dataclass(frozen=True)
class Lease:
    """A table leased from one of the daemon's pools (lease_table)."""

    table_name: str  #: DynamoDB's name of the table: the one for its items
    name: Optional[str]  #: the logical name asked for, or None
    pool: str  #: the pool it came from
    fresh: bool  #: created for this lease rather than taken ready
    table: TableDescription  #: as it was when it became ACTIVE


def _lease(r: p.Message) -> Lease:
    name = r.get("table_name")
    if not isinstance(name, str):
        raise ProtocolError("lease reply without a table_name")
    return Lease(name, r.get("name"), str(r.get("pool")), bool(r.get("fresh")), _table(r))


def _metrics(r: p.Message) -> Dict[str, str]:
    return {"text": str(r["text"]), "content_type": str(r["content_type"])}


def _env(value: Optional[str], var: str) -> Optional[str]:
    if value is None:
        value = os.environ.get(var)
    return value or None  # "" means none


class DynamoDBClient:
    """A client of dyntabled.

    socket: the daemon's Unix socket; default ``$DYNTABLE_SOCKET``, else
    ``/run/dyntabled/dyntabled.sock``. namespace: table ``x`` is DynamoDB's
    ``<namespace>.x`` (1-64 of ``[a-zA-Z0-9_-]``); default
    ``$DYNTABLE_NAMESPACE``. session: a session token to join (its
    ephemeral tables then belong to this client too); default
    ``$DYNTABLE_SESSION``, else the first connection starts a session and
    later ones join it. ``""`` means none for each. Nothing is connected
    until the first call; use ``with``/``async with`` or close()/aclose()
    to close.
    """

    def __init__(self, socket: Optional[str] = None, namespace: Optional[str] = None,
                 session: Optional[str] = None) -> None:
        self.socket_path: str = _env(socket, "DYNTABLE_SOCKET") or p.DEFAULT_SOCKET
        self.namespace: Optional[str] = _env(namespace, "DYNTABLE_NAMESPACE")
        self._session: Optional[str] = _env(session, "DYNTABLE_SESSION")
        self._sync: Optional[SyncConnection] = None
        self._sync_lock = threading.Lock()
        self._async: Optional[AsyncConnection] = None
        self._opening: Optional[Tuple[asyncio.AbstractEventLoop, "asyncio.Task[AsyncConnection]"]] = None
        self.server: Optional[str] = None  #: the daemon's version, after a handshake

    def __repr__(self) -> str:
        return f"DynamoDBClient(socket={self.socket_path!r}, namespace={self.namespace!r})"

    # ---- connections ------------------------------------------------------

    def _connected(self, info: p.ServerInfo) -> None:
        self.server = info.server
        if info.session:
            self._session = info.session  # joined, or a new one: use it from now on

    def _conn(self) -> SyncConnection:
        with self._sync_lock:
            c = self._sync
            if c is None or c.closed:
                c = SyncConnection(self.socket_path, self.namespace, self._session)
                self._connected(c.info)
                self._sync = c
            return c

    async def _aconn(self) -> AsyncConnection:
        loop = asyncio.get_running_loop()
        c = self._async
        if c is not None and c.loop is loop and not c.closed:
            return c
        if self._opening is None or self._opening[0] is not loop or self._opening[1].done():
            if c is not None and c.loop is not loop:
                c.abort()  # made on another loop (e.g. a finished asyncio.run)
            self._async = None
            self._opening = (loop, loop.create_task(
                AsyncConnection.open(self.socket_path, self.namespace, self._session)))
        task = self._opening[1]
        try:
            c = await asyncio.shield(task)  # one caller's cancellation is not the others'
        finally:
            if task.done() and self._opening is not None and self._opening[1] is task:
                self._opening = None
        if self._async is None or self._async.closed:
            self._async = c
            self._connected(c.info)
        return c

    def _call(self, op: str, args: p.Message) -> p.Message:
        return self._conn().call(op, args)

    async def _acall(self, op: str, args: p.Message) -> p.Message:
        return await (await self._aconn()).call(op, args)

    def close(self) -> None:
        """Closes the client's connections (the asyncio one without waiting;
        prefer aclose() in async code)."""
        if self._sync is not None:
            self._sync.close()
            self._sync = None
        if self._async is not None:
            self._async.abort()
            self._async = None

    async def aclose(self) -> None:
        """Closes the client's connections."""
        if self._async is not None:
            c, self._async = self._async, None
            if c.loop is asyncio.get_running_loop():
                await c.aclose()
            else:
                c.abort()
        if self._sync is not None:
            self._sync.close()
            self._sync = None

    def __enter__(self) -> "DynamoDBClient":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    async def __aenter__(self) -> "DynamoDBClient":
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    def physical_name(self, table_name: str) -> str:
        """The name DynamoDB knows table_name by: ``<namespace>.<table_name>``
        in a namespace (what a data-plane SDK such as boto3 must use)."""
        return f"{self.namespace}.{table_name}" if self.namespace else table_name

    async def session(self) -> str:
        """This client's session token (connects if needed): a capability;
        whoever presents it keeps the session's ephemeral tables alive."""
        await self._aconn()
        assert self._session is not None
        return self._session

    def sync_session(self) -> str:
        """Blocking twin of session()."""
        self._conn()
        assert self._session is not None
        return self._session

    # ---- create -----------------------------------------------------------

    @staticmethod
    def _create_args(table_name: str, partition_key: Key, sort_key: Optional[Key],
                     billing_mode: str, read_capacity: Optional[int],
                     write_capacity: Optional[int], table_class: Optional[str],
                     encryption: Optional[str], kms_key_id: Optional[str],
                     global_secondary_indexes: Optional[Iterable[Mapping[str, Any]]],
                     wait: bool, local_secondary_indexes: Optional[Iterable[Mapping[str, Any]]],
                     tags: Tags, stream: Optional[str], deletion_protection: bool,
                     timeout_seconds: Optional[float], table_only: bool,
                     ephemeral: bool) -> p.Message:
        doc = p.create_table_input(
            table_name, partition_key, sort_key, billing_mode, read_capacity, write_capacity,
            table_class, encryption, kms_key_id, global_secondary_indexes,
            local_secondary_indexes, tags, stream, deletion_protection)
        return p.create_args(doc, wait, timeout_seconds, ephemeral, table_only)

    async def create_table(
        self,
        table_name: str,
        partition_key: Key = ("pk", "S"),
        sort_key: Optional[Key] = None,
        billing_mode: str = "PAY_PER_REQUEST",
        read_capacity: int = 5,
        write_capacity: int = 5,
        table_class: str = "STANDARD",
        encryption: str = "AWS_OWNED",
        kms_key_id: Optional[str] = None,
        global_secondary_indexes: Optional[Iterable[Mapping[str, Any]]] = None,
        wait: bool = False,
        *,
        local_secondary_indexes: Optional[Iterable[Mapping[str, Any]]] = None,
        tags: Tags = None,
        stream: Optional[str] = None,
        deletion_protection: bool = False,
        timeout_seconds: Optional[float] = None,
        table_only: bool = False,
        ephemeral: bool = False,
    ) -> TableDescription:
        """Creates a table: sends ``create_table`` with the CreateTableInput
        these arguments stand for, and returns the TableDescription.

        partition_key / sort_key: ``(name, type)``, type ``"S"``, ``"N"`` or
        ``"B"``. AttributeDefinitions are derived from the keys of the table
        and its indexes. Under ``PROVISIONED`` the table gets read_capacity
        and write_capacity (ignored under ``PAY_PER_REQUEST``), and so does
        every GSI unless it sets its own. encryption: ``AWS_OWNED`` (no
        SSESpecification is sent), ``AWS_MANAGED``, or ``CUSTOMER_MANAGED``
        with kms_key_id. table_class ``STANDARD`` (DynamoDB's default) is
        not sent.

        global_secondary_indexes: dicts of ``index_name``; ``hash_key``
        ``(name, type)`` or ``hash_keys`` (1-4); ``range_key`` or
        ``range_keys`` (0-4); ``projection`` ``"ALL"`` (default),
        ``"KEYS_ONLY"``, ``"INCLUDE"`` with ``non_key_attributes``, or a list
        of attributes (INCLUDE); ``read_capacity``/``write_capacity``.
        local_secondary_indexes: dicts of ``index_name``, ``range_key``,
        ``projection``, ``non_key_attributes``. tags: a dict or pairs.
        stream: a StreamViewType. deletion_protection: bool.

        wait: answer once the table and all its GSIs are ACTIVE (only the
        table with table_only), within timeout_seconds (default: the
        daemon's, 60 s) or raise WaitTimeoutError. ephemeral: the table
        belongs to the client's session; the daemon deletes it once the
        session has had no connection for its grace period.
        """
        args = self._create_args(table_name, partition_key, sort_key, billing_mode,
                                 read_capacity, write_capacity, table_class, encryption,
                                 kms_key_id, global_secondary_indexes, wait,
                                 local_secondary_indexes, tags, stream, deletion_protection,
                                 timeout_seconds, table_only, ephemeral)
        return _table(await self._acall("create_table", args))

    def sync_create_table(
        self,
        table_name: str,
        partition_key: Key = ("pk", "S"),
        sort_key: Optional[Key] = None,
        billing_mode: str = "PAY_PER_REQUEST",
        read_capacity: int = 5,
        write_capacity: int = 5,
        table_class: str = "STANDARD",
        encryption: str = "AWS_OWNED",
        kms_key_id: Optional[str] = None,
        global_secondary_indexes: Optional[Iterable[Mapping[str, Any]]] = None,
        wait: bool = False,
        *,
        local_secondary_indexes: Optional[Iterable[Mapping[str, Any]]] = None,
        tags: Tags = None,
        stream: Optional[str] = None,
        deletion_protection: bool = False,
        timeout_seconds: Optional[float] = None,
        table_only: bool = False,
        ephemeral: bool = False,
    ) -> TableDescription:
        """Blocking twin of create_table()."""
        args = self._create_args(table_name, partition_key, sort_key, billing_mode,
                                 read_capacity, write_capacity, table_class, encryption,
                                 kms_key_id, global_secondary_indexes, wait,
                                 local_secondary_indexes, tags, stream, deletion_protection,
                                 timeout_seconds, table_only, ephemeral)
        return _table(self._call("create_table", args))

    @staticmethod
    def _input_args(create_table_input: Union[Mapping[str, Any], str], wait: bool,
                    timeout_seconds: Optional[float], table_only: bool,
                    ephemeral: bool) -> p.Message:
        doc = create_table_input
        if isinstance(doc, str):
            try:
                doc = json.loads(doc)
            except ValueError as e:
                raise InvalidError(f"CreateTableInput: {e}") from None
        if not isinstance(doc, Mapping):
            raise InvalidError("CreateTableInput: must be a JSON object / dict")
        doc = dict(doc)
        # Without BillingMode a CreateTableInput means PROVISIONED, as it does
        # to DynamoDB and the AWS CLI (the protocol's own default is on-demand).
        doc.setdefault("BillingMode", "PROVISIONED")
        return p.create_args(doc, wait, timeout_seconds, ephemeral, table_only)

    async def create_table_from_input(
        self, create_table_input: Union[Mapping[str, Any], str], wait: bool = False, *,
        timeout_seconds: Optional[float] = None, table_only: bool = False,
        ephemeral: bool = False,
    ) -> TableDescription:
        """Creates a table from a CreateTableInput document (a dict, or the
        JSON text ``aws dynamodb create-table --cli-input-json`` takes),
        sent as it is (a missing BillingMode made PROVISIONED, as DynamoDB
        reads it); the daemon checks its members. wait, timeout_seconds,
        table_only, ephemeral: as create_table()."""
        return _table(await self._acall("create_table", self._input_args(
            create_table_input, wait, timeout_seconds, table_only, ephemeral)))

    def sync_create_table_from_input(
        self, create_table_input: Union[Mapping[str, Any], str], wait: bool = False, *,
        timeout_seconds: Optional[float] = None, table_only: bool = False,
        ephemeral: bool = False,
    ) -> TableDescription:
        """Blocking twin of create_table_from_input()."""
        return _table(self._call("create_table", self._input_args(
            create_table_input, wait, timeout_seconds, table_only, ephemeral)))

    # ---- exists, describe, list --------------------------------------------

    async def table_exists(self, table_name: str) -> bool:
        """True when the table exists, whatever its status (sends
        ``table_exists``: one DescribeTable; ResourceNotFoundException is
        False, any other error raises)."""
        return bool((await self._acall("table_exists", p.name_args(table_name))).get("exists"))

    def sync_table_exists(self, table_name: str) -> bool:
        """Blocking twin of table_exists()."""
        return bool(self._call("table_exists", p.name_args(table_name)).get("exists"))

    async def describe_table(self, table_name: str) -> TableDescription:
        """The table's description (sends ``describe_table``: one
        DescribeTable). NotFoundError when there is no such table."""
        return _table(await self._acall("describe_table", p.name_args(table_name)))

    def sync_describe_table(self, table_name: str) -> TableDescription:
        """Blocking twin of describe_table()."""
        return _table(self._call("describe_table", p.name_args(table_name)))

    @staticmethod
    def _list_args(all: bool) -> p.Message:
        return {"all": True} if all else {}

    async def list_tables(self, all: bool = False) -> List[str]:
        """Every table name, all pages (sends ``list_tables``): in a
        namespace, its tables without the prefix; with all=True or without
        a namespace, every table of the account and region as DynamoDB
        names them."""
        return table_names((await self._acall("list_tables", self._list_args(all))).get("tables"))

    def sync_list_tables(self, all: bool = False) -> List[str]:
        """Blocking twin of list_tables()."""
        return table_names(self._call("list_tables", self._list_args(all)).get("tables"))

    # ---- delete and waits ---------------------------------------------------

    async def delete_table(self, table_name: str, wait: bool = False, *,
                           timeout_seconds: Optional[float] = None) -> TableDescription:
        """Deletes the table (sends ``delete_table``: one DeleteTable) and
        returns DeleteTable's description. wait: answer only once the
        table is gone, within timeout_seconds (default 60 s)."""
        return _table(await self._acall("delete_table", p.name_args(
            table_name, timeout_seconds if wait else _no_timeout(timeout_seconds), wait=wait)))

    def sync_delete_table(self, table_name: str, wait: bool = False, *,
                          timeout_seconds: Optional[float] = None) -> TableDescription:
        """Blocking twin of delete_table()."""
        return _table(self._call("delete_table", p.name_args(
            table_name, timeout_seconds if wait else _no_timeout(timeout_seconds), wait=wait)))

    async def wait_for_table_active(self, table_name: str,
                                    timeout_seconds: Optional[float] = None, *,
                                    table_only: bool = False) -> TableDescription:
        """Waits until the table and every GSI are ACTIVE (only the table
        with table_only) and returns the description that showed it. Sends
        one ``wait_table_active``: the daemon polls, shared with every other
        waiter on the table. A table not there yet is waited for.
        timeout_seconds: default the daemon's, 60 s; WaitTimeoutError (a
        TimeoutError) when it passes."""
        return _table(await self._acall("wait_table_active", p.name_args(
            table_name, timeout_seconds, table_only=table_only)))

    def sync_wait_for_table_active(self, table_name: str,
                                   timeout_seconds: Optional[float] = None, *,
                                   table_only: bool = False) -> TableDescription:
        """Blocking twin of wait_for_table_active()."""
        return _table(self._call("wait_table_active", p.name_args(
            table_name, timeout_seconds, table_only=table_only)))

    async def wait_for_table_deleted(self, table_name: str,
                                     timeout_seconds: Optional[float] = None) -> None:
        """Waits until the table is gone (sends ``wait_table_deleted``).
        timeout_seconds as wait_for_table_active()."""
        await self._acall("wait_table_deleted", p.name_args(table_name, timeout_seconds))

    def sync_wait_for_table_deleted(self, table_name: str,
                                    timeout_seconds: Optional[float] = None) -> None:
        """Blocking twin of wait_for_table_deleted()."""
        self._call("wait_table_deleted", p.name_args(table_name, timeout_seconds))

    # ---- truncate, pools -----------------------------------------------------

    async def truncate_table(self, table_name: str, force: bool = False) -> Dict[str, Any]:
        """Deletes every item of the table and keeps the table (sends
        ``truncate_table``): ``{"deleted": n, "elapsed_ms": ms}``. Items
        written while it runs may survive. A table with deletion protection
        is refused (InvalidError) unless force."""
        return await self._acall("truncate_table", p.name_args(table_name, force=force))

    def sync_truncate_table(self, table_name: str, force: bool = False) -> Dict[str, Any]:
        """Blocking twin of truncate_table()."""
        return self._call("truncate_table", p.name_args(table_name, force=force))

    @classmethod
    def _lease_args(cls, definition: Any, name: Optional[str],
                    timeout_seconds: Optional[float], pooled_only: bool,
                    create_table_args: Dict[str, Any]) -> p.Message:
        # A Model subclass (model.py builds on this module: duck-typed).
        if isinstance(definition, type) and hasattr(definition, "create_table_kwargs"):
            create_table_args = {**definition.create_table_kwargs(), **create_table_args}
            definition = None
        if definition is None:
            # create_table()'s arguments, its defaults for the rest; the
            # pool names its tables, so any name will do here.
            kw = {k: v for k, v in create_table_args.items() if k != "table_name"}
            bound = inspect.signature(cls.create_table).bind(None, "leased-table", **kw)
            bound.apply_defaults()
            a = dict(bound.arguments)
            a.pop("self")
            if a.pop("wait") or a.pop("ephemeral") or a.pop("table_only") or \
                    a.pop("timeout_seconds") is not None:
                raise InvalidError("lease_table: wait, ephemeral, table_only and "
                                   "timeout_seconds are not definition arguments")
            doc = cls._create_args(wait=False, timeout_seconds=None, table_only=False,
                                   ephemeral=False, **a)["table"]
        elif create_table_args:
            raise InvalidError("lease_table: a definition, or create_table() arguments")
        else:
            doc = cls._input_args(definition, False, None, False, False)["table"]
        args: p.Message = {"table": doc}
        if name is not None:
            args["name"] = name
        if pooled_only:
            args["pooled_only"] = True
        ms = p.timeout_ms(timeout_seconds)
        if ms is not None:
            args["timeout_ms"] = ms
        return args

    async def lease_table(self, definition: Any = None, *, name: Optional[str] = None,
                          timeout_seconds: Optional[float] = None, pooled_only: bool = False,
                          **create_table_args: Any) -> Lease:
        """Leases an ACTIVE, empty table of a definition from the daemon's
        pool of it (sends ``lease_table``): at once when one is ready, else
        once one is created. definition: a CreateTableInput (dict or JSON;
        TableName ignored), a Model subclass, or None with create_table()'s
        arguments (partition_key=..., global_secondary_indexes=...). name:
        a logical name for it, in the namespace, until it is released.
        pooled_only: only from a pool the daemon has already, else
        NotFoundError. The lease ends with release_table(), deleting the
        table, or the end of this client's session."""
        return _lease(await self._acall("lease_table", self._lease_args(
            definition, name, timeout_seconds, pooled_only, create_table_args)))

    def sync_lease_table(self, definition: Any = None, *, name: Optional[str] = None,
                         timeout_seconds: Optional[float] = None, pooled_only: bool = False,
                         **create_table_args: Any) -> Lease:
        """Blocking twin of lease_table()."""
        return _lease(self._call("lease_table", self._lease_args(
            definition, name, timeout_seconds, pooled_only, create_table_args)))

    async def release_table(self, table_name: str) -> str:
        """Releases a leased table (its logical name or its own; sends
        ``release_table``): the daemon empties it and returns it to its
        pool. Returns DynamoDB's name of the table."""
        return str((await self._acall("release_table", p.name_args(table_name)))["released"])

    def sync_release_table(self, table_name: str) -> str:
        """Blocking twin of release_table()."""
        return str(self._call("release_table", p.name_args(table_name))["released"])

    async def pools(self) -> Dict[str, Any]:
        """The daemon's pools (sends ``pools``): ``pools`` (ready, leased,
        creating, recycled... each), ``tables``, ``leased``, ``max_tables``."""
        return await self._acall("pools", {})

    def sync_pools(self) -> Dict[str, Any]:
        """Blocking twin of pools()."""
        return self._call("pools", {})

    # ---- administration ------------------------------------------------------

    async def status(self) -> Dict[str, Any]:
        """The daemon's state (sends ``status``, an admin verb)."""
        return await self._acall("status", {})

    def sync_status(self) -> Dict[str, Any]:
        """Blocking twin of status()."""
        return self._call("status", {})

    async def reap(self) -> Dict[str, Any]:
        """Deletes every expired table of the account (sends ``reap``, an
        admin verb): ``deleted`` names, ``checked`` and ``errors`` counts."""
        return await self._acall("reap", {})

    def sync_reap(self) -> Dict[str, Any]:
        """Blocking twin of reap()."""
        return self._call("reap", {})

    async def metrics(self) -> Dict[str, str]:
        """The daemon's metrics (sends ``metrics``, an admin verb):
        ``text``, OpenMetrics 1.0 text ending ``# EOF`` (what
        ``dyntabled --metrics-listen`` serves), and its ``content_type``."""
        return _metrics(await self._acall("metrics", {}))

    def sync_metrics(self) -> Dict[str, str]:
        """Blocking twin of metrics()."""
        return _metrics(self._call("metrics", {}))


    # ---- after CreateTable: update, TTL, tags, backups (protocol 1.2) ------

    @staticmethod
    def _update_args(table_name: str, update: Union[Mapping[str, Any], str], wait: bool,
                     timeout_seconds: Optional[float]) -> p.Message:
        doc = update
        if isinstance(doc, str):
            try:
                doc = json.loads(doc)
            except ValueError as e:
                raise InvalidError(f"UpdateTableInput: {e}") from None
        if not isinstance(doc, Mapping):
            raise InvalidError("UpdateTableInput: must be a JSON object / dict")
        doc = dict(doc)
        if "TableName" in doc:
            if doc["TableName"] != table_name:
                raise InvalidError(f"UpdateTableInput.TableName: not the table updated ({table_name})")
            del doc["TableName"]
        args = p.name_args(table_name, timeout_seconds if wait else _no_timeout(timeout_seconds),
                           wait=wait)
        args["update"] = doc
        return args

    async def update_table(self, table_name: str, update: Union[Mapping[str, Any], str],
                           wait: bool = False, *,
                           timeout_seconds: Optional[float] = None) -> TableDescription:
        """Updates a table (sends ``update_table``: one UpdateTable) from an
        UpdateTableInput (a dict or JSON text; its TableName, if any, must
        be table_name). The daemon checks DynamoDB's rules first (one index
        created or deleted per call, what each billing mode needs...):
        InvalidError names the field. wait: answer once the table and its
        indexes are ACTIVE, a created index listed, a deleted one gone."""
        return _table(await self._acall("update_table", self._update_args(
            table_name, update, wait, timeout_seconds)))

    def sync_update_table(self, table_name: str, update: Union[Mapping[str, Any], str],
                          wait: bool = False, *,
                          timeout_seconds: Optional[float] = None) -> TableDescription:
        """Blocking twin of update_table()."""
        return _table(self._call("update_table", self._update_args(
            table_name, update, wait, timeout_seconds)))

    @staticmethod
    def _ttl_args(table_name: str, enabled: bool, attribute: str) -> p.Message:
        args = p.name_args(table_name)
        args["time_to_live"] = {"Enabled": bool(enabled), "AttributeName": attribute}
        return args

    async def update_time_to_live(self, table_name: str, enabled: bool,
                                  attribute: str) -> Dict[str, Any]:
        """Turns TTL on (or off) for attribute; DynamoDB's
        TimeToLiveSpecification."""
        return (await self._acall("update_time_to_live", self._ttl_args(
            table_name, enabled, attribute)))["time_to_live"]

    def sync_update_time_to_live(self, table_name: str, enabled: bool,
                                 attribute: str) -> Dict[str, Any]:
        """Blocking twin of update_time_to_live()."""
        return self._call("update_time_to_live", self._ttl_args(
            table_name, enabled, attribute))["time_to_live"]

    async def describe_time_to_live(self, table_name: str) -> Dict[str, Any]:
        """DynamoDB's TimeToLiveDescription of the table."""
        return (await self._acall("describe_time_to_live", p.name_args(table_name)))["time_to_live"]

    def sync_describe_time_to_live(self, table_name: str) -> Dict[str, Any]:
        """Blocking twin of describe_time_to_live()."""
        return self._call("describe_time_to_live", p.name_args(table_name))["time_to_live"]

    @staticmethod
    def _tag_args(table_name: str, tags: Mapping[str, str]) -> p.Message:
        args = p.name_args(table_name)
        args["tags"] = [{"Key": k, "Value": v} for k, v in tags.items()]
        return args

    async def tag_resource(self, table_name: str, tags: Mapping[str, str]) -> None:
        """Tags the table (the daemon reads its ARN)."""
        await self._acall("tag_resource", self._tag_args(table_name, tags))

    def sync_tag_resource(self, table_name: str, tags: Mapping[str, str]) -> None:
        """Blocking twin of tag_resource()."""
        self._call("tag_resource", self._tag_args(table_name, tags))

    @staticmethod
    def _untag_args(table_name: str, keys: List[str]) -> p.Message:
        args = p.name_args(table_name)
        args["tag_keys"] = list(keys)
        return args

    async def untag_resource(self, table_name: str, keys: List[str]) -> None:
        """Removes the tags of those keys."""
        await self._acall("untag_resource", self._untag_args(table_name, keys))

    def sync_untag_resource(self, table_name: str, keys: List[str]) -> None:
        """Blocking twin of untag_resource()."""
        self._call("untag_resource", self._untag_args(table_name, keys))

    async def list_tags_of_resource(self, table_name: str) -> Dict[str, str]:
        """Every tag of the table (every page), as a dict."""
        r = await self._acall("list_tags_of_resource", p.name_args(table_name))
        return {t["Key"]: t["Value"] for t in r["tags"]}

    def sync_list_tags_of_resource(self, table_name: str) -> Dict[str, str]:
        """Blocking twin of list_tags_of_resource()."""
        r = self._call("list_tags_of_resource", p.name_args(table_name))
        return {t["Key"]: t["Value"] for t in r["tags"]}

    @staticmethod
    def _pitr_args(table_name: str, enabled: bool,
                   recovery_period_days: Optional[int]) -> p.Message:
        args = p.name_args(table_name)
        spec: Dict[str, Any] = {"PointInTimeRecoveryEnabled": bool(enabled)}
        if recovery_period_days is not None:
            spec["RecoveryPeriodInDays"] = recovery_period_days
        args["point_in_time_recovery"] = spec
        return args

    async def update_continuous_backups(self, table_name: str, enabled: bool,
                                        recovery_period_days: Optional[int] = None
                                        ) -> Dict[str, Any]:
        """Point-in-time recovery on or off; DynamoDB's
        ContinuousBackupsDescription."""
        return (await self._acall("update_continuous_backups", self._pitr_args(
            table_name, enabled, recovery_period_days)))["continuous_backups"]

    def sync_update_continuous_backups(self, table_name: str, enabled: bool,
                                       recovery_period_days: Optional[int] = None
                                       ) -> Dict[str, Any]:
        """Blocking twin of update_continuous_backups()."""
        return self._call("update_continuous_backups", self._pitr_args(
            table_name, enabled, recovery_period_days))["continuous_backups"]

    async def describe_continuous_backups(self, table_name: str) -> Dict[str, Any]:
        """DynamoDB's ContinuousBackupsDescription of the table."""
        return (await self._acall("describe_continuous_backups",
                                  p.name_args(table_name)))["continuous_backups"]

    def sync_describe_continuous_backups(self, table_name: str) -> Dict[str, Any]:
        """Blocking twin of describe_continuous_backups()."""
        return self._call("describe_continuous_backups",
                          p.name_args(table_name))["continuous_backups"]


def _no_timeout(timeout_seconds: Optional[float]) -> None:
    if timeout_seconds is not None:
        raise InvalidError("timeout_seconds: only with wait=True")
    return None
