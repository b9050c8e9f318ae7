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
import re
import traceback
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Literal

import uvloop

from supplier_pipeline.lib.extraction.layers import layered_fields
from supplier_pipeline.lib.scraping.browser import Browser
from supplier_pipeline.lib.scraping.feed import json_api_records, map_columns, price_list_records
from supplier_pipeline.lib.scraping.fetch import CircuitOpen, Fetcher, FetchFailed
from supplier_pipeline.lib.scraping.identity import KnownSkus, key_codeless
from supplier_pipeline.lib.scraping.listing import (
    Listed,
    ListingReader,
    PageGetter,
    mark_parse_error,
)
from supplier_pipeline.lib.scraping.observe import observation
from supplier_pipeline.lib.scraping.records import Fetch, Observation, Outcome
from supplier_pipeline.lib.scraping.safety import redact_text
from supplier_pipeline.lib.scraping.session import CookieStore, LoginFailed, Session, SessionLost
from supplier_pipeline.lib.scraping.sitemap import sitemap_urls
from supplier_pipeline.lib.scraping.variants import variation_fields, variations
from supplier_pipeline.lib.suppliers.config import SupplierConfig

Mode = Literal["prices", "catalog"]
# "10,00 € – 15,00 €": a variable product's listing row
PRICE_RANGE = re.compile(r"\d\s*(?:[€$£]|EUR)?\s*[–—-]\s*(?:[€$£]|EUR)?\s*\d")

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

    def __repr__(self) -> str:
        """Counts, not thousands of offers: asyncio.Runner formats the main task, result
        included, whenever it checks the SIGINT handler at the end of a run (half a second of
        CPU for a 2,000-offer scrape with the full repr)."""
        return (f"ScrapeResult({self.supplier_id!r}, {self.mode!r}, "
                f"{len(self.observations)} observations, {len(self.fetches)} fetches, "
                f"error={self.error!r})")


def _in_flight(config: SupplierConfig) -> int:
    """Pages being worked on at once: twice the connections, so that a freed connection
    finds its next request already prepared."""
    return 2 * config.politeness.concurrency


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
        if engine == "browser":
            return await fetcher.render(browser, url, wait_for)
        fetcher.refuse_unless_allowed(url)
        response = await (session.get(url) if session else fetcher.get(url))
        return response.text

    return get


def _needs_product_page(config: SupplierConfig, mode: Mode, listed: Listed) -> bool:
    """A catalogue sync reads every product page; a prices scrape only those whose listing
    row cannot stand as the offer: a sitemap's bare URL, a row without a price, or a price
    range (a variable product, whose variations only its page shows)."""
    if not (config.product and listed.url):
        return False
    if mode == "catalog" or not listed.rules:
        return True
    price = listed.texts(["price"])[0].get("price") if "price" in listed.rules else None
    return not price or bool(PRICE_RANGE.search(price))


async def _product_page(config: SupplierConfig, get: PageGetter, listed: Listed,
                        observed_at: datetime, fetches: list[Fetch]) -> list[Observation]:
    """The offers of one product page (one per variation of a variable product); listing
    values fill what a page lacks. A page that cannot be read leaves the listing's offer,
    but a session found lost for good ends the run (SessionLost)."""
    try:
        html = await get(listed.url)
    except SessionLost:
        raise
    except FetchFailed as exc:
        return [_from_listing(config, listed, observed_at, f"product page: {exc.outcome.value}")]
    if html is None:
        return [_from_listing(config, listed, observed_at, "product page could not be rendered")]
    try:
        fields, sources = layered_fields(html, config.product.fields, config.price.locale,
                                         listed.url)
        fallback, fallback_sources = listed.texts(n for n in listed.rules if n not in fields)
        fields, sources = {**fallback, **fields}, {**fallback_sources, **sources}
        found = variations(html)
        offers = variation_fields(fields, sources, found) if found else [(fields, sources)]
        return [observation(config, f, observed_at, listed.url, s) for f, s in offers]
    except Exception as exc:  # one page that defeats the extractor is not a failed run
        mark_parse_error(fetches, listed.url)
        return [_from_listing(config, listed, observed_at,
                              f"product page: parse_error ({type(exc).__name__})")]


async def _offers(config: SupplierConfig, mode: Mode, fetcher: Fetcher,
                  listing_get: PageGetter, product_get: PageGetter,
                  observed_at: datetime) -> list[Observation]:
    """Listings and sitemaps read side by side, each product's page started as soon as its
    link is known, results in the order the products were found."""
    results: list[list[Observation]] = []
    queue: asyncio.Queue[tuple[int, Listed] | None] = asyncio.Queue()
    workers = _in_flight(config)

    def found(listed: Listed) -> None:
        results.append([])
        if _needs_product_page(config, mode, listed):
            queue.put_nowait((len(results) - 1, listed))
        else:
            results[-1] = [_from_listing(config, listed, observed_at)]

    reader = ListingReader(config, listing_get, fetcher.log, found, workers, fetcher.hosts)

    async def from_sitemaps() -> None:
        rules = config.listing
        if not (rules.sitemap or rules.sitemaps_from_robots):
            return
        if not config.product:
            raise FetchFailed(Outcome.PARSE_ERROR, config.base_url, "listing.sitemap gives "
                              "product URLs only: add a `product` section")
        maps = [config.url(u) for u in rules.sitemap]
        if rules.sitemaps_from_robots:
            named = await fetcher.robots_sitemaps(config.base_url)
            if not named:
                raise FetchFailed(Outcome.PARSE_ERROR, config.url("/robots.txt"),
                                  "robots.txt names no sitemap (listing.sitemaps_from_robots)")
            maps += named

        async def get_bytes(url: str) -> bytes:
            return (await fetcher.get(url)).content

        urls = await sitemap_urls(list(dict.fromkeys(maps)), get_bytes, fetcher.hosts,
                                  int(config.limits.max_body_mb * 1e6), rules.sitemap_match)
        reader.hand_on([Listed.from_url(url) for url in urls])

    async def read_sources() -> None:
        try:
            await asyncio.gather(reader.read_all(), from_sitemaps())
        finally:
            for _ in range(workers):
                queue.put_nowait(None)

    async def work() -> None:
        while (job := await queue.get()) is not None:
            index, listed = job
            results[index] = await _product_page(config, product_get, listed, observed_at,
                                                 fetcher.log)

    try:
        async with asyncio.TaskGroup() as group:
            for _ in range(workers):
                group.create_task(work())
            group.create_task(read_sources())
    except ExceptionGroup as failed:  # the run's reason is the first failure, as raised
        raise failed.exceptions[0] from None
    return [o for offers in results for o in offers]


def _one_per_offer(observations: list[Observation]) -> list[Observation]:
    """A product listed in several categories under different URLs, once: the same SKU at the
    same price and stock. The same SKU with different values stays twice, for the gate."""
    seen: set[tuple] = set()
    kept = []
    for o in observations:
        key = (o.supplier_sku, o.price_net, o.stock_state, o.stock_qty)
        if o.supplier_sku and key in seen:
            continue
        seen.add(key)
        kept.append(o)
    return kept


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
        product_get = _page_getter(config, config.product.engine if config.product else "http",
                                   fetcher, session, browser,
                                   config.product.wait_for if config.product else None)
        observations = await _offers(config, mode, fetcher, listing_get, product_get,
                                     observed_at)
    finally:
        if browser:
            await browser.__aexit__(None, None, None)
    known = KnownSkus(config.id)
    key_codeless(observations, known.load())
    if mode == "catalog":
        known.learn(observations)
    return _one_per_offer(observations)


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
