# SPDX-License-Identifier: MIT
"""The pytest plugin, run as a user would run it: pytest in a subprocess on
a small test project, against the harness's daemon."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
from typing import Any, Dict, List

import pytest

from conftest import need, until
from dyntable import DynamoDBClient

PKG = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def run_pytest(where: str, files: Dict[str, str], *args: str,
               env: Dict[str, str] = {}, timeout: float = 120) -> subprocess.CompletedProcess:
    for name, text in files.items():
        with open(os.path.join(where, name), "w") as f:
            f.write(textwrap.dedent(text))
    e = {**os.environ, "PYTHONPATH": PKG, "PYTHONDONTWRITEBYTECODE": "1",
         "OUT": where, **env}
    e.pop("DYNTABLE_NAMESPACE", None)
    e.pop("DYNTABLE_SESSION", None)
    return subprocess.run([sys.executable, "-m", "pytest", "-p", "dyntable.pytest_plugin",
                           "-p", "no:cacheprovider", "-rs", *args],
                          cwd=where, env=e, capture_output=True, text=True, timeout=timeout)


def records(where: str) -> List[Dict[str, Any]]:
    out = []
    for n in sorted(os.listdir(where)):
        if n.endswith(".rec"):
            with open(os.path.join(where, n)) as f:
                out += [json.loads(x) for x in f]
    return out


RECORD = """
import json, os
def record(**kw):
    with open(os.path.join(os.environ["OUT"], f"{os.getpid()}.rec"), "a") as f:
        f.write(json.dumps(kw) + "\\n")
"""

USES_TABLE = """
def test_one(dyntable_table):
    dyntable_table("t1")

def test_two(dyntable):
    dyntable.sync_list_tables()

def test_plain():
    pass
"""


def test_no_daemon_skips_with_one_reason(tmp_path: Any) -> None:
    where = str(tmp_path)
    r = run_pytest(where, {"test_a.py": USES_TABLE}, "--dyntable-socket",
                   os.path.join(where, "none.sock"))
    assert r.returncode == 0, r.stdout + r.stderr
    assert "1 passed, 2 skipped" in r.stdout
    skips = [ln for ln in r.stdout.splitlines() if ln.startswith("SKIPPED")]
    reasons = {ln.split(": ", 1)[1] for ln in skips}  # pytest lists each test's line
    assert len(skips) == 2 and len(reasons) == 1, skips  # one reason, no traceback
    [reason] = reasons
    assert reason.startswith("dyntable: cannot reach dyntabled at ")
    assert "Start dyntabled" in reason and "DYNTABLE_SOCKET" in reason


def test_required_fails_instead(tmp_path: Any) -> None:
    where = str(tmp_path)
    r = run_pytest(where, {"test_a.py": USES_TABLE}, "--dyntable-socket",
                   os.path.join(where, "none.sock"), "--dyntable-required")
    assert r.returncode == 1, r.stdout
    assert "1 passed, 2 errors" in r.stdout and "--dyntable-required" in r.stdout


def test_ini_keys_and_option_precedence(tmp_path: Any) -> None:
    where = str(tmp_path)
    ini = f"[pytest]\ndyntable_socket = {os.path.join(where, 'none.sock')}\n"
    r = run_pytest(where, {"test_a.py": USES_TABLE, "pytest.ini": ini})
    assert "1 passed, 2 skipped" in r.stdout, r.stdout  # the ini beats $DYNTABLE_SOCKET
    r = run_pytest(where, {"pytest.ini": ini + "dyntable_required = true\n"})
    assert "1 passed, 2 errors" in r.stdout, r.stdout
    r = run_pytest(where, {}, "--dyntable-socket", need("DYNTABLE_SOCKET"))
    assert "3 passed" in r.stdout, r.stdout  # the option beats the ini
    r = run_pytest(where, {}, "--help")
    assert "--dyntable-socket" in r.stdout and "dyntable_required" in r.stdout


FACTORY_TESTS = RECORD + """
import pytest
from dyntable import Model, ModelConfig, StringAttribute, NumberAttribute, GlobalSecondaryIndex

class User(Model):
    model_config = ModelConfig(table="users")
    pk = StringAttribute(partition_key=True)
    email = StringAttribute()
    age = NumberAttribute()
    by_email = GlobalSecondaryIndex(index_name="by_email", partition_key="email")

@pytest.mark.parametrize("i", range(6))
def test_function_scope(dyntable, dyntable_table, i):
    name = dyntable_table("orders", partition_key=("id", "S"), sort_key=("n", "N"))
    record(kind="function", name=name, ns=dyntable.namespace,
           worker=os.environ.get("PYTEST_XDIST_WORKER", "main"))

def test_model(dyntable, dyntable_table):
    name = dyntable_table(User)
    d = dyntable.sync_describe_table(name.split(".", 1)[1])
    assert d.active and d.global_secondary_indexes[0].status == "ACTIVE"
    record(kind="model", name=name, ns=dyntable.namespace)

def test_module_a(dyntable_table):
    record(kind="module", name=dyntable_table("shared", scope="module"))

def test_module_b(dyntable_table):
    record(kind="module", name=dyntable_table("shared", scope="module"))

@pytest.mark.asyncio
async def test_async(dyntable_async, dyntable_table):
    name = dyntable_table("asy")
    assert await dyntable_async.table_exists(name.split(".", 1)[1])
    record(kind="async", name=name)
"""


def test_factory_namespaces_and_cleanup(tmp_path: Any) -> None:
    where = str(tmp_path)
    r = run_pytest(where, {"test_f.py": FACTORY_TESTS, "test_g.py": RECORD + """
def test_module_other(dyntable_table):
    record(kind="other-module", name=dyntable_table("shared", scope="module"))
"""}, "-n", "2", "-p", "xdist")
    assert r.returncode == 0 and "11 passed" in r.stdout, r.stdout + r.stderr
    recs = records(where)
    fn = [x for x in recs if x["kind"] == "function"]
    assert len(fn) == 6 and len({x["name"] for x in fn}) == 6  # a table per test
    nss = {x["ns"] for x in fn}
    assert len({x["worker"] for x in fn}) == len(nss)  # a namespace per worker
    assert len({ns.split("-")[0] for ns in nss}) == 1  # ...of one run
    for x in fn:
        assert x["name"].startswith(x["ns"] + ".orders-")  # physical names
    mod = [x["name"] for x in recs if x["kind"] == "module"]
    other = [x["name"] for x in recs if x["kind"] == "other-module"]
    assert len(mod) == 2 and len(other) == 1
    plain = DynamoDBClient(need("DYNTABLE_SOCKET"), namespace="")
    # Every table is gone (deleted at teardown: well before the 2 s grace)
    names = {x["name"] for x in recs}
    assert until(lambda: not any(plain.sync_table_exists(n) for n in names), 10), names
    leftover = [t for t in plain.sync_list_tables() if t.split(".")[0] in nss]
    assert leftover == []
    plain.close()


def test_module_scope_shares_within_a_module(tmp_path: Any) -> None:
    where = str(tmp_path)
    r = run_pytest(where, {"test_f.py": FACTORY_TESTS, "test_g.py": RECORD + """
def test_module_other(dyntable_table):
    record(kind="other-module", name=dyntable_table("shared", scope="module"))
"""}, "-k", "module")
    assert r.returncode == 0 and "3 passed" in r.stdout, r.stdout + r.stderr
    recs = records(where)
    mod = [x["name"] for x in recs if x["kind"] == "module"]
    other = [x["name"] for x in recs if x["kind"] == "other-module"]
    assert len(mod) == 2 and mod[0] == mod[1] and other[0] != mod[0]


def test_sigkill_leaves_no_table(tmp_path: Any) -> None:
    """pytest killed by SIGKILL mid-test: its held session ends, and the
    daemon deletes the ephemeral tables after its grace period (2 s here)."""
    where = str(tmp_path)
    r = run_pytest(where, {"test_k.py": RECORD + """
import signal
def test_killed(dyntable_table):
    record(name=dyntable_table("victim"))
    os.kill(os.getpid(), signal.SIGKILL)
"""})
    assert r.returncode == -signal.SIGKILL, r.stdout + r.stderr
    [rec] = records(where)
    plain = DynamoDBClient(need("DYNTABLE_SOCKET"), namespace="")
    assert plain.sync_table_exists(rec["name"])  # no teardown ran
    assert until(lambda: not plain.sync_table_exists(rec["name"]), 20), "table left behind"
    plain.close()
