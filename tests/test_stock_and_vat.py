"""Back-orders, stock quantities, VAT per price and the selector/structured precedence, on
snippets shaped like real shops' product pages (PrestaShop, WooCommerce, Shopware, Shopify),
through the layers a scrape uses and the observation it stores (issue #17, points 4-8)."""

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from supplier_pipeline.lib.extraction.generic import extract_product
from supplier_pipeline.lib.extraction.layers import layered_fields
from supplier_pipeline.lib.extraction.structured import syntaxes_in
from supplier_pipeline.lib.scraping import normalise
from supplier_pipeline.lib.scraping.observe import observation
from supplier_pipeline.lib.suppliers.config import PageRules, SupplierConfig

WHEN = datetime(2026, 3, 2, 8, tzinfo=UTC)


def supplier(vat_included: bool = True, prefer: str = "structured", fields=None,
             **stock) -> SupplierConfig:
    product = {"prefer": prefer, "fields": fields or {
        "title": "h1::text", "price": ".current-price .price::text",
        "stock": "#product-availability::text", "sku": "[itemprop=sku]::text"}}
    return SupplierConfig.model_validate({
        "id": "nuovo_shop", "name": "Nuovo shop", "base_url": "https://shop.example.it",
        "engine": "html", "listing": {"start_path": "/", "item": ".product", "fields": {}},
        "product": product, "price": {"locale": "it", "vat_included": vat_included,
                                      "vat_rate": 22}, "stock": stock})


def stored(html: str, config: SupplierConfig):
    values, sources = layered_fields(html, config.product.fields, config.price.locale)
    return observation(config, values, WHEN, sources=sources)


def jsonld(availability: str, extra_offer: str = "", price: str = "12.20") -> str:
    return ('<script type="application/ld+json">{"@context": "https://schema.org", '
            '"@type": "Product", "name": "Display iPhone 12", "sku": "DSP-IP12", "offers": '
            f'{{"@type": "Offer", "price": "{price}", "priceCurrency": "EUR", '
            f'"availability": "https://schema.org/{availability}"{extra_offer}}}}}</script>')


def prestashop(availability_text: str, price_text: str = "12,20 €",
               tax_label: str = "", head: str = "") -> str:
    return (f"<html><head>{head}</head><body><h1>Display iPhone 12</h1>"
            f'<span itemprop="sku">DSP-IP12</span><div class="product-prices">'
            f'<div class="current-price"><span class="price">{price_text}</span></div>'
            f'<div class="tax-shipping-delivery-label">{tax_label}</div></div>'
            f'<span id="product-availability">{availability_text}</span>'
            '<button class="add-to-cart">Aggiungi al carrello</button></body></html>')


# 5. Back-orders ---------------------------------------------------------------------------

@pytest.mark.parametrize("schema", ["BackOrder", "PreOrder", "PreSale"])
def test_schema_back_orders_are_not_in_stock_in_the_generic_layer(schema):
    html = prestashop("", head=jsonld(schema))
    assert extract_product(html, "it")["availability"].value == "BackOrder"
    assert stored(html, supplier()).stock_state == "backorder"


@pytest.mark.parametrize("text", ["Su ordinazione", "In arrivo", "Disponibile su ordinazione",
                                  "Auf Bestellung", "Available on backorder", "Pre-order now"])
def test_back_order_texts_through_a_selector_and_through_the_generic_layer(text):
    html = prestashop(text)
    # the supplier's own words know "disponibile"; the back-order phrase still wins
    assert stored(html, supplier(in_stock=["disponibile"])).stock_state == "backorder"
    assert extract_product(html, "it")["availability"].value == "BackOrder"


def test_a_back_order_text_beats_a_template_in_stock_claim():
    html = prestashop("Disponibile su ordinazione", head=jsonld("InStock"))
    assert extract_product(html, "it")["availability"].value == "BackOrder"


def test_the_suppliers_own_words_come_before_the_usual_phrases():
    # a shop whose "in arrivo" means sold out says so in its file
    config = supplier(out_of_stock=["esaurito", "in arrivo"])
    assert stored(prestashop("In arrivo"), config).stock_state == "out"
    config = supplier(backorder=["ordinabile"])
    assert stored(prestashop("Ordinabile (7-10 gg)"), config).stock_state == "backorder"


# 6. Quantities ----------------------------------------------------------------------------

@pytest.mark.parametrize(("text", "state", "qty"), [
    ("Disponibile (157 pezzi)", "in", 157),
    ("Solo 2 pezzi", "low", 2),
    ("Only 3 left", "low", 3),
    ("Noch 5 Stück", "in", 5),
    ("157 in stock", "in", 157),
    ("Nur noch 1 auf Lager", "low", 1),
    ("Auf Lager, Lieferzeit 2-3 Tage", "unknown", None),  # no count, and no words configured
])
def test_visible_quantities_become_stock_qty_and_a_small_one_is_low(text, state, qty):
    obs = stored(prestashop(text), supplier())
    assert (obs.stock_state, obs.stock_qty) == (state, qty)


def test_the_low_threshold_is_the_suppliers():
    assert stored(prestashop("Noch 5 Stück"), supplier(low_below=10)).stock_state == "low"


def test_inventory_level_on_a_json_ld_page():
    level = ', "inventoryLevel": {"@type": "QuantitativeValue", "value": 2}'
    html = prestashop("", head=jsonld("InStock", level))
    assert extract_product(html, "it")["stock_qty"].value == "2"
    obs = stored(html, supplier())
    assert (obs.stock_state, obs.stock_qty) == ("low", 2)
    html = prestashop("", head=jsonld("InStock", ', "inventoryLevel": 157'))
    assert (stored(html, supplier()).stock_state, stored(html, supplier()).stock_qty) == (
        "in", 157)


def test_the_generic_layer_reads_the_quantity_beside_availability():
    found = extract_product(prestashop("Disponibile (157 pezzi)"), "it")
    assert (found["availability"].value, found["stock_qty"].value) == ("InStock", "157")


# 7. VAT per price -------------------------------------------------------------------------

@pytest.mark.parametrize(("label", "config_included", "net", "gross"), [
    ("IVA esclusa", True, "12.20", "14.88"),
    ("IVA inclusa", False, "10.00", "12.20"),
    ("+ IVA", True, "12.20", "14.88"),
])
def test_a_label_beside_the_configured_price_overrides_the_supplier_switch(
        label, config_included, net, gross):
    obs = stored(prestashop("Disponibile", tax_label=label), supplier(config_included))
    assert (obs.price_net, obs.price_gross) == (Decimal(net), Decimal(gross))
    assert obs.sources["vat_included"].endswith(repr(label))


@pytest.mark.parametrize(("price_text", "net"), [
    ("12,20 € inkl. MwSt.", "10.00"), ("12,20 € zzgl. MwSt.", "12.20"),
    ("€12.20 incl. VAT", "10.00"), ("€12.20 excl. VAT", "12.20"), ("12,20 € tax incl.", "10.00"),
])
def test_a_label_in_the_price_text_decides(price_text, net):
    obs = stored(prestashop("Disponibile", price_text), supplier(vat_included=False))
    assert obs.price_net == Decimal(net)
    assert obs.sources["vat_included"].startswith("gross by price text" if net == "10.00"
                                                  else "net by price text")


def test_json_ld_value_added_tax_included_decides_for_its_price():
    spec = (', "priceSpecification": {"@type": "UnitPriceSpecification", "price": "12.20", '
            '"valueAddedTaxIncluded": false}')
    html = prestashop("Disponibile", "14,88 €", head=jsonld("InStock", spec))
    obs = stored(html, supplier(vat_included=True))
    assert (obs.price_net, obs.price_gross) == (Decimal("12.20"), Decimal("14.88"))
    assert obs.sources["vat_included"] == "net by json-ld false"
    # the selector's price is another amount: the structured flag is not its flag
    obs = stored(html, supplier(vat_included=True, prefer="selectors"))
    assert (obs.price_net, obs.price_gross) == (Decimal("12.20"), Decimal("14.88"))
    assert obs.sources["vat_included"] == "gross by supplier price.vat_included"


def test_without_a_label_the_supplier_switch_applies_and_is_recorded():
    obs = stored(prestashop("Disponibile"), supplier(vat_included=True))
    assert (obs.price_net, obs.price_gross) == (Decimal("10.00"), Decimal("12.20"))
    assert obs.sources["vat_included"] == "gross by supplier price.vat_included"


def test_the_generic_layer_reads_the_label_beside_its_price():
    found = extract_product(prestashop("Disponibile", tax_label="IVA esclusa"), "it")
    assert found["vat_included"].value == "IVA esclusa"


@pytest.mark.parametrize(("text", "included"), [
    ("IVA inclusa", True), ("IVA esclusa", False), ("inkl. 19 % MwSt. zzgl. Versand", True),
    ("zzgl. MwSt.", False), ("Prix TTC", True), ("12,00 € HT", False), ("ex VAT", False),
    ("Prezzo", None), ("HTML5", None),
])
def test_vat_labels(text, included):
    label = normalise.vat_label(text)
    assert (label.included if label else None) == included


# 4. Precedence ----------------------------------------------------------------------------

def test_structured_data_wins_by_default_and_selectors_when_preferred():
    html = prestashop("Disponibile", "11,90 €", head=jsonld("InStock", price="12.20"))
    values, sources = layered_fields(html, supplier().product.fields, "it")
    assert (values["price"], sources["price"]) == ("12.20", "json-ld")
    values, sources = layered_fields(html, supplier(prefer="selectors").product.fields, "it")
    assert (values["price"], sources["price"]) == (
        "11,90 €", "selector .current-price .price::text")
    # a field's own preference beats the page's
    rules = PageRules.model_validate({"prefer": "selectors", "fields": {
        "price": {"css": ".current-price .price::text", "prefer": "structured"}}}).fields
    assert layered_fields(html, rules, "it")[1]["price"] == "json-ld"


# 8. The cheap look at the markup ----------------------------------------------------------

@pytest.mark.parametrize(("markup", "syntaxes"), [
    ('<script type="Application/LD+JSON">{}</script>', ["json-ld"]),
    ("<div ItemScope itemtype=x>", ["microdata"]),
    ("<div data-itemscope>", ["microdata"]),
    ("<div itemscoped>", []),
    ("<div notitemscope>", []),
    ('<div TypeOf = "schema:Product">', ["rdfa"]),
    ("<script>if (typeof x === 'y') {}</script>", []),
    ("<script>var mytypeof=1</script>", []),
    ('<meta Property="og:title"><meta property = \'product:price:amount\'>', ["opengraph"]),
    ("<meta property='twitter:card'>", []),
])
def test_the_markup_check_finds_what_the_regexes_found(markup, syntaxes):
    assert syntaxes_in(f"<html><body>{markup}</body></html>") == syntaxes
