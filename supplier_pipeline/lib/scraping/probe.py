"""`supplier-pipeline probe`: what a supplier's configuration reads from its live pages.

Logs in if the supplier needs it, reads one listing page and one product page, and reports
for every configured field its value, the selector that matched, or why nothing did; what the
generic layers read; and the values a scrape stores from the product page, each with the
layer or selector it comes from (rows `stored`). The report holds page values only: never
credentials.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import UTC, datetime
from urllib.parse import urljoin

from parsel import Selector

from supplier_pipeline.lib.extraction.generic import extract_product
from supplier_pipeline.lib.extraction.layers import layered_fields
from supplier_pipeline.lib.scraping.browser import Browser
from supplier_pipeline.lib.scraping.extract import extract_field, html_tree
from supplier_pipeline.lib.scraping.fetch import Fetcher, FetchFailed
from supplier_pipeline.lib.scraping.listing import ListingReader
from supplier_pipeline.lib.scraping.observe import observation
from supplier_pipeline.lib.scraping.session import CookieStore, LoginFailed, Session
from supplier_pipeline.lib.suppliers.config import FieldRule, SupplierConfig


@dataclass
class ProbeRow:
    page: str
    field: str
    value: str | None
    matched: str | None
    problem: str | None = None


@dataclass
class ProbeReport:
    supplier_id: str
    rows: list[ProbeRow] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def table(self) -> str:
        lines = [f"probe {self.supplier_id}", f"{'page':8} {'field':13} {'value':42} source"]
        for r in self.rows:
            value = (r.value or "-")[:42]
            source = r.matched or f"NOT FOUND ({r.problem})"
            lines.append(f"{r.page:8} {r.field:13} {value:42} {source}")
        lines += [f"error: {e}" for e in self.errors]
        return "\n".join(lines)


def _stored(config: SupplierConfig, html: str, url: str) -> list[ProbeRow]:
    """What a scrape stores from this product page and where each value comes from: the
    layered fields (structured data or selector, as `prefer` orders them), then the stored
    price, VAT decision and stock state."""
    values, sources = layered_fields(html, config.product.fields, config.price.locale, url)
    rows = [ProbeRow("stored", name, value, sources.get(name)) for name, value in values.items()]
    obs = observation(config, values, datetime.now(UTC), url, sources)
    quantity = f" ({obs.stock_qty})" if obs.stock_qty is not None else ""
    for name, value, source in (
            ("price_net", obs.price_net, obs.sources.get("vat_included")),
            ("price_gross", obs.price_gross, obs.sources.get("vat_included")),
            ("stock_state", f"{obs.stock_state}{quantity}", obs.sources.get("stock"))):
        rows.append(ProbeRow("stored", name, None if value is None else str(value), source,
                             "; ".join(obs.problems) or "not read"))
    return rows


def _rows(page: str, node: Selector, rules: dict[str, FieldRule]) -> list[ProbeRow]:
    rows = []
    for name, rule in rules.items():
        found = extract_field(node, rule)
        problem = None if found.value else f"none of {rule.css} matched" + (
            f" with regex {rule.regex!r}" if rule.regex else "")
        rows.append(ProbeRow(page, name, found.value, found.matched, problem))
    return rows


async def probe_async(config: SupplierConfig, environ: dict[str, str],
                      url: str | None = None) -> ProbeReport:
    report = ProbeReport(config.id)
    if config.engine == "feed":
        report.errors.append("feeds have no pages to probe; run a prices scrape instead")
        return report
    async with Fetcher.for_supplier(config) as fetcher:
        session = None
        try:
            if config.login:
                session = Session(fetcher, config.login, config.base_url, environ,
                                  CookieStore(config.id))
                await session.start()

            async def get(target: str, engine: str, wait_for: str | None) -> str | None:
                if engine == "browser":
                    async with Browser(config.id, fetcher.user_agent,
                                       config.politeness.timeout_seconds) as browser:
                        await browser.add_cookies(config.base_url, fetcher.cookie_values())
                        return await fetcher.render(browser, target, wait_for)
                response = await (session.get(target) if session else fetcher.get(target))
                return response.text

            start = config.listing.start_path or next(iter(config.listing.start_paths), None)
            listing_url = config.url(start) if start else None
            if listing_url is None and config.listing.categories:
                engine = config.listing.engine
                menu = ListingReader(config, lambda target: get(target, engine, None),
                                     fetcher.log, lambda _: None, 1, fetcher.hosts)
                found = await menu.categories()
                report.rows.append(ProbeRow("listing", "categories", f"{len(found)} found",
                                            config.listing.categories.links))
                listing_url = found[0]
            html = (await get(listing_url, config.listing.engine, config.listing.wait_for)
                    if listing_url else None)
            items = html_tree(html).css(config.listing.item) if html else []
            if listing_url is None:
                if not url:
                    report.errors.append("this supplier lists its products through a sitemap "
                                         "only: give --url PRODUCT_URL")
            elif not items:
                report.errors.append(f"listing {listing_url}: no element matches item "
                                     f"selector {config.listing.item!r}")
            else:
                report.rows += _rows("listing", items[0], config.listing.fields)
                link = (items[0].css(config.listing.product_link).get()
                        if config.listing.product_link else None)
                url = url or (urljoin(listing_url, link) if link else None)
            if url and config.product:
                page = await get(url, config.product.engine, config.product.wait_for)
                report.rows += _rows("product", html_tree(page or ""), config.product.fields)
                for name, found in extract_product(page or "", config.price.locale, url).items():
                    report.rows.append(ProbeRow("generic", name, found.value, found.layer,
                                                None if found.value else "no layer found it"))
                report.rows += _stored(config, page or "", url)
        except (LoginFailed, FetchFailed) as exc:
            report.errors.append(str(exc))
    return report


def probe(config: SupplierConfig, environ: dict[str, str], url: str | None = None) -> ProbeReport:
    return asyncio.run(probe_async(config, environ, url))
