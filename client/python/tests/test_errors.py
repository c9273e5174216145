# SPDX-License-Identifier: MIT
"""Every error class, each raised by the real daemon (or, for the two
client-side ones, by the real socket), carrying the protocol's code and
DynamoDB's error type."""

from __future__ import annotations

import asyncio
import getpass
import os
import shutil
import signal
import subprocess
import sys
import threading
import time

import msgpack
import pytest

from conftest import Daemon, faults, raw_connect, uniq, until
from dyntable import (AwsError, CredentialsError, DeniedError, DisconnectedError,
                      DynamoDBClient, DyntableError, InternalError, InUseError, InvalidError,
                      LimitError, NotFoundError, ProtocolError, ShutdownError, UnreachableError,
                      UpstreamError, VersionError, WaitTimeoutError)
from dyntable import _protocol as p
from dyntable import errors as e


def test_codes_match_the_protocol() -> None:
    expected = {1: "PROTOCOL", 2: "VERSION", 3: "INVALID", 4: "NOT_FOUND", 5: "IN_USE",
                6: "TIMEOUT", 7: "AWS", 8: "UPSTREAM", 9: "CREDENTIALS", 10: "LIMIT",
                11: "SHUTDOWN", 12: "DENIED", 13: "INTERNAL"}
    for code, name in expected.items():
        err = e.error_from_reply({"code": code, "name": name, "message": "m", "aws_type": "X"})
        assert (err.code, err.name, err.message, err.aws_type) == (code, name, "m", "X")
        assert isinstance(err, DyntableError)
    assert isinstance(e.error_from_reply({"code": 99, "message": "?"}), ProtocolError)
    # INTERNAL (the daemon out of memory) cannot be provoked from outside;
    # its mapping is what is checked here.
    assert isinstance(e.error_from_reply({"code": 13, "message": "m"}), InternalError)
    assert e.ResourceNotFoundException is NotFoundError
    assert issubclass(WaitTimeoutError, TimeoutError)
    assert issubclass(InvalidError, ValueError)


def test_not_found_and_in_use(client: DynamoDBClient) -> None:
    with pytest.raises(NotFoundError) as ei:
        client.sync_describe_table(uniq("missing"))
    assert ei.value.code == 4 and ei.value.aws_type == "ResourceNotFoundException"
    assert "not found" in ei.value.message
    name = uniq("dup")
    client.sync_create_table(name)
    with pytest.raises(InUseError) as ei2:
        client.sync_create_table(name)
    assert ei2.value.code == 5 and ei2.value.aws_type == "ResourceInUseException"
    client.sync_wait_for_table_active(name)
    client.sync_delete_table(name)


def test_invalid_names_the_field(client: DynamoDBClient) -> None:
    with pytest.raises(InvalidError) as ei:
        client.sync_create_table(uniq("bad"), partition_key=("pk", "S"),
                                 global_secondary_indexes=[
                                     {"index_name": "ok_index", "hash_key": ("a", "S")},
                                     {"index_name": "bad_index", "hash_key": ("b", "S"),
                                      "projection": "KEYS_ONLY", "non_key_attributes": ["x"]}])
    assert ei.value.code == 3
    assert ei.value.field == "GlobalSecondaryIndexes[1].Projection.NonKeyAttributes"
    with pytest.raises(InvalidError) as ei2:
        client.sync_create_table("x")
    assert ei2.value.field == "TableName"
    # Shaping errors of this client name its own parameters.
    with pytest.raises(InvalidError) as ei3:
        client.sync_create_table(uniq("bad"), encryption="CUSTOMER_MANAGED")
    assert ei3.value.field == "kms_key_id"


def test_timeout(client: DynamoDBClient) -> None:
    with pytest.raises(WaitTimeoutError) as ei:
        client.sync_wait_for_table_active(uniq("never"), timeout_seconds=0.2)
    assert ei.value.code == 6 and isinstance(ei.value, TimeoutError)


def test_aws_and_upstream(client: DynamoDBClient) -> None:
    name = uniq("faulty")
    client.sync_create_table(name, wait=True)
    try:
        faults([{"target": "DescribeTable", "action": "limit_exceeded", "count": 3}])
        with pytest.raises(AwsError) as ei:
            client.sync_describe_table(name)
        assert ei.value.code == 7 and ei.value.aws_type == "LimitExceededException"
        faults([{"target": "DescribeTable", "action": "reset"}])
        with pytest.raises(UpstreamError) as ei2:
            client.sync_describe_table(name)
        assert ei2.value.code == 8
    finally:
        faults([])
    assert client.sync_describe_table(name).name == name
    client.sync_delete_table(name)


def test_unreachable_says_what_to_do(tmp_path: "os.PathLike[str]") -> None:
    path = os.path.join(str(tmp_path), "nobody-here.sock")
    c = DynamoDBClient(socket=path)
    with pytest.raises(UnreachableError) as ei:
        c.sync_table_exists("users")
    msg = str(ei.value)
    assert path in msg and "dyntabled" in msg and "DYNTABLE_SOCKET" in msg
    assert isinstance(ei.value, ConnectionError)
    with pytest.raises(UnreachableError):
        asyncio.run(c.table_exists("users"))


def test_version_and_protocol_from_the_daemon(client: DynamoDBClient) -> None:
    """Raw frames (the client itself only speaks 1.0, well-formed)."""
    s = raw_connect(client.socket_path)
    s.sendall(p.encode({"id": 1, "op": "hello", "args": {"major": 2, "minor": 0,
                                                         "client": "test"}}))
    dec = p.FrameDecoder()
    msgs = []
    while not msgs:
        msgs = dec.feed(s.recv(65536))
    with pytest.raises(VersionError):
        p.result(msgs[0])
    s.close()
    # A connection that sends garbage gets PROTOCOL (id 0) and is closed;
    # the client raises it for its call in flight.
    s = raw_connect(client.socket_path)
    s.sendall(b"\x00\x00\x00\x03\x93\x01\x02")  # 3 bytes, a msgpack array
    with pytest.raises(ProtocolError):
        while True:
            data = s.recv(65536)
            assert data, "closed without an error reply"
            for m in dec.feed(data):
                assert p.reply_id(m) == 0
                p.result(m)
    s.close()


def test_frame_limit_is_checked_before_sending(client: DynamoDBClient) -> None:
    """A request above the daemon's max_frame is refused here, and the
    connection stays usable."""
    client.sync_list_tables()
    big = {"TableName": "x" * 200, "Tags": [{"Key": str(i), "Value": "v" * 256}
                                            for i in range(5000)]}
    with pytest.raises(InvalidError, match="more than the daemon accepts"):
        client.sync_create_table_from_input(big)
    assert isinstance(client.sync_list_tables(), list)


def test_credentials(daemon) -> None:  # type: ignore[no-untyped-def]
    d: Daemon = daemon(credentials=False)
    with pytest.raises(CredentialsError) as ei:
        DynamoDBClient(d.socket).sync_describe_table("anything")
    assert ei.value.code == 9


def test_limit(daemon) -> None:  # type: ignore[no-untyped-def]
    """Connections beyond --max-clients are refused with LIMIT (root, the
    daemon's user and admins may have a few more: open until refused)."""
    d: Daemon = daemon("--max-clients", "1")
    held = []
    with pytest.raises(LimitError) as ei:
        for _ in range(64):
            c = DynamoDBClient(d.socket)
            held.append(c)
            c.sync_list_tables()
    assert ei.value.code == 10 and len(held) > 1

    async def refused_async() -> None:
        with pytest.raises(LimitError):
            await DynamoDBClient(d.socket).table_exists("xyz")
    asyncio.run(refused_async())  # while the others still hold their slots
    for c in held:
        c.close()


def test_denied(daemon) -> None:  # type: ignore[no-untyped-def]
    """A client of a uid kept to the prefix ci- (needs root: root and the
    daemon's own user may use every table)."""
    if os.getuid() != 0 or not shutil.which("setpriv"):
        pytest.skip("DENIED needs a client of another uid: run as root, with setpriv")
    d: Daemon = daemon(config="[daemon]\nsocket-mode = 0666\n\n[access]\n"
                              "allow-users = root, nobody\n\n[user nobody]\n"
                              "table-prefixes = ci-\n")
    os.chmod(os.path.dirname(d.dir), 0o755)
    script = ("import sys; from dyntable import DynamoDBClient, DeniedError\n"
              "c = DynamoDBClient(sys.argv[1])\n"
              "for call in (lambda: c.sync_describe_table('other-table'), c.sync_status):\n"
              "    try:\n        call()\n    except DeniedError as e:\n"
              "        print('denied', e.code)\n"
              "print('exists', c.sync_table_exists('ci-nothing'))\n")
    pkg = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    r = subprocess.run(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
                        sys.executable, "-c", script, d.socket],
                       env={"PYTHONPATH": pkg, "PYTHONDONTWRITEBYTECODE": "1", "PATH": "/usr/bin:/bin"},
                       capture_output=True, text=True, timeout=30)
    assert r.stdout.split("\n")[:3] == ["denied 12", "denied 12", "exists False"], (
        r.stdout, r.stderr)


def test_shutdown(daemon) -> None:  # type: ignore[no-untyped-def]
    d: Daemon = daemon()
    c = DynamoDBClient(d.socket)

    async def main() -> None:
        w = asyncio.ensure_future(c.wait_for_table_active(uniq("never"), 30))
        await asyncio.sleep(0.3)
        d.signal(signal.SIGTERM)
        with pytest.raises(ShutdownError) as ei:
            await asyncio.wait_for(w, 10)
        assert ei.value.code == 11
        await c.aclose()
    asyncio.run(main())
    d.proc.wait(10)


def test_disconnected_when_the_daemon_dies(daemon) -> None:  # type: ignore[no-untyped-def]
    """The daemon killed mid-call: every pending call, async and sync,
    raises DisconnectedError at once; none hangs."""
    d: Daemon = daemon()
    c = DynamoDBClient(d.socket)
    sync_result: list = []

    def blocking() -> None:
        try:
            c.sync_wait_for_table_active(uniq("never"), 30)
        except BaseException as ex:  # noqa: B902
            sync_result.append(ex)

    async def main() -> None:
        waits = [asyncio.ensure_future(c.wait_for_table_active(uniq("never"), 30))
                 for _ in range(20)]
        t = threading.Thread(target=blocking)
        t.start()
        await asyncio.sleep(0.5)
        assert not any(w.done() for w in waits)
        t0 = time.monotonic()
        d.signal(signal.SIGKILL)
        done, pending = await asyncio.wait(waits, timeout=5)
        assert not pending, "calls still pending after the daemon died"
        for w in done:
            assert isinstance(w.exception(), DisconnectedError)
        t.join(5)
        assert not t.is_alive(), "the blocking call hangs"
        assert isinstance(sync_result[0], DisconnectedError)
        assert time.monotonic() - t0 < 5
        # Once the process is gone (a sanitized daemon takes a moment to
        # exit, and until then its socket still accepts), the next call
        # tries to connect again, and says no daemon answers.
        d.proc.wait(10)
        with pytest.raises(UnreachableError):
            await c.table_exists("x")
    asyncio.run(main())
    c.close()
