"""The fault proxy itself does what each mode says."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

import pytest

from tests.faults.proxy import FaultProxy


@pytest.fixture()
async def echo() -> AsyncIterator[int]:
    async def serve(r: asyncio.StreamReader, w: asyncio.StreamWriter) -> None:
        while data := await r.read(1024):
            w.write(data)
            await w.drain()
        w.close()

    server = await asyncio.start_server(serve, "127.0.0.1", 0)
    yield server.sockets[0].getsockname()[1]
    server.close()


async def roundtrip(port: int, timeout: float = 1.0) -> bytes:
    r, w = await asyncio.open_connection("127.0.0.1", port)
    w.write(b"ping")
    await w.drain()
    try:
        return await asyncio.wait_for(r.read(4), timeout)
    finally:
        w.close()


async def test_modes(echo: int) -> None:
    proxy = FaultProxy(echo)
    await proxy.start()
    try:
        assert await roundtrip(proxy.port) == b"ping"
        await proxy.set("latency", latency=0.3)
        started = time.monotonic()
        assert await roundtrip(proxy.port) == b"ping"
        assert time.monotonic() - started >= 0.3
        await proxy.set("blackhole")
        with pytest.raises(TimeoutError):
            await roundtrip(proxy.port, timeout=0.5)
        await proxy.set("refuse")
        with pytest.raises(OSError):
            await roundtrip(proxy.port)
        await proxy.set("pass")
        assert await roundtrip(proxy.port) == b"ping"
        r, w = await asyncio.open_connection("127.0.0.1", proxy.port)
        await asyncio.sleep(0.2)  # the proxy has paired it with an upstream connection
        await proxy.set("reset")
        w.write(b"ping")
        with pytest.raises((ConnectionError, AssertionError)):
            assert await asyncio.wait_for(r.read(4), 1.0) != b""  # dropped: nothing comes back
    finally:
        await proxy.stop()
