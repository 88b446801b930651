"""A TCP fault proxy for tests, placed between the services and the broker or the database.

Modes: `pass` (forward), `latency` (delay every chunk), `blackhole` (accept and hold connections,
forwarding nothing), `reset` (drop every connection at once), `refuse` (stop accepting). Loopback only."""

from __future__ import annotations

import asyncio
import contextlib
import socket
from typing import Any, Literal
from urllib.parse import urlsplit

Mode = Literal["pass", "latency", "blackhole", "reset", "refuse"]


class FaultProxy:
    def __init__(self, upstream_port: int, *, port: int = 0, upstream_host: str = "127.0.0.1"):
        self.upstream = (upstream_host, upstream_port)
        self.port = port
        self.mode: Mode = "pass"
        self.latency = 0.0
        self._server: asyncio.Server | None = None
        self._pairs: set[tuple[asyncio.StreamWriter, asyncio.StreamWriter]] = set()
        self._flowing = asyncio.Event()
        self._flowing.set()

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", self.port)
        self.port = self._server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        self._drop_all()
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None

    async def set(self, mode: Mode, *, latency: float = 0.0) -> None:
        self.mode, self.latency = mode, latency
        if mode == "blackhole":
            self._flowing.clear()
        else:
            self._flowing.set()
        if mode in ("reset", "refuse"):
            self._drop_all()
        if mode == "refuse" and self._server is not None:
            self._server.close()
            self._server = None
        if mode in ("pass", "latency", "blackhole") and self._server is None:
            self._server = await asyncio.start_server(self._serve, "127.0.0.1", self.port)

    def _drop_all(self) -> None:
        for client, upstream in list(self._pairs):
            for writer in (client, upstream):
                with contextlib.suppress(Exception):
                    sock = writer.get_extra_info("socket")
                    if sock is not None:  # RST rather than FIN
                        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
                    writer.close()
        self._pairs.clear()

    async def _serve(self, client_r: asyncio.StreamReader, client_w: asyncio.StreamWriter) -> None:
        if self.mode == "reset":
            client_w.close()
            return
        try:
            up_r, up_w = await asyncio.open_connection(*self.upstream)
        except OSError:
            client_w.close()
            return
        pair = (client_w, up_w)
        self._pairs.add(pair)
        await asyncio.gather(self._pipe(client_r, up_w), self._pipe(up_r, client_w), return_exceptions=True)
        self._pairs.discard(pair)
        for w in pair:
            with contextlib.suppress(Exception):
                w.close()

    async def _pipe(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(ConnectionError, OSError):  # a dropped connection ends the pipe, as on a real network
            while True:
                data = await reader.read(65536)
                if not data:
                    break
                await self._flowing.wait()  # blackhole: hold the bytes, the other side sees a silent network
                if self.mode == "latency" and self.latency:
                    await asyncio.sleep(self.latency)
                writer.write(data)
                await writer.drain()
        writer.close()


class ProxyThread:
    """A FaultProxy on an event loop of its own, in a thread: the traffic it carries never waits
    for the test or script that controls it (which may block on a database query or a sleep)."""

    def __init__(self, upstream_port: int, *, port: int = 0):
        import threading

        self.proxy = FaultProxy(upstream_port, port=port)
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="fault-proxy", daemon=True)

    @property
    def port(self) -> int:
        return self.proxy.port

    @property
    def mode(self) -> Mode:
        return self.proxy.mode

    def start(self) -> ProxyThread:
        self._thread.start()
        self._call(self.proxy.start())
        return self

    def set(self, mode: Mode, *, latency: float = 0.0) -> None:
        self._call(self.proxy.set(mode, latency=latency))

    def stop(self) -> None:
        if self._thread.is_alive():
            self._call(self.proxy.stop())
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(timeout=5)

    def _call(self, coro: Any) -> Any:
        return asyncio.run_coroutine_threadsafe(coro, self._loop).result(timeout=10)


def database_port(url: str) -> int:
    return urlsplit(url).port or 5432


def through_proxy(url: str, proxy_port: int) -> str:
    """The same database URL, pointed at a fault proxy on loopback."""
    parts = urlsplit(url)
    return url.replace(f"{parts.hostname}:{parts.port}", f"127.0.0.1:{proxy_port}", 1)
