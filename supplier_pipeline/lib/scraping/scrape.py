"""Scrape one supplier: prices and stock from listings or feeds, or the full catalogue with
product details. Returns every observation and every fetch; a fatal problem (login refused,
circuit breaker, a listing page that cannot be read) ends the run with `error` set. Nothing
raised inside a scrape escapes it: an unexpected error is the run's `error` too, so that the
partition is still recorded as failed, with its reason.
"""

from __future__ import annotations

import asyncio
import gc
import importlib
import logging
import os
import traceback
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Literal, TypeVar
from urllib.parse import urljoin

import httpx
import uvloop
from parsel import Selector

from supplier_pipeline.lib.extraction.layers import layered_fields
from supplier_pipeline.lib.scraping.browser import Browser
from supplier_pipeline.lib.scraping.extract import extract_field, extract_fields, first_match
from supplier_pipeline.lib.scraping.feed import json_api_records, map_columns, price_list_records
from supplier_pipeline.lib.scraping.fetch import CircuitOpen, Fetcher, FetchFailed
from supplier_pipeline.lib.scraping.observe import observation
from supplier_pipeline.lib.scraping.records import Fetch, Observation, Outcome
from supplier_pipeline.lib.scraping.safety import redact_text, redact_url
from supplier_pipeline.lib.scraping.session import CookieStore, LoginFailed, Session
from supplier_pipeline.lib.suppliers.config import FieldRule, SupplierConfig

Mode = Literal["prices", "catalog"]
MAX_LISTING_PAGES = 2000

log = logging.getLogger(__name__)


@dataclass
class ScrapeResult:
    supplier_id: str
    mode: Mode
    observations: list[Observation] = field(default_factory=list)
    fetches: list[Fetch] = field(default_factory=list)
    error: str | None = None
    error_outcome: Outcome | None = None

    def outcome_counts(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for fetch in self.fetches:
            counts[fetch.outcome.value] = counts.get(fetch.outcome.value, 0) + 1
        return counts


PageGetter = Callable[[str], Awaitable[str | None]]
T = TypeVar("T")
R = TypeVar("R")


def _in_flight(config: SupplierConfig) -> int:
    """Pages being worked on at once: twice the connections, so that a freed connection
    finds its next request already prepared."""
    return 2 * config.politeness.concurrency


async def _map_bounded(fn: Callable[[T], Awaitable[R]], items: list[T], limit: int) -> list[R]:
    """`fn` over every item, in order, at most `limit` at a time. Starting all of them at
    once would run every item's work up to its first wait for a connection slot in a single
    turn of the event loop: half a second for 2,000 product pages, with every connection
    idle meanwhile."""
    results: list[R] = [None] * len(items)  # type: ignore[list-item]
    queue = iter(enumerate(items))

    async def worker() -> None:
        for index, item in queue:
            results[index] = await fn(item)

    await asyncio.gather(*(worker() for _ in range(min(limit, len(items)))))
    return results


@dataclass
class Listed:
    """One offer on a listing page: its product link, and its texts read when needed. A
    catalogue sync reads from the listing only what the product page lacks."""

    item: Selector
    rules: dict[str, FieldRule]
    url: str | None

    def texts(self, names: Iterable[str] | None = None
              ) -> tuple[dict[str, str | None], dict[str, str]]:
        """(values, sources) of the listing fields `names` (all of them by default)."""
        rules = self.rules if names is None else {n: self.rules[n] for n in names}
        found = extract_fields(self.item, rules)
        return ({k: v.value for k, v in found.items()},
                {k: f"selector {v.matched}" for k, v in found.items() if v.matched})


def _from_listing(config: SupplierConfig, listed: Listed, observed_at: datetime,
                  problem: str | None = None) -> Observation:
    """The offer as its listing row tells it (with why its product page did not, if so)."""
    fields, sources = listed.texts()
    obs = observation(config, fields, observed_at, listed.url, sources)
    if problem:
        obs.problems.append(problem)
    return obs


def _page_getter(config: SupplierConfig, engine: str, fetcher: Fetcher,
                 session: Session | None, browser: Browser | None,
                 wait_for: str | None) -> PageGetter:
    async def get(url: str) -> str | None:
        fetcher.refuse_unless_allowed(url)
        if engine == "browser":
            html = await browser.render(url, wait_for, fetcher.log)
            if html is None and fetcher.log[-1].outcome is Outcome.BLOCKED:
                fetcher.note_block()
            return html
        response = await (session.get(url) if session else fetcher.get(url))
        return response.text

    return get


async def _listing_page(config: SupplierConfig, get: PageGetter, url: str,
                        fetches: list[Fetch]) -> tuple[list[Listed], Selector]:
    """One listing page's offers (and the parsed page, for its paging links)."""
    rules = config.listing
    html = await get(url)
    if html is None:
        raise FetchFailed(fetches[-1].outcome, url, "listing page could not be rendered")
    page = Selector(text=html)
    items = page.css(rules.item)
    if not items:
        _mark_parse_error(fetches, url)
        raise FetchFailed(Outcome.PARSE_ERROR, url,
                          f"no products match {rules.item!r}: has the layout changed?")
    offers = []
    for item in items:
        link = first_match(item, rules.product_link) if rules.product_link else None
        offers.append(Listed(item, rules.fields, urljoin(url, link) if link else None))
    return offers, page


def _page_count(page: Selector, rule: FieldRule) -> int | None:
    value = extract_field(page, rule).value
    return int(value) if value and value.isdigit() else None


async def _listing(config: SupplierConfig, get: PageGetter,
                   fetches: list[Fetch]) -> list[Listed]:
    """Every listing page: all at once when the first page tells how many there are,
    otherwise by following the next-page links."""
    rules = config.listing
    url: str | None = config.url(rules.start_path)
    offers, page = await _listing_page(config, get, url, fetches)
    pages = _page_count(page, rules.page_count) if rules.page_count else None
    if pages and pages > MAX_LISTING_PAGES:
        _mark_parse_error(fetches, url)
        raise FetchFailed(Outcome.PARSE_ERROR, url, f"the page count reads {pages}, more than "
                          f"{MAX_LISTING_PAGES} listing pages: is the page_count rule right?")
    if pages and rules.page_url:
        urls = [config.url(rules.page_url.format(page=n)) for n in range(2, pages + 1)]
        rest = await _map_bounded(lambda u: _listing_page(config, get, u, fetches), urls,
                                  _in_flight(config))
        return offers + [o for found, _ in rest for o in found]
    seen = {url}
    while len(seen) < MAX_LISTING_PAGES:
        following = first_match(page, rules.next_page) if rules.next_page else None
        url = urljoin(url, following) if following else None
        if not url or url in seen:
            break
        seen.add(url)
        found, page = await _listing_page(config, get, url, fetches)
        offers += found
    return offers


def _mark_parse_error(fetches: list[Fetch], url: str) -> None:
    """The latest fetch of `url` becomes a parse error in the fetch log."""
    logged = {redact_url(url), redact_url(str(httpx.URL(url)))}  # as the fetcher logs it
    for fetch in reversed(fetches):
        if fetch.url in logged:
            fetch.outcome = Outcome.PARSE_ERROR
            break


async def _product_details(config: SupplierConfig, get: PageGetter, listing: list[Listed],
                           observed_at: datetime, fetches: list[Fetch]) -> list[Observation]:
    """Fetch every product page concurrently; listing values fill what a page lacks."""
    rules = config.product

    async def one(listed: Listed) -> Observation:
        if not listed.url:
            return _from_listing(config, listed, observed_at)
        try:
            html = await get(listed.url)
        except FetchFailed as exc:
            return _from_listing(config, listed, observed_at,
                                 f"product page: {exc.outcome.value}")
        if html is None:
            return _from_listing(config, listed, observed_at,
                                 "product page could not be rendered")
        try:
            fields, sources = layered_fields(html, rules.fields, config.price.locale,
                                             listed.url)
            fallback, fallback_sources = listed.texts(n for n in listed.rules
                                                      if n not in fields)
            return observation(config, {**fallback, **fields}, observed_at, listed.url,
                               {**fallback_sources, **sources})
        except Exception as exc:  # one page that defeats the extractor is not a failed run
            _mark_parse_error(fetches, listed.url)
            return _from_listing(config, listed, observed_at,
                                 f"product page: parse_error ({type(exc).__name__})")

    return await _map_bounded(one, listing, _in_flight(config))


async def _scrape_html(config: SupplierConfig, mode: Mode, fetcher: Fetcher,
                       environ: dict[str, str], observed_at: datetime,
                       store: CookieStore) -> list[Observation]:
    session = None
    if config.login:
        session = Session(fetcher, config.login, config.base_url, environ, store)
        await session.start()
    engines = {config.listing.engine, config.product.engine if config.product else "http"}
    browser = None
    if "browser" in engines:
        browser = Browser(config.id, fetcher.user_agent, config.politeness.timeout_seconds,
                          fetcher.hosts)
        await browser.__aenter__()
    try:
        if browser and session:
            await browser.add_cookies(config.base_url, fetcher.cookie_values())
        listing_get = _page_getter(config, config.listing.engine, fetcher, session, browser,
                                   config.listing.wait_for)
        listing = await _listing(config, listing_get, fetcher.log)
        if mode == "catalog" and config.product:
            product_get = _page_getter(config, config.product.engine, fetcher, session, browser,
                                       config.product.wait_for)
            return await _product_details(config, product_get, listing, observed_at,
                                          fetcher.log)
        return [_from_listing(config, listed, observed_at) for listed in listing]
    finally:
        if browser:
            await browser.__aexit__(None, None, None)


async def _scrape_feed(config: SupplierConfig, fetcher: Fetcher, environ: dict[str, str],
                       observed_at: datetime) -> list[Observation]:
    feed = config.feed
    if feed.kind == "json_api":
        records = await json_api_records(config, fetcher, environ)
    else:
        records = await price_list_records(config, fetcher, environ)
    return [observation(config, map_columns(r, feed.columns), observed_at) for r in records]


async def scrape_async(config: SupplierConfig, mode: Mode = "prices",
                       environ: dict[str, str] | None = None,
                       observed_at: datetime | None = None,
                       store: CookieStore | None = None,
                       backoff_base: float = 0.5) -> ScrapeResult:
    environ = dict(os.environ) if environ is None else environ
    observed_at = observed_at or datetime.now(UTC)
    result = ScrapeResult(config.id, mode)
    try:
        async with Fetcher.for_supplier(config, backoff_base) as fetcher:
            result.fetches = fetcher.log
            if config.engine == "feed":
                result.observations = await _scrape_feed(config, fetcher, environ, observed_at)
            else:
                result.observations = await _scrape_html(
                    config, mode, fetcher, environ, observed_at, store or CookieStore(config.id))
        if config.hook and result.observations:
            result.observations = apply_hook(config.hook, result.observations)
    except LoginFailed as exc:
        result.error, result.error_outcome = redact_text(str(exc)), Outcome.LOGIN_FAILED
    except CircuitOpen as exc:
        result.error, result.error_outcome = str(exc), Outcome.BLOCKED
    except FetchFailed as exc:
        result.error, result.error_outcome = str(exc), exc.outcome
    except Exception as exc:  # a bug or a surprise still ends as a failed run with its reason
        result.error = redact_text(f"unexpected {type(exc).__name__}: {exc}")
        result.observations = []
        log.error("%s: scrape failed: %s", config.id,
                  redact_text("".join(traceback.format_exception(exc))))
    return result


def apply_hook(module_name: str, observations: list[Observation]) -> list[Observation]:
    transform = getattr(importlib.import_module(module_name), "transform", None)
    if transform is None:
        return observations
    return [changed for o in observations if (changed := transform(o)) is not None]


def scrape(config: SupplierConfig, mode: Mode = "prices", **kwargs: object) -> ScrapeResult:
    """Synchronous entry point for Dagster assets and the command line."""
    # uvloop's event loop spends far less CPU per request than asyncio's own.
    # During the run, what existed before it (modules, Dagster) is out of the collector's
    # way: a collection pauses every request in flight (about 1 % of ideal at concurrency 8).
    # Unfrozen after, so that a long-lived process still collects it.
    gc.freeze()
    try:
        with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
            return runner.run(scrape_async(config, mode, **kwargs))
    finally:
        gc.unfreeze()
