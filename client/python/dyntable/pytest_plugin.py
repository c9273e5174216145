# SPDX-License-Identifier: MIT
"""pytest plugin (entry point ``pytest11``: installing dyntable enables it).

Options (also ini keys): ``--dyntable-socket PATH`` / ``dyntable_socket``
(default ``$DYNTABLE_SOCKET``, else ``/run/dyntabled/dyntabled.sock``);
``--dyntable-required`` / ``dyntable_required``: fail, rather than skip,
the tests that need the daemon when none answers.

Each pytest process (each xdist worker) uses a namespace of its own,
``pt<run id>-<worker>``, so parallel runs and workers never share a table
name, and holds a session of its own: one connection kept open for the
life of the process. Tables made by ``dyntable_table`` are ephemeral: the
fixture deletes them at teardown, and should the process die (even by
SIGKILL) the daemon deletes what is left once the session has had no
connection for its grace period.

Fixtures:

- ``dyntable``: a DynamoDBClient (blocking ``sync_`` calls; async ones too)
  in the run's namespace and session.
- ``dyntable_async``: a DynamoDBClient for the test's event loop, closed
  after the test (an async fixture when pytest-asyncio is installed).
- ``dyntable_table``: a factory. ``dyntable_table(User)`` (a Model) or
  ``dyntable_table("orders", partition_key=("id", "S"), ...)`` (create_table's
  arguments) creates an ephemeral table with a unique name, waits until it
  and its indexes are ACTIVE, and returns its physical DynamoDB name (the
  one boto3 or any other SDK must use). ``scope="module"`` or
  ``"session"`` shares the table between the calls with the same arguments
  in that scope; it is deleted when the scope ends (default: the test).
  When one of the daemon's pools serves the definition (a ``[pool]``
  section of dyntabled.conf, or one it learnt from earlier leases), the
  table is leased from it instead, in milliseconds, and released (emptied
  and returned to the pool) when the scope ends; a lease, like an
  ephemeral table, goes back if the process dies.
"""

from __future__ import annotations

import itertools
import os
import re
import uuid
from typing import Any, Callable, Dict, Iterator, Optional, Tuple

import pytest

from .client import DynamoDBClient
from .errors import DyntableError, InvalidError, NotFoundError, UnreachableError
from .model import Model

try:  # async fixtures need pytest-asyncio; without it, a plain one
    import pytest_asyncio
except ImportError:  # pragma: no cover
    pytest_asyncio = None


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("dyntable", "DynamoDB tables through dyntabled")
    group.addoption("--dyntable-socket", dest="dyntable_socket", default=None, metavar="PATH",
                    help="dyntabled's socket (default: ini dyntable_socket, "
                         "$DYNTABLE_SOCKET, /run/dyntabled/dyntabled.sock)")
    group.addoption("--dyntable-required", dest="dyntable_required", action="store_true",
                    default=None, help="fail the tests that need dyntabled when it does not "
                                       "answer (default: skip them)")
    parser.addini("dyntable_socket", "dyntabled's socket, as --dyntable-socket", default=None)
    parser.addini("dyntable_required", "as --dyntable-required", type="bool", default=False)


class _Run:
    """This process's namespace, socket and held session."""

    def __init__(self, config: pytest.Config) -> None:
        self.socket = (config.getoption("dyntable_socket") or config.getini("dyntable_socket")
                       or None)
        req = config.getoption("dyntable_required")
        self.required = bool(config.getini("dyntable_required") if req is None else req)
        winput = getattr(config, "workerinput", None)
        run_id = winput.get("testrunuid") if winput else None
        worker = winput.get("workerid", "w") if winput else "main"
        run_id = re.sub(r"[^a-zA-Z0-9]", "", run_id or uuid.uuid4().hex)[:12]
        self.namespace = f"pt{run_id}-{re.sub(r'[^a-zA-Z0-9_-]', '', worker)}"[:64]
        self._holder: Optional[DynamoDBClient] = None
        self._error: Optional[str] = None
        self.session: Optional[str] = None
        self.client: Optional[DynamoDBClient] = None
        self._names = itertools.count(1)

    def start(self) -> DynamoDBClient:
        """The run's client, the session held; skips (or fails) the test
        when no daemon answers."""
        if self.client is None and self._error is None:
            holder = DynamoDBClient(self.socket, self.namespace, session="")
            try:
                self.session = holder.sync_session()
            except UnreachableError as e:
                self._error = f"dyntable: {e.message}"
            except DyntableError as e:
                self._error = f"dyntable: the daemon refused this run: {e}"
            else:
                self._holder = holder
                self.client = DynamoDBClient(holder.socket_path, self.namespace, self.session)
        if self._error is not None:
            if self.required:
                pytest.fail(self._error + " (--dyntable-required)", pytrace=False)
            pytest.skip(self._error)
        assert self.client is not None
        return self.client

    def unique(self, base: str) -> str:
        return f"{base}-{next(self._names)}"

    def stop(self) -> None:
        for c in (self.client, self._holder):
            if c is not None:
                c.close()


_RUN_KEY = pytest.StashKey[_Run]()


def pytest_configure(config: pytest.Config) -> None:
    config.stash[_RUN_KEY] = _Run(config)


def pytest_unconfigure(config: pytest.Config) -> None:
    run = config.stash.get(_RUN_KEY, None)
    if run is not None:
        run.stop()


def pytest_report_header(config: pytest.Config) -> str:
    run = config.stash[_RUN_KEY]
    sock = run.socket or os.environ.get("DYNTABLE_SOCKET") or "/run/dyntabled/dyntabled.sock"
    return f"dyntable: socket {sock}, namespace {run.namespace}"


@pytest.fixture(scope="session")
def dyntable(request: pytest.FixtureRequest) -> DynamoDBClient:
    """A DynamoDBClient in this run's namespace and held session."""
    return request.config.stash[_RUN_KEY].start()


def _new_async(request: pytest.FixtureRequest) -> DynamoDBClient:
    c = request.config.stash[_RUN_KEY].start()
    return DynamoDBClient(c.socket_path, c.namespace, request.config.stash[_RUN_KEY].session)


if pytest_asyncio is not None:
    @pytest_asyncio.fixture
    async def dyntable_async(request: pytest.FixtureRequest) -> Any:
        """A DynamoDBClient for the test's event loop, in this run's
        namespace and session; closed after the test."""
        client = _new_async(request)
        yield client
        await client.aclose()
else:  # pragma: no cover
    @pytest.fixture
    def dyntable_async(request: pytest.FixtureRequest) -> Iterator[DynamoDBClient]:
        """A DynamoDBClient for the test's event loop, in this run's
        namespace and session; closed after the test."""
        client = _new_async(request)
        yield client
        client.close()


_SCOPES = ("function", "module", "session")


@pytest.fixture
def dyntable_table(request: pytest.FixtureRequest) -> Callable[..., str]:
    """Factory: ``dyntable_table(Model_or_name, scope="function", **create_table_args)``
    -> the physical DynamoDB name of a fresh, ACTIVE, ephemeral table."""
    run: _Run = request.config.stash[_RUN_KEY]
    client = run.start()
    cache: Dict[Tuple[Any, ...], str] = request.config.stash.setdefault(_CACHE_KEY, {})

    def make(table: Any, scope: str = "function", **kwargs: Any) -> str:
        if scope not in _SCOPES:
            raise ValueError(f"dyntable_table: scope must be one of {', '.join(_SCOPES)}")
        if isinstance(table, type) and issubclass(table, Model):
            model_opts = {k: kwargs.pop(k) for k in list(kwargs) if k in _MODEL_OPTS}
            args = {**table.create_table_kwargs(**model_opts), **kwargs}
        elif isinstance(table, str):
            args = {"table_name": table, **kwargs}
        else:
            raise TypeError("dyntable_table: a Model subclass or a table name")
        if scope == "function":
            node: Any = request.node
        elif scope == "module":
            node = request.node.getparent(pytest.Module) or request.session
        else:
            node = request.session
        key = (scope, node.nodeid, repr(sorted(args.items(), key=lambda kv: kv[0])))
        if scope != "function" and key in cache:
            return cache[key]
        name = run.unique(args.pop("table_name"))
        args.setdefault("timeout_seconds", 120)
        physical = _lease(client, name, args)
        if physical is None:
            client.sync_create_table(name, wait=True, ephemeral=True, **args)
            physical = client.physical_name(name)

        def drop() -> None:
            cache.pop(key, None)
            try:
                # A lease's logical name: the table goes back to its pool.
                client.sync_delete_table(name)
            except NotFoundError:
                pass  # the test deleted (or released) it

        if scope == "function":
            request.addfinalizer(drop)
        else:
            node.addfinalizer(drop)
            cache[key] = physical
        return physical

    return make


def _lease(client: DynamoDBClient, name: str, args: Dict[str, Any]) -> Optional[str]:
    """A table of args' definition leased as name from a pool the daemon
    has already; None when none serves it (or the daemon predates pools)."""
    kw = dict(args)
    timeout = kw.pop("timeout_seconds", None)
    try:
        return client.sync_lease_table(name=name, pooled_only=True, timeout_seconds=timeout,
                                       **kw).table_name
    except (NotFoundError, InvalidError):
        return None


_CACHE_KEY = pytest.StashKey[Dict[Tuple[Any, ...], str]]()
_MODEL_OPTS = ("billing_mode", "read_capacity", "write_capacity", "table_class",
               "encryption", "kms_key_id")
