# SPDX-License-Identifier: MIT
"""Shared helpers of the end-to-end suite. It runs under tests/e2e/harness.sh
(ctest -R python), which starts dynalite behind a recording proxy and the
real dyntabled, and exports DYNTABLE_SOCKET and the DYNTABLE_TEST_* paths.
A test whose evidence is not there (no request log, no dyntablectl) is
skipped with the reason; nothing here fakes the daemon or DynamoDB."""

from __future__ import annotations

import asyncio
import json
import os
import secrets
import signal
import socket
import subprocess
import tempfile
import time
import urllib.request
from typing import Any, Callable, Dict, Iterator, List, Optional

import pytest

from dyntable import DynamoDBClient


def need(var: str) -> str:
    v = os.environ.get(var)
    if not v:
        pytest.skip(f"{var} is not set: run through tests/e2e/harness.sh (ctest -R python)")
    return v


def uniq(base: str = "t") -> str:
    return f"{base}-{secrets.token_hex(4)}"


def requests_log(target: Optional[str] = None) -> List[Dict[str, Any]]:
    """What the proxy saw, optionally only one operation (e.g. CreateTable)."""
    out = []
    with open(need("DYNTABLE_TEST_REQUESTS")) as f:
        for line in f:
            e = json.loads(line)
            if target is None or (e.get("target") or "").endswith("." + target):
                out.append(e)
    return out


def faults(rules: List[Dict[str, Any]]) -> None:
    """Replaces the proxy's fault rules (tests/tools/dynalite-proxy.js)."""
    req = urllib.request.Request(need("DYNTABLE_TEST_CONTROL") + "/faults",
                                 data=json.dumps(rules).encode(), method="POST")
    urllib.request.urlopen(req, timeout=10).read()


def until(cond: Callable[[], bool], seconds: float, step: float = 0.1) -> bool:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if cond():
            return True
        time.sleep(step)
    return cond()


class Ops:
    """One client's operations, called the blocking way (sync_*) or the
    asyncio way (on an event loop of this test's own)."""

    def __init__(self, client: DynamoDBClient, mode: str) -> None:
        self.client = client
        self.mode = mode
        self.loop = asyncio.new_event_loop() if mode == "async" else None

    def __getattr__(self, name: str) -> Callable[..., Any]:
        if self.loop is None:
            return getattr(self.client, "sync_" + name)
        f = getattr(self.client, name)
        return lambda *a, **k: self.loop.run_until_complete(f(*a, **k))  # type: ignore

    def close(self) -> None:
        if self.loop is not None:
            self.loop.run_until_complete(self.client.aclose())
            self.loop.close()
        self.client.close()


@pytest.fixture
def client() -> Iterator[DynamoDBClient]:
    need("DYNTABLE_SOCKET")
    c = DynamoDBClient(namespace="", session="")
    yield c
    c.close()


@pytest.fixture(params=["sync", "async"])
def ops(request: pytest.FixtureRequest, client: DynamoDBClient) -> Iterator[Ops]:
    o = Ops(client, request.param)
    yield o
    o.close()


class Daemon:
    """A dyntabled of the test's own, against the harness's proxy, with
    keys the proxy accepts (appended to DYNTABLE_TEST_KEYS)."""

    def __init__(self, *args: str, credentials: bool = True, config: str = "") -> None:
        binary = need("DYNTABLE_TEST_DAEMON")
        endpoint = need("DYNTABLE_TEST_ENDPOINT")
        self.dir = tempfile.mkdtemp(prefix="dyntable-py-", dir=need("DYNTABLE_TEST_DIR"))
        os.chmod(self.dir, 0o755)  # for a client of another uid (test_denied)
        self.socket = os.path.join(self.dir, "d.sock")
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": self.dir,
               "AWS_EC2_METADATA_DISABLED": "true", "NO_PROXY": "*"}
        if credentials:
            akid, secret = "AKIDPY" + secrets.token_hex(6).upper(), secrets.token_hex(20)
            with open(need("DYNTABLE_TEST_KEYS"), "a") as f:
                f.write(json.dumps({"access_key": akid, "secret": secret, "token": None}) + "\n")
            env.update(AWS_ACCESS_KEY_ID=akid, AWS_SECRET_ACCESS_KEY=secret)
        cmd = [binary, "--socket", self.socket, "--endpoint", endpoint,
               "--region", "us-east-1", "--log-level", "debug", *args]
        if config:
            conf = os.path.join(self.dir, "d.conf")
            with open(conf, "w") as f:
                f.write(config)
            cmd += ["--config", conf]
        self.log = open(os.path.join(self.dir, "d.log"), "w")
        self.proc = subprocess.Popen(cmd, env=env, stdin=subprocess.DEVNULL,
                                     stdout=self.log, stderr=self.log)
        if not until(lambda: os.path.exists(self.socket) or self.proc.poll() is not None, 10):
            self.stop()
            raise AssertionError(f"dyntabled did not start: {self.log_text()}")
        if self.proc.poll() is not None:
            raise AssertionError(f"dyntabled exited: {self.log_text()}")

    def log_text(self) -> str:
        self.log.flush()
        with open(self.log.name) as f:
            return f.read()[-3000:]

    def signal(self, sig: int) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(sig)

    def stop(self) -> None:
        self.signal(signal.SIGKILL)
        self.proc.wait(10)
        self.log.close()


@pytest.fixture
def daemon() -> Iterator[Callable[..., Daemon]]:
    made: List[Daemon] = []

    def start(*args: str, **kw: Any) -> Daemon:
        d = Daemon(*args, **kw)
        made.append(d)
        return d

    yield start
    for d in made:
        d.stop()


def raw_connect(path: str) -> socket.socket:
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(10)
    s.connect(path)
    return s
