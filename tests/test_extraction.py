"""Generic extraction on saved pages of many shop platforms, and the probe command against
the demo shops."""

import json
from pathlib import Path

import pytest

from supplier_pipeline.cli import main
from supplier_pipeline.lib.extraction.scoring import score
from supplier_pipeline.lib.suppliers.config import load_suppliers

PAGES = Path(__file__).parent / "pages"
EXPECTED = json.loads((PAGES / "expected.json").read_text())


@pytest.fixture(scope="module")
def extracted(tmp_path_factory) -> dict[str, dict]:
    import contextlib
    import io

    output = io.StringIO()
    with contextlib.redirect_stdout(output):
        assert main(["extract", str(PAGES)]) == 0
    lines = [json.loads(line) for line in output.getvalue().splitlines()]
    return {Path(line["file"]).name: line for line in lines}


@pytest.mark.parametrize("page", sorted(EXPECTED))
def test_page_fields(extracted, page):
    got = extracted[page]
    for field, value in EXPECTED[page].items():
        assert got[field] == value, (field, got)
        assert got[f"{field}_layer"] in ("json-ld", "microdata", "rdfa", "opengraph", "script",
                                         "heuristic")


def test_benchmark_scoring_on_the_page_set(extracted, capsys):
    """The saved pages scored as bench.extraction scores the real ones: every field right."""
    truths = {page: {f: [e[f]] for f in ("price", "availability", "sku") if f in e}
              for page, e in EXPECTED.items()}
    scores = score(extracted, truths)
    with capsys.disabled():
        print("\nP/R/F1:", {f: f"{s.precision:.2f}/{s.recall:.2f}/{s.f1:.2f}"
                            for f, s in scores.items()})
    assert all(s.f1 == 1.0 and not s.wrong for s in scores.values()), {
        f: s.wrong for f, s in scores.items()}


def test_scoring_follows_the_benchmark_rules():
    truths = {"a": {"price": ["1,299.00"], "sku": ["AB 12"], "availability": ["OutOfStock"]},
              "b": {"price": ["23.450"], "sku": None, "availability": ["InStock"]},
              "c": {"price": ["5"], "sku": ["X1"], "availability": ["InStock"]}}
    found = {"a": {"price": "1299", "sku": "ab12", "availability": "OutOfStock"},
             "b": {"price": "23450.00", "sku": "B-1", "availability": None},
             "c": {"price": None, "sku": "X2", "availability": "OutOfStock"}}
    scores = score(found, truths)
    assert (scores["price"].right, scores["price"].predicted, scores["price"].labelled) == (
        2, 2, 3)
    assert (scores["sku"].right, scores["sku"].predicted, scores["sku"].labelled) == (1, 3, 2)
    assert scores["availability"].right == 2  # no prediction counts as InStock
    out = scores["out_of_stock"]
    assert (out.right, out.predicted, out.labelled) == (1, 2, 1)
    assert out.precision == 0.5 and out.recall == 1.0


def test_any_encoding_and_broken_markup(tmp_path, capsys):
    (tmp_path / "latin1.html").write_bytes(
        "<html><head><meta charset='iso-8859-1'></head><body><h1>Écran</h1>"
        "<span class='prix'>12,50 EUR</span><p>épuisé</p>".encode("latin-1"))
    (tmp_path / "broken.html").write_text("<html><body><div><span class=price>£7.50<p>In stock")
    assert main(["extract", str(tmp_path), "--locale", "fr"]) == 0
    lines = {Path(j["file"]).name: j
             for j in map(json.loads, capsys.readouterr().out.splitlines())}
    assert lines["latin1.html"]["name"] == "Écran"
    assert lines["latin1.html"]["price"] == "12.50"
    assert lines["latin1.html"]["availability"] == "OutOfStock"
    assert (lines["broken.html"]["price"], lines["broken.html"]["currency"]) == ("7.50", "GBP")


def test_an_xhtml_page_with_an_xml_prolog_is_read_as_html(tmp_path, capsys):
    (tmp_path / "xhtml.html").write_text(
        '<?xml version="1.0" encoding="utf-8"?>\n<html xmlns="http://www.w3.org/1999/xhtml">'
        '<head><title>Shop</title></head><body><h1>Vetro iPhone 11</h1>'
        '<span class="price">12,50 €</span><p>Disponibile</p></body></html>')
    assert main(["extract", str(tmp_path), "--locale", "it"]) == 0
    found = json.loads(capsys.readouterr().out.splitlines()[0])
    assert (found["name"], found["price"], found["currency"]) == ("Vetro iPhone 11", "12.50",
                                                                 "EUR")


def test_probe_reports_each_field_and_never_the_password(shop_env, capsys):
    assert main(["probe", "ricambi_italia"]) == 0
    out = capsys.readouterr().out
    assert "test-only-password" not in out and "buyer@demo.invalid" not in out
    rows = [line.split() for line in out.splitlines()[2:]]
    listing = {r[1]: r for r in rows if r[0] == "listing"}
    assert set(listing) == set(load_suppliers()["ricambi_italia"].listing.fields)
    assert "NOT" not in " ".join(" ".join(r) for r in rows if r[0] in ("listing", "product")
                                 and r[1] != "ean")
    assert any(r[0] == "generic" and r[1] == "price" for r in rows)
    # what the scrape stores, and from where (layer or selector, the VAT decision)
    stored = {r[1]: " ".join(r[2:]) for r in rows if r[0] == "stored"}
    assert {"price", "price_net", "price_gross", "stock_state"} <= set(stored)
    assert stored["price"].endswith("selector .scheda span.prezzo::text")
    assert "gross by" in stored["price_net"] and stored["stock_state"].startswith("in ")


def test_probe_explains_a_selector_that_no_longer_matches(shop_env, tmp_path, monkeypatch,
                                                          capsys):
    from supplier_pipeline.demo.world import SUPPLIERS_DIR

    text = (SUPPLIERS_DIR / "fixparts_js.yaml").read_text()
    (tmp_path / "fixparts_changed.yaml").write_text(
        text.replace("id: fixparts_js", "id: fixparts_changed")
        .replace("title: h2.title a::text", "title: h3.name::text"))
    monkeypatch.setenv("SUPPLIERS_DIR", str(tmp_path))
    assert main(["probe", "fixparts_changed"]) == 0
    out = capsys.readouterr().out
    assert "NOT FOUND (none of ['h3.name::text'] matched)" in out


def test_probe_of_a_supplier_listed_by_sitemap_or_categories(shop_env, tmp_path, monkeypatch,
                                                             capsys):
    from supplier_pipeline.demo.world import SUPPLIERS_DIR

    text = (SUPPLIERS_DIR / "fixparts_js.yaml").read_text()
    start = next(line for line in text.splitlines() if "start_path:" in line)
    path = start.split("start_path:")[1].strip()
    indent = start.split("start_path:")[0]
    (tmp_path / "by_categories.yaml").write_text(
        text.replace("id: fixparts_js", "id: by_categories")
        .replace(start, f"{indent}start_paths: [\"{path}\"]"))
    (tmp_path / "by_sitemap.yaml").write_text(
        text.replace("id: fixparts_js", "id: by_sitemap")
        .replace(start, f"{indent}sitemap: /sitemap.xml"))
    monkeypatch.setenv("SUPPLIERS_DIR", str(tmp_path))
    assert main(["probe", "by_categories"]) == 0
    assert "stored" in capsys.readouterr().out  # the first category's first product
    main(["probe", "by_sitemap"])
    assert "through a sitemap only: give --url PRODUCT_URL" in capsys.readouterr().out


def test_layers_structured_data_first_then_selectors_then_heuristics():
    from supplier_pipeline.lib.extraction.layers import layered_fields
    from supplier_pipeline.lib.suppliers.config import FieldRule

    html = (PAGES / "prestashop_it.html").read_text()
    rules = {"price": FieldRule(css=[".current-price span::text"]),
             "stock": FieldRule(css=["#product-availability::text"]),
             "colour": FieldRule(css=["h1::text"], regex=r"(Nero|Bianco)")}
    values, sources = layered_fields(html, rules, "it")
    assert (values["price"], sources["price"]) == ("129.90", "json-ld")
    assert (values["stock"], sources["stock"]) == ("InStock", "json-ld")
    assert (values["colour"], sources["colour"]) == ("Nero", "selector h1::text")
    assert (values["ean"], sources["ean"]) == ("8034567890123", "json-ld")


def test_heuristics_only_fill_in_when_a_core_field_is_missing():
    from supplier_pipeline.lib.extraction.layers import layered_fields
    from supplier_pipeline.lib.suppliers.config import FieldRule

    html = (PAGES / "plain_de_lager.html").read_text()
    configured = {"title": FieldRule(css=["h1::text"]),
                  "price": FieldRule(css=[".artikel-preis::text"]),
                  "stock": FieldRule(css=[".lieferstatus::text"]),
                  "sku": FieldRule(css=["td::text"], regex=r"Artikelnummer: (\S+)"),
                  "ean": FieldRule(css=[".ean::text"])}  # this page shows none
    values, sources = layered_fields(html, configured, "de")
    assert values["sku"] == "4711-PX7" and "ean" not in values
    assert not any(source == "heuristic" for source in sources.values()), sources
    # Without a stock rule the page is not covered: the heuristics read it, and only fill in.
    del configured["stock"]
    values, sources = layered_fields(html, configured, "de")
    assert (values["stock"], sources["stock"]) == ("InStock", "heuristic")
    assert sources["price"] == "selector .artikel-preis::text"


@pytest.mark.parametrize(("markup", "old"), [
    ("<ul class='list-unstyled price-list'><li class='price'>40</li></ul>", False),
    ("<div class='product-info bold'><span class='price'>40</span></div>", False),
    ("<div class='price-box'><span class='price old-price'>40</span></div>", True),
    ("<div><span class='was_price'>40</span></div>", True),
    ("<div><span class='ListPrice'>40</span></div>", True),
    ("<div><del><span class='price'>40</span></del></div>", True),
])
def test_old_price_is_a_word_of_the_class_not_a_substring(markup, old):
    from lxml.html import fragment_fromstring

    from supplier_pipeline.lib.extraction.visible import is_old_price

    price = fragment_fromstring(markup).xpath(".//*[contains(@class, 'rice')]")[-1]
    assert is_old_price(price) is old


def test_script_layer_reads_json_only_and_within_bounds():
    from parsel import Selector

    from supplier_pipeline.lib.extraction.scripts import script_fields

    def read(html: str) -> dict:
        return {k: f.value for k, f in script_fields(html, Selector(text=html)).items()}

    shopify = '<script>var meta = {"product":{"variants":[{"price":4990,"sku":"A-1"}]}};</script>'
    assert read(shopify) == {"price": "49.9", "sku": "A-1"}  # Shopify counts in cents
    woo = ("<form data-product_variations='[{\"display_price\":12.5,\"sku\":\"W-1\","
           "\"is_in_stock\":false},{\"display_price\":14,\"sku\":\"W-2\",\"is_in_stock\":true}]'>")
    assert read(woo) == {"availability": "InStock"}  # variants disagree: no price, no SKU
    assert read("<script>var product = {price: 5, sku: 'JS-1'};</script>") == {}  # not JSON
    deep = "<script>window.__INITIAL_STATE__ = " + "[" * 100_000 + "]" * 100_000 + "</script>"
    assert read(deep) == {}
    buried = '{"a":' * 20 + '{"price": 3, "sku": "D-1"}' + "}" * 20
    assert read(f"<script>window.__INITIAL_STATE__ = {buried}</script>") == {}
