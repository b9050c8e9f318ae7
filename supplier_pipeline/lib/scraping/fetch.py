"""Polite HTTP fetching: robots.txt, rate limit, concurrency, retries that honour Retry-After,
a circuit breaker, and one fetch-log row for every request made. Requests go to the supplier's
hosts only, within its limits (`transport.exchange`), and the log holds redacted URLs.
"""

from __future__ import annotations

import asyncio
import itertools
import math
import random
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import TYPE_CHECKING
from urllib.parse import urlsplit
from urllib.robotparser import RobotFileParser

import aiohttp
import httpx
from yarl import URL

from supplier_pipeline.lib.scraping.records import Fetch, Outcome
from supplier_pipeline.lib.scraping.safety import SupplierHosts, host_of, redact_text, redact_url
from supplier_pipeline.lib.scraping.transport import ACCEPT_ENCODING, exchange, transport_outcome
from supplier_pipeline.lib.suppliers.config import Limits, Politeness, SupplierConfig

if TYPE_CHECKING:  # the browser module loads Playwright's support only when it renders
    from supplier_pipeline.lib.scraping.browser import Browser

USER_AGENT = "supplier-pipeline/0.1 (+price monitoring for a repair shop; contact: {contact})"
MAX_RETRY_AFTER_SECONDS = 120.0
CONNECTIONS_PER_CLIENT = 8
RETRYABLE = {Outcome.RATE_LIMITED, Outcome.TIMEOUT, Outcome.HTTP_ERROR}  # not refusals


class CircuitOpen(RuntimeError):
    """The supplier blocked us repeatedly: stop this run instead of hammering it."""


class FetchFailed(RuntimeError):
    def __init__(self, outcome: Outcome, url: str, detail: str):
        super().__init__(redact_text(f"{outcome.value}: {url}: {detail}"))
        self.outcome = outcome


def outcome_of(status: int) -> Outcome:
    if status < 400:
        return Outcome.OK
    if status == 404 or status == 410:
        return Outcome.NOT_FOUND
    if status == 429:
        return Outcome.RATE_LIMITED
    if status in (401, 403):
        return Outcome.BLOCKED
    return Outcome.HTTP_ERROR


def retry_after_seconds(response: httpx.Response) -> float | None:
    value = response.headers.get("retry-after")
    if not value:
        return None
    try:
        return min(float(value), MAX_RETRY_AFTER_SECONDS)
    except ValueError:
        try:
            delta = (parsedate_to_datetime(value) - datetime.now(UTC)).total_seconds()
        except (TypeError, ValueError):
            return None
        return min(max(delta, 0.0), MAX_RETRY_AFTER_SECONDS)


class RateLimiter:
    """Spaces request starts at least 1/rate seconds apart."""

    def __init__(self, per_second: float):
        self.interval = 1.0 / per_second
        self.next_slot = 0.0
        self.lock = asyncio.Lock()

    async def wait(self) -> None:
        async with self.lock:
            now = time.monotonic()
            delay = self.next_slot - now
            self.next_slot = max(now, self.next_slot) + self.interval
        if delay > 0:
            await asyncio.sleep(delay)


class Fetcher:
    """Fetches one supplier's URLs politely and records every attempt in `log`. `hosts`
    None (tools and tests) lets requests go to any host; a scrape passes the supplier's."""

    def __init__(self, supplier_id: str, politeness: Politeness, contact: str | None = None,
                 backoff_base: float = 0.5, limits: Limits | None = None,
                 hosts: SupplierHosts | None = None):
        self.supplier_id = supplier_id
        self.politeness = politeness
        self.limits = limits or Limits()
        self.hosts = hosts
        self.log: list[Fetch] = []
        self.blocks = 0
        self.backoff_base = backoff_base
        self.limiter = RateLimiter(politeness.rate_limit_per_second)
        self.slots = asyncio.Semaphore(politeness.concurrency)
        self.robots: dict[str, asyncio.Future[RobotFileParser | None]] = {}
        self.user_agent = USER_AGENT.format(contact=contact or "not configured")
        # One jar for every session: a login on any connection is a login for all of them.
        # unsafe: cookies from IP-address hosts too (the demo shops, intranet suppliers).
        self.jar = aiohttp.CookieJar(unsafe=True)
        # Several small connection pools: one large pool slows down as it grows.
        self.shards = math.ceil(politeness.concurrency / CONNECTIONS_PER_CLIENT)
        self.sessions: list[aiohttp.ClientSession] = []  # opened at the first request
        self._rotation: Iterator[aiohttp.ClientSession] = iter(())

    def _session(self) -> aiohttp.ClientSession:
        """The next connection pool in turn (aiohttp opens them inside the event loop)."""
        if not self.sessions:
            per_client = math.ceil(self.politeness.concurrency / self.shards)
            wait = self.politeness.timeout_seconds
            self.sessions = [aiohttp.ClientSession(
                # TLS verified with aiohttp's one default context, built when aiohttp is
                # imported: building one loads the CA store, 80-190 ms of CPU
                connector=aiohttp.TCPConnector(limit=per_client, limit_per_host=per_client),
                cookie_jar=self.jar,
                headers={"User-Agent": self.user_agent, "Accept-Language": "it,en;q=0.8",
                         "Accept-Encoding": ACCEPT_ENCODING},
                # each connect, read and wait for a connection; `exchange` bounds the whole
                timeout=aiohttp.ClientTimeout(total=None, connect=wait, sock_connect=wait,
                                              sock_read=wait),
                auto_decompress=False)  # `exchange` decodes, counting what it unpacks
                for _ in range(self.shards)]
            self._rotation = itertools.cycle(self.sessions)
        return next(self._rotation)

    @classmethod
    def for_supplier(cls, config: SupplierConfig, backoff_base: float = 0.5) -> Fetcher:
        return cls(config.id, config.politeness, config.contact, backoff_base, config.limits,
                   SupplierHosts(config.base_url, config.allowed_hosts))

    async def __aenter__(self) -> Fetcher:
        return self

    async def __aexit__(self, *exc: object) -> None:
        for session in self.sessions:
            await session.close()

    def cookie(self, name: str) -> str | None:
        return next((m.value for m in self.jar if m.key == name), None)

    def cookie_values(self) -> dict[str, str]:
        return {m.key: m.value for m in self.jar}

    def set_cookies(self, values: dict[str, str], url: str) -> None:
        """Cookies for `url`'s host only, as if its server had set them."""
        self.jar.update_cookies(values, URL(url))

    def clear_cookies(self) -> None:
        self.jar.clear()

    def record(self, url: str, outcome: Outcome, status: int | None, started: float,
               size: int, attempt: int, error: str | None = None) -> None:
        self.log.append(Fetch(self.supplier_id, redact_url(url), outcome, status,
                              round((time.monotonic() - started) * 1000, 1), size, attempt,
                              datetime.now(UTC), redact_text(error) if error else None))

    def refuse_unless_allowed(self, url: str) -> None:
        """Raise FetchFailed (and log an `off_site` row) when `url` is not on the supplier's
        hosts: a link or a form on a shop's page may point anywhere."""
        if self.hosts is None or self.hosts.allows(url):
            return
        detail = (f"{host_of(url)!r} is not one of the supplier's hosts ({self.hosts}); "
                  "list it in allowed_hosts if it is theirs")
        self.record(url, Outcome.OFF_SITE, None, time.monotonic(), 0, 0, detail)
        raise FetchFailed(Outcome.OFF_SITE, url, detail)

    def note_block(self) -> None:
        """Count a block; enough of them open the circuit for the rest of the run."""
        self.blocks += 1
        if self.blocks >= self.politeness.circuit_breaker_blocks:
            raise CircuitOpen(f"{self.supplier_id}: blocked {self.blocks} times; "
                              "stopping this run")

    async def allowed(self, url: str) -> bool:
        if not self.politeness.respect_robots:
            return True
        parser = await self._robots_of(url)
        return parser is None or parser.can_fetch(self.user_agent, url)

    async def robots_sitemaps(self, url: str) -> list[str]:
        """The sitemaps the robots.txt of `url`'s origin names (`Sitemap:` lines)."""
        parser = await self._robots_of(url)
        return list((parser.site_maps() or []) if parser else [])

    async def _robots_of(self, url: str) -> RobotFileParser | None:
        parts = urlsplit(url)
        origin = f"{parts.scheme}://{parts.netloc}"
        if origin not in self.robots:
            # One read per origin, shared by every request that arrives while it is running.
            self.robots[origin] = asyncio.ensure_future(self._read_robots(origin))
        return await self.robots[origin]

    async def _read_robots(self, origin: str) -> RobotFileParser | None:
        """The origin's robots.txt; None (everything allowed) when it has none."""
        try:
            response = await exchange(self._session(), "GET", httpx.URL(origin + "/robots.txt"),
                                      self.limits, self.hosts)
        except Exception:  # no readable robots.txt, whatever the reason, forbids nothing
            return None
        if response.status_code >= 400:
            return None
        parser = RobotFileParser()
        parser.parse(response.text.splitlines())
        return parser

    async def _refuse_unless_permitted(self, url: str) -> None:
        """Raise FetchFailed (logged) for a URL off the supplier's hosts or denied by robots."""
        self.refuse_unless_allowed(url)
        if not await self.allowed(url):
            self.record(url, Outcome.ROBOTS_DISALLOWED, None, time.monotonic(), 0, 0)
            raise FetchFailed(Outcome.ROBOTS_DISALLOWED, url, "disallowed by robots.txt")

    async def request(self, method: str, url: str, params: dict[str, str | int] | None = None,
                      data: dict[str, str] | None = None,
                      headers: dict[str, str] | None = None) -> httpx.Response:
        """One logical request with retries; raises FetchFailed when it finally fails.

        A 429 that says when to come back (Retry-After) is waited out without using up a
        retry: the shop paced us, the request did not fail (counted, they took retries that
        a shop failing now and then also needed, and pages were lost). At most
        `max_retries + 1` of them, so that a shop answering 429 for ever still ends it."""
        await self._refuse_unless_permitted(url)
        # Built before taking a slot: a slot is a connection the shop is serving, not one
        # waiting for us to assemble the request.
        target = httpx.URL(url, params=params) if params else httpx.URL(url)
        attempt = failures = paced = 0
        while True:
            attempt += 1
            wait = None
            async with self.slots:
                # Spaced when they really start: a start reserved before waiting for a slot
                # could bunch up with others when slots free together.
                await self.limiter.wait()
                started = time.monotonic()  # the request's own time, not its wait for a slot
                try:
                    response = await exchange(self._session(), method, target, self.limits,
                                              self.hosts, data, headers)
                # Whatever the transport raises (httpx, aiohttp, the socket, a refusal) is this
                # request's outcome, never an exception that ends the supplier's run unlogged.
                except Exception as exc:
                    (outcome, detail), response = transport_outcome(exc), None
                else:
                    outcome, detail = outcome_of(response.status_code), None
            # Let the request that was waiting for this slot go out before the caller
            # spends CPU on this response.
            await asyncio.sleep(0)
            status = response.status_code if response is not None else None
            size = len(response.content) if response is not None else 0
            self.record(str(target), outcome, status, started, size, attempt, detail)
            if outcome is Outcome.OK:
                return response
            if outcome is Outcome.BLOCKED:
                self.note_block()
            if response is not None and outcome is Outcome.RATE_LIMITED:
                wait = retry_after_seconds(response)
            if wait is not None and paced <= self.politeness.max_retries:
                paced += 1
            else:
                failures += 1
                if outcome not in RETRYABLE or failures > self.politeness.max_retries:
                    raise FetchFailed(outcome, url, detail or f"HTTP {status}")
            if wait is None:
                wait = self.backoff_base * 2 ** (failures - 1) * (0.5 + random.random())
            await asyncio.sleep(wait)

    async def get(self, url: str, params: dict[str, str | int] | None = None,
                  headers: dict[str, str] | None = None) -> httpx.Response:
        return await self.request("GET", url, params=params, headers=headers)

    async def render(self, browser: Browser, url: str, wait_for: str | None) -> str | None:
        """A page rendered in the browser, under the same rules as every request: the
        supplier's hosts, robots.txt, the rate limit, the connection slots, retries with
        backoff and the circuit breaker. None when it finally fails (the attempts are logged)."""
        await self._refuse_unless_permitted(url)
        attempts = self.politeness.max_retries + 1
        for attempt in range(1, attempts + 1):
            async with self.slots:
                await self.limiter.wait()
                html = await browser.render(url, wait_for, self.log, attempt)
            outcome = self.log[-1].outcome
            if outcome is Outcome.BLOCKED:
                self.note_block()
            if html is not None or outcome not in RETRYABLE or attempt == attempts:
                return html
            await asyncio.sleep(self.backoff_base * 2 ** (attempt - 1) * (0.5 + random.random()))
        raise AssertionError("unreachable")
