"""Listing pages: every start path of a supplier read side by side, each product handed on
as soon as its page is read (so that product pages start while the listing is still being
read), and a product shown in several listings handed on once.

A listing's page count comes from a configured `page_count`, else from the pager's total
("Mostrando 1-24 di 440 articoli", "Showing 1–24 of 440 results", "1-24 von 440"): the other
pages are then fetched at once, their addresses from `page_url` (relative ones like
`page/{page}/` or `?page={page}` are read against the start path) or from the first page's
next link with its page number changed. Without a count, next links are followed. A page
past the end (404 or no products) ends that listing, never the scrape; the first page of the
only listing must show products (a layout change is a `parse_error`, not an empty shop).

Categories can be discovered: the links of a menu (`listing.categories`) are read as more
start paths. A menu also links to pages that are no listing ("Contatti", a blog): such a
page shows no products and ends its listing like a category gone empty.
"""

from __future__ import annotations

import asyncio
import logging
import math
import re
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from urllib.parse import urljoin

import httpx
from parsel import Selector

from supplier_pipeline.lib.scraping.extract import (
    Extracted,
    extract_field,
    extract_fields,
    first_match,
    html_tree,
    parsed,
)
from supplier_pipeline.lib.scraping.fetch import FetchFailed
from supplier_pipeline.lib.scraping.records import Fetch, Outcome
from supplier_pipeline.lib.scraping.safety import SupplierHosts, redact_url
from supplier_pipeline.lib.suppliers.config import FieldRule, SupplierConfig

MAX_LISTING_PAGES = 2000
MAX_CATEGORIES = 500  # a menu linking to more is a site map, not a category menu
PageGetter = Callable[[str], Awaitable[str | None]]
Found = Callable[["Listed"], None]

# "1-24 di 440", "1–24 of 440", "1 - 24 von 1.440", "Articoli 1-12 di 440", "1-24 sur 440"
SHOWN_OF_TOTAL = re.compile(
    r"(\d[\d.,]*)\s*[-–—]\s*(\d[\d.,]*)\s+(?:[^\W\d]+\s+){0,2}?"
    r"(?:of|di|su|von|aus|de|sur|van|z|av|af)\s+(\d[\d.,\u00a0\u202f]*)", re.IGNORECASE)
# Where shops print that total, when the supplier's file names no place.
USUAL_RESULT_COUNT = FieldRule(css=[
    ".woocommerce-result-count ::text", ".showing ::text", ".toolbar-amount ::text",
    ".total-products ::text", ".results-count ::text", "nav.pagination ::text"])
_NUMBER = re.compile(r"\d[\d.,\u00a0\u202f]*")
_PAGE_TWO = re.compile(r"(?<![\d.])2(?!\d)")
_EMPTY = Selector(text="<html></html>")


@dataclass
class Listed:
    """One offer on a listing page (or a product URL from a sitemap, with nothing else):
    its product link, and its texts read when needed. A catalogue sync reads from the
    listing only what the product page lacks."""

    item: Selector
    rules: dict[str, FieldRule]
    url: str | None
    # fields already read: a prices scrape reads the price to decide whether the product
    # page is needed, then every field for the offer
    _read: dict[str, Extracted] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_url(cls, url: str) -> Listed:
        return cls(_EMPTY, {}, url)

    def texts(self, names: Iterable[str] | None = None
              ) -> tuple[dict[str, str | None], dict[str, str]]:
        """(values, sources) of the listing fields `names` (all of them by default)."""
        names = list(self.rules if names is None else names)
        self._read.update(extract_fields(
            self.item, {n: self.rules[n] for n in names if n not in self._read}))
        found = {n: self._read[n] for n in names}
        return ({k: v.value for k, v in found.items()},
                {k: f"selector {v.matched}" for k, v in found.items() if v.matched})


def mark_parse_error(fetches: list[Fetch], url: str) -> None:
    """The latest fetch of `url` becomes a parse error in the fetch log."""
    logged = {redact_url(url), redact_url(str(httpx.URL(url)))}  # as the fetcher logs it
    for fetch in reversed(fetches):
        if fetch.url in logged:
            fetch.outcome = Outcome.PARSE_ERROR
            break


def _number(text: str) -> int:
    return int(re.sub(r"\D", "", text))


def pages_from_total(text: str | None, shown: int, configured: bool) -> int | None:
    """Pages of a listing whose pager says "1-24 of 440" (or, from a configured place, only
    "440 products": `shown` products a page)."""
    if not text:
        return None
    match = SHOWN_OF_TOTAL.search(text)
    if match:
        first, last, total = (_number(g) for g in match.groups())
        size = last - first + 1
    elif configured and (numbers := _NUMBER.findall(text)):
        total, size = _number(numbers[-1]), shown
    else:
        return None
    return max(1, math.ceil(total / size)) if size > 0 else None


def numbered_page(next_url: str, page: int) -> str | None:
    """Page `page`'s address, from page 2's (its next link): `/page/2/` -> `/page/7/`,
    `?p=2` -> `?p=7`; None when page 2's address shows no 2 to change."""
    found = list(_PAGE_TWO.finditer(next_url))
    if not found:
        return None
    at = found[-1]
    return next_url[:at.start()] + str(page) + next_url[at.end():]


class ListingReader:
    """Reads a supplier's listings and hands each product on once."""

    def __init__(self, config: SupplierConfig, get: PageGetter, fetches: list[Fetch],
                 found: Found, in_flight: int, hosts: SupplierHosts | None = None):
        self.config, self.rules = config, config.listing
        self.get, self.fetches, self.found, self.in_flight = get, fetches, found, in_flight
        self.hosts = hosts
        self.seen: set[str] = set()
        self.products = 0

    def starts(self) -> list[str]:
        paths = [self.rules.start_path, *self.rules.start_paths]
        return [self.config.url(p) for p in dict.fromkeys(p for p in paths if p)]

    async def categories(self) -> list[str]:
        """The category listings the menu links to, each once, on the supplier's hosts; a
        menu that shows none is a parse error (the layout changed)."""
        rule = self.rules.categories
        if rule is None:
            return []
        url = self.config.url(rule.page)
        html = await self.get(url)
        links = html_tree(html or "").css(rule.links).getall()
        pattern = re.compile(rule.match) if rule.match else None
        found = []
        for link in links:
            target = urljoin(url, link.strip()).partition("#")[0]
            if (target and target != url and (self.hosts is None or self.hosts.allows(target))
                    and (pattern is None or pattern.search(target))):
                found.append(target)
        found = list(dict.fromkeys(found))
        if not found or len(found) > MAX_CATEGORIES:
            mark_parse_error(self.fetches, url)
            raise FetchFailed(Outcome.PARSE_ERROR, url, f"{len(found)} category links match "
                              f"{rule.links!r}" + (f" and {rule.match!r}" if pattern else "")
                              + (": has the menu changed?" if not found else
                                 f", more than {MAX_CATEGORIES}: is it the category menu?"))
        return found

    async def read_all(self) -> int:
        """Every listing, side by side; the number of distinct products handed on."""
        starts = list(dict.fromkeys(self.starts() + await self.categories()))
        await asyncio.gather(*(self._listing(url, strict=len(starts) == 1) for url in starts))
        if starts and not self.products:
            raise FetchFailed(Outcome.PARSE_ERROR, starts[0], f"none of the {len(starts)} "
                              f"listings shows products matching {self.rules.item!r}")
        return self.products

    def hand_on(self, offers: list[Listed]) -> None:
        for listed in offers:
            key = listed.url or (listed.texts(["sku"])[0].get("sku")
                                 if "sku" in listed.rules else None)
            if key:
                if key in self.seen:
                    continue
                self.seen.add(key)
            self.products += 1
            self.found(listed)

    async def page(self, url: str, first: bool) -> tuple[list[Listed], Selector] | None:
        """One listing page's offers and the parsed page; None past the end (404, or no
        products on a later page). A first page without products is a parse error."""
        try:
            html = await self.get(url)
        except FetchFailed as exc:
            if exc.outcome is Outcome.NOT_FOUND and not first:
                return None
            raise
        if html is None:
            raise FetchFailed(self.fetches[-1].outcome, url, "listing page could not be "
                              "rendered")
        page = parsed(html)  # the tree a logged-in check may have read already
        items = page.css(self.rules.item)
        if not items:
            if not first:
                return None
            mark_parse_error(self.fetches, url)
            raise FetchFailed(Outcome.PARSE_ERROR, url, f"no products match "
                              f"{self.rules.item!r}: has the layout changed?")
        link_rule = self.rules.product_link
        offers = []
        for item in items:
            link = first_match(item, link_rule) if link_rule else None
            offers.append(Listed(item, self.rules.fields, urljoin(url, link) if link else None))
        return offers, page

    def _page_count(self, page: Selector, shown: int) -> int | None:
        if self.rules.page_count:
            value = extract_field(page, self.rules.page_count).value
            return int(value) if value and value.isdigit() else None
        rule = self.rules.result_count or USUAL_RESULT_COUNT
        return pages_from_total(extract_field(page, rule).value, shown,
                                self.rules.result_count is not None)

    def _next(self, page: Selector, url: str) -> str | None:
        following = first_match(page, self.rules.next_page) if self.rules.next_page else None
        return urljoin(url, following) if following else None

    def _page_urls(self, start: str, page: Selector, pages: int) -> list[str] | None:
        template = self.rules.page_url
        if template:
            return [self.config.url(template.format(page=n)) if template.startswith(
                ("/", "http")) else urljoin(start, template.format(page=n))
                for n in range(2, pages + 1)]
        second = self._next(page, start)
        urls = [numbered_page(second, n) for n in range(2, pages + 1)] if second else None
        return urls if urls and all(urls) and urls[0] == second else None

    async def _listing(self, start: str, strict: bool) -> None:
        try:
            first = await self.page(start, first=True)
        except FetchFailed as exc:
            # One of several categories gone or empty is that category's problem; the count
            # check of the gate sees the offers it held.
            if strict or exc.outcome not in (Outcome.NOT_FOUND, Outcome.PARSE_ERROR):
                raise
            logging.getLogger(__name__).warning("%s: listing %s ends at once: %s",
                                                self.config.id, redact_url(start), exc)
            return
        offers, page = first
        self.hand_on(offers)
        pages = self._page_count(page, len(offers))
        if pages and pages > MAX_LISTING_PAGES:
            mark_parse_error(self.fetches, start)
            raise FetchFailed(Outcome.PARSE_ERROR, start, f"the page count reads {pages}, more "
                              f"than {MAX_LISTING_PAGES} listing pages: is the page_count "
                              "rule right?")
        urls = self._page_urls(start, page, pages) if pages and pages > 1 else None
        if urls:
            await _map_bounded(self._one_page, urls, self.in_flight)
            return
        if pages == 1:
            return
        seen, url = {start}, start
        while len(seen) < MAX_LISTING_PAGES:
            url = self._next(page, url)
            if not url or url in seen:
                return
            seen.add(url)
            found = await self.page(url, first=False)
            if found is None:
                return
            offers, page = found
            self.hand_on(offers)

    async def _one_page(self, url: str) -> None:
        found = await self.page(url, first=False)
        if found is not None:
            self.hand_on(found[0])


async def _map_bounded(fn: Callable[[str], Awaitable[None]], items: list[str],
                       limit: int) -> None:
    """`fn` over every item, at most `limit` at a time, each started when a slot frees."""
    queue = iter(items)

    async def worker() -> None:
        for item in queue:
            await fn(item)

    await asyncio.gather(*(worker() for _ in range(min(limit, len(items)))))
