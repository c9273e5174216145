# SPDX-License-Identifier: MIT
"""Many coroutines on one client and one connection; cancellation."""

from __future__ import annotations

import asyncio
import time

from conftest import uniq
from dyntable import DynamoDBClient, NotFoundError


def test_200_coroutines_share_one_connection(client: DynamoDBClient) -> None:
    names = [uniq("many") for _ in range(20)]

    async def one(i: int) -> object:
        n = names[i % len(names)]
        if i < len(names):  # 20 creates, each with its wait
            return (await client.create_table(n, wait=True, timeout_seconds=60)).status
        if i % 3 == 0:
            return (await client.wait_for_table_active(n, 60)).status
        if i % 3 == 1:
            return await client.table_exists(n)
        try:
            return (await client.describe_table(n)).name
        except NotFoundError:  # asked before its CreateTable reached DynamoDB
            return n

    async def main() -> None:
        t0 = time.monotonic()
        results = await asyncio.gather(*(one(i) for i in range(200)))
        took = time.monotonic() - t0
        conn = client._async
        assert results[:20] == ["ACTIVE"] * 20
        for i, r in enumerate(results[20:], 20):
            assert r in ("ACTIVE", True, False, names[i % 20]), (i, r)
        st = await client.status()
        assert st["clients"] == 1  # one connection carried all of them
        assert client._async is conn
        assert took < 30, took
        assert all(await asyncio.gather(*(client.table_exists(n) for n in names)))
        await asyncio.gather(*(client.delete_table(n) for n in names))
        await client.aclose()
    asyncio.run(main())


def test_more_calls_than_the_daemons_max_inflight(daemon) -> None:  # type: ignore[no-untyped-def]
    """Beyond max_inflight the client queues instead of getting LIMIT."""
    d = daemon("--max-inflight", "4")

    async def main() -> None:
        async with DynamoDBClient(d.socket) as c:
            r = await asyncio.gather(*(c.table_exists(f"nope-{i}") for i in range(50)))
            assert r == [False] * 50
            assert c._async is not None and c._async.info.max_inflight == 4
    asyncio.run(main())


def test_cancelling_a_wait_keeps_the_connection(client: DynamoDBClient) -> None:
    name = uniq("cancel")

    async def main() -> None:
        others = [asyncio.ensure_future(client.wait_for_table_active(name, 30))
                  for _ in range(3)]
        victim = asyncio.ensure_future(client.wait_for_table_active(name, 30))
        await asyncio.sleep(0.3)
        conn = client._async
        victim.cancel()
        await asyncio.gather(victim, return_exceptions=True)
        assert victim.cancelled()
        # Same connection, still working, for new calls and the other waits.
        assert await client.table_exists(name) is False
        await client.create_table(name)
        for w in others:
            assert (await asyncio.wait_for(w, 30)).status == "ACTIVE"
        # The cancelled wait's answer came too, and was skipped quietly.
        await asyncio.sleep(0.3)
        assert client._async is conn and not conn.closed
        assert conn._abandoned == set() and conn._pending == {}
        assert (await client.describe_table(name)).status == "ACTIVE"
        await client.delete_table(name)
        await client.aclose()
    asyncio.run(main())


def test_cancelling_the_first_call_while_it_connects(client: DynamoDBClient) -> None:
    async def main() -> None:
        a = asyncio.ensure_future(client.table_exists("nope-a"))
        b = asyncio.ensure_future(client.table_exists("nope-b"))
        await asyncio.sleep(0)
        a.cancel()
        assert await b is False
        assert await client.table_exists("nope-c") is False
        await client.aclose()
    asyncio.run(main())


def test_timeout_via_asyncio_wait_for(client: DynamoDBClient) -> None:
    async def main() -> None:
        try:
            await asyncio.wait_for(client.wait_for_table_active(uniq("never"), 30), 0.2)
        except asyncio.TimeoutError:
            pass
        else:
            raise AssertionError("wait_for did not time out")
        assert await client.table_exists("nope") is False
        await client.aclose()
    asyncio.run(main())
