# SPDX-License-Identifier: MIT
"""The two transports over the protocol core: a blocking socket (no event
loop anywhere, so it also works in a thread that runs one) and asyncio
streams (no threads). Each connection does the handshake, sends requests
with fresh ids and hands each reply to the call that sent its id."""

from __future__ import annotations

import asyncio
import collections
import socket
import threading
from typing import Any, Deque, Dict, Optional, Set

from . import _protocol as p
from .errors import DisconnectedError, DyntableError, ProtocolError, UnreachableError, error_from_reply

_READ = 1 << 16


def unreachable(path: str, e: BaseException) -> UnreachableError:
    why = getattr(e, "strerror", None) or str(e) or type(e).__name__
    return UnreachableError(
        f"cannot reach dyntabled at {path}: {why}. Start dyntabled (e.g. "
        f"`dyntabled --socket {path}`, or its systemd socket), or set "
        f"DYNTABLE_SOCKET to the socket of a running one")


def _fresh(e: DyntableError) -> DyntableError:
    """A copy of e, so that each failed call raises its own exception."""
    return type(e)(e.message, aws_type=e.aws_type)


class SyncConnection:
    """One blocking connection. Calls are serialised by a lock (one request
    in flight at a time); replies to requests abandoned by an interrupted
    call (KeyboardInterrupt) are skipped by id."""

    def __init__(self, path: str, namespace: Optional[str], session: Optional[str]) -> None:
        self.path = path
        self.closed = False
        self._lock = threading.Lock()
        self._ids = p.Ids()
        self._decoder = p.FrameDecoder(p.FRAME_MAX)
        self._queue: Deque[p.Message] = collections.deque()
        self._max_frame = p.FRAME_MAX
        self._sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self._sock.settimeout(p.CONNECT_TIMEOUT)
        try:
            self._sock.connect(path)
        except OSError as e:
            self._sock.close()
            raise unreachable(path, e) from None
        try:
            self.info = p.hello_result(self._roundtrip("hello", p.hello_args(namespace, session)))
        except socket.timeout:
            self.close()
            raise UnreachableError(f"dyntabled at {path} did not answer the handshake "
                                   f"within {p.CONNECT_TIMEOUT:g} s") from None
        except BaseException:
            self.close()
            raise
        self._max_frame = self.info.max_frame
        self._decoder.limit = self.info.protocol_frame_max
        self._sock.settimeout(None)  # waits end in the daemon, on its deadline

    def call(self, op: str, args: p.Message) -> p.Message:
        with self._lock:
            if self.closed:
                raise DisconnectedError("the connection to dyntabled is closed")
            return self._roundtrip(op, args)

    def _roundtrip(self, op: str, args: p.Message) -> p.Message:
        i = self._ids.take(set())
        frame = p.encode({"id": i, "op": op, "args": args}, self._max_frame)
        try:
            self._sock.sendall(frame)
        except socket.timeout:
            raise
        except OSError as e:
            # A daemon that refuses the connection (LIMIT, DENIED, SHUTDOWN)
            # writes why and closes at once: EPIPE here, the reason there.
            refusal = self._refusal()
            self.close()
            if refusal is not None:
                raise refusal from None
            raise DisconnectedError(f"sending to dyntabled failed: {e}") from None
        except BaseException:
            self.close()  # part of a frame may be out: the stream is lost
            raise
        while True:
            while self._queue:
                msg = self._queue.popleft()
                rid = p.reply_id(msg)
                if rid == i:
                    return p.result(msg)
                if rid == 0:  # a connection error: the daemon closes
                    self.close()
                    raise error_from_reply(msg.get("error"))
                # else: the reply to an abandoned call
            try:
                data = self._sock.recv(_READ)
            except socket.timeout:
                raise
            except OSError as e:
                self.close()
                raise DisconnectedError(f"reading from dyntabled failed: {e}") from None
            if not data:
                self.close()
                raise DisconnectedError("dyntabled closed the connection with the call in flight")
            try:
                self._queue.extend(self._decoder.feed(data))
            except ProtocolError:
                self.close()
                raise

    def _refusal(self) -> Optional[DyntableError]:
        """The connection error (id 0) the daemon left before closing, if any."""
        try:
            self._sock.settimeout(1.0)
            while True:
                data = self._sock.recv(_READ)
                if not data:
                    return None
                for msg in self._decoder.feed(data):
                    if msg.get("id") == 0:
                        return error_from_reply(msg.get("error"))
        except (OSError, DyntableError):
            return None

    def close(self) -> None:
        self.closed = True
        try:
            self._sock.close()
        except OSError:
            pass


class AsyncConnection:
    """One asyncio connection: any number of calls in flight (at most the
    daemon's max_inflight sent; the rest wait here), answers in any order.
    A cancelled call's id stays reserved, and its slot taken, until the
    daemon answers it; the connection and the other calls go on."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter,
                 info: p.ServerInfo, decoder: p.FrameDecoder) -> None:
        self.loop = asyncio.get_running_loop()
        self.info = info
        self.closed = False
        self.error: Optional[DyntableError] = None
        self._reader = reader
        self._writer = writer
        self._decoder = decoder
        self._decoder.limit = info.protocol_frame_max
        self._ids = p.Ids()
        self._ids.take(set())  # 1 was the hello's
        self._pending: Dict[int, "asyncio.Future[p.Message]"] = {}
        self._abandoned: Set[int] = set()
        self._slots = asyncio.Semaphore(info.max_inflight)
        self._drain_lock = asyncio.Lock()
        self._task = self.loop.create_task(self._read_loop())

    @classmethod
    async def open(cls, path: str, namespace: Optional[str], session: Optional[str]) -> "AsyncConnection":
        """Connects and shakes hands on the bare socket (loop.sock_*: a
        daemon that refuses the connection closes it at once, and its
        reason must still be read after a failed write), then hands the
        socket to asyncio streams."""
        loop = asyncio.get_running_loop()
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.setblocking(False)
        try:
            await asyncio.wait_for(loop.sock_connect(sock, path), p.CONNECT_TIMEOUT)
        except (OSError, asyncio.TimeoutError) as e:
            sock.close()
            raise unreachable(path, e) from None
        decoder = p.FrameDecoder(p.FRAME_MAX)
        try:
            info = p.hello_result(p.result(await asyncio.wait_for(
                cls._handshake(loop, sock, decoder, p.hello_args(namespace, session)),
                p.CONNECT_TIMEOUT)))
            reader, writer = await asyncio.open_unix_connection(sock=sock, limit=_READ)
        except asyncio.TimeoutError:
            sock.close()
            raise UnreachableError(f"dyntabled at {path} did not answer the handshake "
                                   f"within {p.CONNECT_TIMEOUT:g} s") from None
        except BaseException:
            sock.close()
            raise
        return cls(reader, writer, info, decoder)

    @staticmethod
    async def _handshake(loop: asyncio.AbstractEventLoop, sock: socket.socket,
                         decoder: p.FrameDecoder, args: p.Message) -> p.Message:
        try:
            await loop.sock_sendall(sock, p.encode({"id": 1, "op": "hello", "args": args}))
            sent: Optional[OSError] = None
        except OSError as e:
            sent = e  # read the refusal the daemon left, if any
        while True:
            try:
                data = await loop.sock_recv(sock, _READ)
            except OSError:
                data = b""
            if not data:
                raise DisconnectedError(f"dyntabled closed the connection during the handshake"
                                        f"{f' ({sent})' if sent else ''}")
            msgs = decoder.feed(data)
            if msgs:
                if len(msgs) > 1 or decoder.pending:
                    raise ProtocolError("the daemon answered the handshake with more than one frame")
                if msgs[0].get("id") == 0:
                    raise error_from_reply(msgs[0].get("error"))
                return msgs[0]

    async def call(self, op: str, args: p.Message) -> p.Message:
        await self._slots.acquire()
        if self.closed:
            self._slots.release()
            raise _fresh(self.error or DisconnectedError("the connection to dyntabled is closed"))
        try:
            i = self._ids.take(self._pending.keys() | self._abandoned)
            frame = p.encode({"id": i, "op": op, "args": args}, self.info.max_frame)
        except BaseException:
            self._slots.release()
            raise
        fut: "asyncio.Future[p.Message]" = self.loop.create_future()
        self._pending[i] = fut
        self._writer.write(frame)  # whole, at once: frames never interleave
        try:
            try:
                async with self._drain_lock:
                    await self._writer.drain()
            except OSError as e:  # not around the await below: some of
                # our errors are OSErrors too (TimeoutError, PermissionError)
                self._pending.pop(i, None)
                raise DisconnectedError(f"sending to dyntabled failed: {e}") from None
            return await fut
        except asyncio.CancelledError:
            if self._pending.pop(i, None) is not None:
                self._abandoned.add(i)  # the answer will come; skip it then
            raise

    async def _read_loop(self) -> None:
        err: DyntableError = DisconnectedError("the connection to dyntabled was closed")
        try:
            while True:
                data = await self._reader.read(_READ)
                if not data:
                    err = DisconnectedError("dyntabled closed the connection with calls in flight")
                    break
                for msg in self._decoder.feed(data):
                    rid = p.reply_id(msg)
                    if rid == 0:
                        raise error_from_reply(msg.get("error"))
                    fut = self._pending.pop(rid, None)
                    if fut is None:
                        if rid not in self._abandoned:
                            raise ProtocolError(f"reply to an unknown request id {rid}")
                        self._abandoned.discard(rid)
                    elif not fut.done():
                        try:
                            fut.set_result(p.result(msg))
                        except DyntableError as e:
                            fut.set_exception(e)
                    self._slots.release()
        except asyncio.CancelledError:
            pass
        except DyntableError as e:
            err = e
        except OSError as e:
            err = DisconnectedError(f"reading from dyntabled failed: {e}")
        finally:
            self._shut(err)

    def _shut(self, err: DyntableError) -> None:
        if self.closed:
            return
        self.closed = True
        self.error = err
        pending, self._pending = self._pending, {}
        for fut in pending.values():
            if not fut.done():
                fut.set_exception(_fresh(err))
        # wake whoever waits for a slot; they find the connection closed
        for _ in range(len(pending) + len(self._abandoned) + 1):
            self._slots.release()
        self._abandoned.clear()
        self._writer.close()

    async def aclose(self) -> None:
        if not self._task.done():
            self._task.cancel()
            try:
                await self._task
            except asyncio.CancelledError:
                pass
        self._shut(DisconnectedError("the client was closed"))
        try:
            await self._writer.wait_closed()
        except (OSError, asyncio.CancelledError):
            pass

    def abort(self) -> None:
        """Closes without awaiting, from synchronous code: at once on this
        loop or a closed one, else when the connection's loop next runs."""
        if self.loop.is_closed():
            self.closed = True
            sock = getattr(self._writer.transport, "_sock", None)
            if sock is not None:
                sock.close()
        elif self._on_own_loop():
            self._task.cancel()
            self._shut(DisconnectedError("the client was closed"))
        else:
            self.loop.call_soon_threadsafe(self._task.cancel)

    def _on_own_loop(self) -> bool:
        try:
            return asyncio.get_running_loop() is self.loop
        except RuntimeError:
            return False
