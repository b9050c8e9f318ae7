"""No page can stop extraction: random and mutated pages, huge numbers, deep nesting and bad
encodings give fields or None with a reason, never an exception; `extract` reports a file it
cannot read and goes on; in a scrape, a page that defeats the extractor is a parse error."""

import gzip
import json
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from supplier_pipeline.cli import main
from supplier_pipeline.lib.extraction.generic import FIELDS, decode, extract_product

PAGES = Path(__file__).parent / "pages"
SAVED = [p.read_bytes() for p in sorted(PAGES.glob("*.html"))]
FUZZ = settings(max_examples=60, deadline=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


def assert_well_formed(found: dict) -> None:
    assert set(found) == set(FIELDS)
    price = found["price"].value
    assert price is None or Decimal(price) > 0
    assert found["availability"].value in (None, "InStock", "OutOfStock")
    for item in found.values():
        assert item.value is None or isinstance(item.value, str)
        assert item.confidence is None or 0 <= item.confidence <= 1


def product_page(price: str, body: str = "") -> str:
    ld = json.dumps({"@context": "https://schema.org", "@type": "Product", "name": "Akku",
                     "sku": "AK-1", "offers": {"@type": "Offer", "price": price,
                                               "priceCurrency": "EUR"}})
    return (f'<html><body><script type="application/ld+json">{ld}</script><h1>Akku</h1>'
            f'<span class="price">{price} €</span>{body}</body></html>')


@pytest.mark.parametrize("price", ["9" * 40, "1e999999", "-1e30", "NaN", "Infinity", "0",
                                   "1" + "0" * 5000, "12,50" * 500])
def test_numbers_no_decimal_holds_are_no_price(price):
    found = extract_product(product_page(price), "de")
    assert_well_formed(found)
    assert found["price"].value is None and found["price"].reason
    assert found["sku"].value == "AK-1"


@pytest.mark.parametrize("depth", [2_000, 50_000])
def test_deep_nesting(depth):
    html = "<div>" * depth + product_page("12.50") + "</div>" * depth
    assert_well_formed(extract_product(html))
    nested_json = "[" * depth + "]" * depth
    page = product_page("12.50").replace(
        "</body>", f'<script type="application/ld+json">{nested_json}</script></body>')
    found = extract_product(page)
    assert_well_formed(found)
    assert found["price"].value == "12.50"


@pytest.mark.parametrize("body", [
    b"", b"\x00" * 100, b"\xff\xfe<\x00h\x00", b"\xef\xbb\xbf" + b"\xc3\x28" * 50,
    b'<meta charset="no-such-charset"><p class="price">\xa312.00</p>',
    b"<html><body>" + b"\x80\x81\x82" * 1000 + b"</body></html>",
    "<html><body><h1>\ud800</h1></body></html>".encode("utf-8", "surrogatepass"),
])
def test_bad_encodings(body):
    assert_well_formed(extract_product(decode(body)))


@FUZZ
@given(st.binary(max_size=4000))
def test_random_bytes(body):
    assert_well_formed(extract_product(decode(body)))


@FUZZ
@given(st.sampled_from(SAVED), st.lists(st.tuples(st.integers(0, 10**6), st.integers(0, 200),
                                                  st.binary(max_size=40)), max_size=8))
def test_mutated_saved_pages(page, edits):
    """Real shop pages with bytes cut out and spliced in: broken tags, JSON and numbers."""
    body = bytearray(page)
    for at, cut, insert in edits:
        at %= len(body) + 1
        body[at:at + cut] = insert
    assert_well_formed(extract_product(decode(bytes(body))))


@FUZZ
@given(st.text(alphabet=st.sampled_from(list("<>/=\"' {}[]:,.0123456789€$eE-+divspanprice"
                                             "itemprop@typeofferskuInStockOutOfStock")),
               max_size=600))
def test_random_markup_and_json(noise):
    for page in (noise, product_page(noise), product_page("9.90", noise)):
        assert_well_formed(extract_product(page))


def test_extract_reports_an_unreadable_file_and_goes_on(tmp_path, capsys):
    (tmp_path / "a_truncated.html.gz").write_bytes(gzip.compress(b"<html>" * 100)[:30])
    (tmp_path / "b_huge_price.html").write_text(product_page("9" * 40))
    (tmp_path / "c_good.html.gz").write_bytes(gzip.compress(product_page("12.50").encode()))
    assert main(["extract", str(tmp_path)]) == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [Path(line["file"]).name for line in lines] == [
        "a_truncated.html.gz", "b_huge_price.html", "c_good.html.gz"]
    assert "error" in lines[0]
    assert lines[1]["price"] is None and "unreadable number" in lines[1]["reasons"]["price"]
    assert (lines[2]["price"], lines[2]["price_layer"], lines[2]["sku"]) == (
        "12.50", "json-ld", "AK-1")


def test_a_page_that_defeats_the_extractor_is_a_parse_error_not_a_failed_run(
        shop_env, monkeypatch):
    from supplier_pipeline.lib.scraping import scrape as scraping
    from supplier_pipeline.lib.scraping.records import Outcome
    from supplier_pipeline.lib.suppliers.config import load_suppliers

    real = scraping.layered_fields
    defeated: list[str] = []

    def fragile(html, rules, locale, url=None):
        if not defeated:
            defeated.append(url)
            raise RecursionError("maximum recursion depth exceeded")
        return real(html, rules, locale, url)

    monkeypatch.setattr(scraping, "layered_fields", fragile)
    result = scraping.scrape(load_suppliers()["ricambi_italia"], "catalog")
    assert result.error is None
    assert [f.url for f in result.fetches if f.outcome is Outcome.PARSE_ERROR] == defeated
    assert len(result.observations) == len(shop_env.market.offers["ricambi_italia"])
    broken = [o for o in result.observations if o.url == defeated[0]]
    assert broken[0].problems == ["product page: parse_error (RecursionError)"]
    assert broken[0].price_gross is not None  # the listing still tells the price
