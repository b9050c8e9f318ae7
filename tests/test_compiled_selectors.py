"""Compiled selectors (extract._compiled) reach a tested attribute through the attribute
itself, for speed: they must find exactly what parsel's own `.css()` finds, in the same order,
for selectors of every form a supplier file uses, on pages shaped like real shops' and on real
shops' pages (../shared/data/product-pages, when present)."""

from __future__ import annotations

import gzip
import itertools
import re
from pathlib import Path

import pytest
from parsel import Selector

from supplier_pipeline.demo.shapes import prestashop_pages, woocommerce_pages
from supplier_pipeline.demo.shapes.prestashop import PrestaShop
from supplier_pipeline.demo.shapes.woocommerce import WooShop
from supplier_pipeline.lib.scraping.extract import _compiled

REAL_PAGES = Path(__file__).resolve().parents[2] / "shared" / "data" / "product-pages" / "html"


def shop_pages() -> list[str]:
    presta, woo = PrestaShop(size=40), WooShop(size=40)
    key, (name, listed) = next(iter(presta.categories.items()))
    product = listed[0]
    head, tail = presta.chrome
    pages = [head + prestashop_pages.product(product, name, len(listed) - 1, listed[1:9]) + tail,
             head + prestashop_pages.listing(key, name, listed, 1, presta.per_page, True) + tail]
    head, tail = woo.chrome
    item = woo.products[0]
    pages.append(head.replace("{account}", woocommerce_pages.account(True), 1)
                 + woocommerce_pages.product(item, True, woo.products[1:5], "http://s/p/") + tail)
    return pages


def selectors_of(page: Selector, every: int = 3) -> list[str]:
    """Selectors of each form, built from what the page holds (classes, ids, links, data
    attributes), and a few that match nothing."""
    found: dict[str, None] = {}
    name_like = re.compile(r"-?[A-Za-z_][\w-]*$")  # what CSS takes unescaped
    for element in itertools.islice(page.root.iter(), 0, None, every):
        if not isinstance(element.tag, str) or not name_like.match(element.tag):
            continue
        tag = element.tag
        for token in [t for t in (element.get("class") or "").split() if name_like.match(t)][:2]:
            for css in (f".{token}", f"{tag}.{token}::text", f".{token} span::text",
                        f"[class*='{token[:4]}']", f"[class~='{token}'] a::attr(href)",
                        f"{tag}[class^='{token[:3]}']"):
                found[css] = None
        if name_like.match(element.get("id") or ""):
            found[f"#{element.get('id')}::text"] = None
            found[f"[id='{element.get('id')}'] *"] = None
        href = element.get("href")
        if tag == "a" and href and "'" not in href:
            found[f"a[href*='{href[-8:]}']::attr(href)"] = None
            found[f"a[href^='{href[:10]}']::text"] = None
            found[f"a[href='{href}']"] = None
        for name, value in element.attrib.items():
            if name.startswith("data-") and name_like.match(name) and "'" not in value:
                found[f"[{name}='{value[:40]}']"] = None
                found[f"{tag}[{name}]"] = None
    found.update(dict.fromkeys(["[class*='no-such-thing']", "a[href*='nowhere']::text",
                                "#missing", "li:nth-child(2).x", "div > p::text"]))
    return list(found)


@pytest.mark.parametrize("index", [0, 1, 2], ids=["presta product", "presta listing",
                                                  "woo product"])
def test_compiled_selectors_find_what_parsel_finds(index):
    page = Selector(text=shop_pages()[index])
    selectors = selectors_of(page)
    assert len(selectors) > 150
    matched = 0
    for css in selectors:
        expected = [s.root for s in page.css(css)]
        assert _compiled(css)(page.root) == expected, css
        matched += bool(expected)
    assert matched > 100  # most of them find something: the comparison is not of empties


@pytest.mark.skipif(not REAL_PAGES.is_dir(), reason="../shared/data/product-pages not present")
def test_compiled_selectors_find_what_parsel_finds_on_real_shops_pages():
    pages = sorted(REAL_PAGES.glob("*.html.gz"))[::14]  # five shops' pages of the seventy
    assert len(pages) >= 5
    for path in pages:
        page = Selector(text=gzip.decompress(path.read_bytes()).decode("utf-8", "replace"))
        for css in selectors_of(page, every=9):
            assert _compiled(css)(page.root) == [s.root for s in page.css(css)], (path.name, css)
