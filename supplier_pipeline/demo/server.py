"""Run demo shops on 127.0.0.1, with optional latency and injected faults."""

from __future__ import annotations

import asyncio
import random
import socket
import threading
import time
from dataclasses import dataclass, field

import uvicorn
from starlette.responses import PlainTextResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send


@dataclass
class Faults:
    """Share of requests that fail in each way, drawn from a seeded generator."""

    server_error: float = 0.0  # HTTP 500
    rate_limited: float = 0.0  # HTTP 429 with Retry-After
    slow: float = 0.0  # answered after `slow_seconds`
    blocked: float = 0.0  # HTTP 403, as a bot wall answers
    slow_seconds: float = 1.0
    retry_after_seconds: int = 1
    seed: int = 1
    _rng: random.Random = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._rng = random.Random(self.seed)

    def draw(self) -> str | None:
        r = self._rng.random()
        for kind, share in (("server_error", self.server_error),
                            ("rate_limited", self.rate_limited), ("slow", self.slow),
                            ("blocked", self.blocked)):
            if r < share:
                return kind
            r -= share
        return None


class Conditions:
    """ASGI middleware: network latency and faults in front of a shop (robots.txt is spared)."""

    def __init__(self, app: ASGIApp, latency_ms: float = 0.0, faults: Faults | None = None):
        self.app = app
        self.latency_ms = latency_ms
        self.faults = faults or Faults()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if self.latency_ms:
            send = self._answer_after(self.latency_ms / 1000, send)
        fault = None if scope["path"] == "/robots.txt" else self.faults.draw()
        if fault == "server_error":
            await PlainTextResponse("Internal Server Error", 500)(scope, receive, send)
            return
        if fault == "rate_limited":
            headers = {"Retry-After": str(self.faults.retry_after_seconds)}
            await PlainTextResponse("Too Many Requests", 429, headers)(scope, receive, send)
            return
        if fault == "blocked":
            await PlainTextResponse("Access denied", 403)(scope, receive, send)
            return
        if fault == "slow":
            await asyncio.sleep(self.faults.slow_seconds)
        await self.app(scope, receive, send)

    @staticmethod
    def _answer_after(seconds: float, send: Send) -> Send:
        """The response leaves `seconds` after the request arrived, the shop's own work
        included, as over a network with that round trip (a busy shop can still be slower)."""
        loop = asyncio.get_running_loop()
        due = loop.time() + seconds

        async def delayed(message: Message) -> None:
            if message["type"] == "http.response.start" and (wait := due - loop.time()) > 0:
                await asyncio.sleep(wait)
            await send(message)

        return delayed


class BackgroundServer:
    """A uvicorn server in a daemon thread, on a given or a free port of 127.0.0.1."""

    def __init__(self, app: ASGIApp, port: int = 0):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", port))
        self.port = self.sock.getsockname()[1]
        config = uvicorn.Config(app, log_level="warning", lifespan="off", access_log=False,
                                backlog=512, timeout_keep_alive=30)
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, kwargs={"sockets": [self.sock]},
                                       daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> BackgroundServer:
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError(f"demo server on port {self.port} did not start")
            time.sleep(0.01)
        return self

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=5)
        self.sock.close()
