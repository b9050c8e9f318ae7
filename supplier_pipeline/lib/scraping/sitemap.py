"""Product URLs from a shop's sitemaps: one request can list every product, where a listing
crawl needs a page per two dozen products.

A sitemap index is followed to its product sitemaps (all its sitemaps when none is named
for products), gzip files (`.gz`, or gzip bytes whatever the
name) are read within the supplier's body limit, and only URLs on the supplier's hosts are
kept: a sitemap is the shop's own text and may point anywhere.
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Awaitable, Callable

from lxml import etree

from supplier_pipeline.lib.scraping.fetch import FetchFailed
from supplier_pipeline.lib.scraping.records import Outcome
from supplier_pipeline.lib.scraping.safety import SupplierHosts

MAX_SITEMAPS = 200  # index files that list more are refused rather than read for hours
BytesGetter = Callable[[str], Awaitable[bytes]]
# A shop's sitemap index (the one robots.txt names) lists its posts, pages, categories and
# products side by side (Yoast: post-sitemap.xml, product_cat-sitemap.xml,
# product-sitemap1.xml). Only product sitemaps are followed when the index names some: the
# other pages are no product pages.
_PRODUCT_MAP = re.compile(r"produ[ck]t|prodott|produit|artikel|articol", re.IGNORECASE)
_TAXONOMY_MAP = re.compile(r"cat(?:egor|\b|_|-)|tag|brand|marc|marque|attribut",
                           re.IGNORECASE)


def product_sitemaps(maps: list[str]) -> list[str]:
    """The sitemaps of an index worth following: those named for products, when some are;
    else all of them."""
    def named_for_products(url: str) -> bool:
        name = url.rstrip("/").rsplit("/", 1)[-1]
        return bool(_PRODUCT_MAP.search(name)) and not _TAXONOMY_MAP.search(name)

    chosen = [m for m in maps if named_for_products(m)]
    return chosen or maps


def _gunzip(data: bytes, limit: int, url: str) -> bytes:
    """The decompressed bytes, refused beyond `limit` (a gzip bomb in a sitemap is no
    different from one in a page)."""
    inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
    out = inflater.decompress(data, limit + 1)
    if len(out) > limit or inflater.unconsumed_tail:
        raise FetchFailed(Outcome.TOO_LARGE, url, f"the sitemap inflates beyond {limit} bytes")
    return out


def parse_sitemap(data: bytes, url: str, limit: int) -> tuple[list[str], list[str]]:
    """(sitemaps listed by an index, page URLs listed by a urlset) of one sitemap file."""
    if data[:2] == b"\x1f\x8b":
        data = _gunzip(data, limit, url)
    try:
        root = etree.fromstring(data, etree.XMLParser(resolve_entities=False, no_network=True,
                                                      huge_tree=False, recover=True))
    except etree.XMLSyntaxError as exc:
        raise FetchFailed(Outcome.PARSE_ERROR, url, f"not a sitemap: {exc}") from None
    if root is None:
        raise FetchFailed(Outcome.PARSE_ERROR, url, "not a sitemap: no XML in the answer")
    kind = etree.QName(root).localname
    locs = [(loc.text or "").strip() for loc in root.iter("{*}loc")]
    locs = [loc for loc in locs if loc]
    if kind == "sitemapindex":
        return locs, []
    if kind == "urlset":
        return [], locs
    raise FetchFailed(Outcome.PARSE_ERROR, url, f"not a sitemap: the root element is <{kind}>")


async def sitemap_urls(start: list[str], get: BytesGetter, hosts: SupplierHosts | None,
                       limit: int, match: str | None = None) -> list[str]:
    """Every page URL of the sitemaps `start` (indexes followed), on the supplier's hosts,
    matching `match` when given, in the sitemaps' order, each once."""
    pattern = re.compile(match) if match else None
    queue, seen_maps, urls = list(start), set(), dict.fromkeys([])
    while queue:
        url = queue.pop(0)
        if url in seen_maps:
            continue
        seen_maps.add(url)
        if len(seen_maps) > MAX_SITEMAPS:
            raise FetchFailed(Outcome.PARSE_ERROR, url, f"more than {MAX_SITEMAPS} sitemaps: "
                              "is this the product sitemap?")
        maps, pages = parse_sitemap(await get(url), url, limit)
        queue.extend(m for m in product_sitemaps(maps) if hosts is None or hosts.allows(m))
        for page in pages:
            if (hosts is None or hosts.allows(page)) and (not pattern or pattern.search(page)):
                urls[page] = None
    return list(urls)

