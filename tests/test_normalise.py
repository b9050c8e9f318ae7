import json
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from supplier_pipeline.demo.world import SUPPLIERS_DIR as DEMO_DIR
from supplier_pipeline.lib.scraping import normalise
from supplier_pipeline.lib.scraping.feed import map_columns
from supplier_pipeline.lib.scraping.observe import observation
from supplier_pipeline.lib.suppliers.config import load_supplier


@pytest.mark.parametrize(("text", "locale", "amount", "currency"), [
    ("€ 1.299,00", "it", "1299.00", "EUR"),
    ("€ 12,50 IVA inclusa", "it", "12.50", "EUR"),
    ("12,50 € IVA esclusa", "it", "12.50", "EUR"),
    ("1299.00 EUR", "en", "1299.00", "EUR"),
    ("€81.44 excl. VAT", "en", "81.44", "EUR"),
    ("12.34", "de", "12.34", None),  # a machine value inside a German feed
    ("12,34", "de", "12.34", None),
    ("$1,299.99", "en", "1299.99", "USD"),
    ("£ 7.5", "en", "7.50", "GBP"),
])
def test_parse_price(text, locale, amount, currency):
    parsed = normalise.parse_price(text, locale)
    assert parsed.amount == Decimal(amount)
    assert parsed.currency == currency


@pytest.mark.parametrize("text", [None, "", "   ", "Prezzo su richiesta", "€ 0,00",
                                  "0,001 €"])
def test_unreadable_price_is_none_with_a_reason_never_zero(text):
    parsed = normalise.parse_price(text, "it")
    assert parsed.amount is None and parsed.problem


@pytest.mark.parametrize(("text", "locale"), [
    ("-12,50", "it"), ("€ -12,50", "it"), ("-€12.50", "en"), ("\u2212 12,50 €", "it"),
    ("+5,00 €", "it"), ("Sconto: -3,00 €", "it"), ("2 x -12,50", "it"),
])
def test_a_signed_price_is_refused_with_a_reason_never_read_without_its_sign(text, locale):
    parsed = normalise.parse_price(text, locale)
    assert parsed.amount is None
    assert "signed number" in parsed.problem and text.strip()[:10] in parsed.problem


@pytest.mark.parametrize(("text", "locale", "amount"), [
    ("12,50 € (-10%)", "it", "12.50"),  # the discount beside the price is not its sign
    ("1.299,00 - 1.499,00 €", "it", "1299.00"),  # a range's dash follows a digit
    ("Prezzo 12,50", "it", "12.50"),
])
def test_a_dash_that_is_not_the_price_sign_is_left_alone(text, locale, amount):
    assert normalise.parse_price(text, locale).amount == Decimal(amount)


@pytest.mark.parametrize(("text", "locale", "amount", "currency"), [
    ("2 x 12,50", "it", "12.50", None),
    ("2x €12.50", "en", "12.50", "EUR"),
    ("€ 2 x 12,50", "it", "12.50", "EUR"),
    ("2 × 12,50 € = 25,00 €", "it", "12.50", "EUR"),
    ("3 pz a 4,00", "it", "4.00", None),
    ("3 pz. à 4,00 €", "fr", "4.00", "EUR"),
    ("10 Stk. je 1,99 €", "de", "1.99", "EUR"),
    ("買1箱 每箱 839 元", "zh", "839.00", None),
    ("12,50 x 2", "it", "12.50", None),  # the price first: read as it stands
])
def test_a_multiplied_quantity_gives_the_price_of_one(text, locale, amount, currency):
    parsed = normalise.parse_price(text, locale)
    assert parsed.amount == Decimal(amount)
    if currency:
        assert parsed.currency == currency


@pytest.mark.parametrize(("body", "amount"), [
    ('{"price": 2.499}', "2.50"),  # a JSON number: its point is a decimal point
    ('{"price": "2.499"}', "2499.00"),  # a JSON string: the shop's text, read by locale
    ('{"price": "2,499"}', "2.50"),
    ('{"price": 1299}', "1299.00"),
    ('{"price": 1299.5}', "1299.50"),
    ('{"price": 12.345e1}', "123.45"),
])
def test_a_feed_number_is_read_as_a_number_whatever_the_locale(body, amount):
    fields = map_columns(json.loads(body), {"price": "price"})
    assert normalise.parse_price(fields["price"], "de").amount == Decimal(amount)


@pytest.mark.parametrize("body", ['{"price": -3}', '{"price": 0}', '{"price": 0.001}',
                                  '{"price": NaN}', '{"price": Infinity}'])
def test_a_feed_number_that_is_no_price_is_refused(body):
    fields = map_columns(json.loads(body), {"price": "price"})
    parsed = normalise.parse_price(fields["price"], "de", "EUR")
    assert parsed.amount is None and parsed.currency is None and parsed.problem


@pytest.mark.parametrize(("price", "net", "problem"), [
    (2.499, "2.50", None),
    ("-12,50", None, "price: signed number in '-12,50'"),
    ("2 x 12,50", "12.50", None),
    (0.001, None, "price: non-positive price in '0.001'"),
])
def test_the_observation_stores_the_price_or_null_with_the_reason(price, net, problem):
    config = load_supplier(DEMO_DIR / "teile_feed.yaml", environ={})  # locale: de
    record = {"sku": "A1", "price_net": price}
    obs = observation(config, map_columns(record, {"sku": "sku", "price": "price_net"}),
                      datetime(2026, 1, 1, tzinfo=UTC))
    assert obs.price_net == (Decimal(net) if net else None)
    if problem:
        assert obs.price_gross is None and any(p.startswith(problem) for p in obs.problems)
    else:
        assert obs.problems == []


def test_net_and_gross_use_exact_decimals():
    assert normalise.net_and_gross(Decimal("123.38"), True, 22) == (Decimal("101.13"),
                                                                   Decimal("123.38"))
    assert normalise.net_and_gross(Decimal("10.00"), False, 22) == (Decimal("10.00"),
                                                                   Decimal("12.20"))


IT = {"in_stock": ["disponibile"], "out_of_stock": ["esaurito", "in arrivo"], "low": ["solo"],
      "quantity_pattern": r"(\d+)\s*pezz"}


@pytest.mark.parametrize(("text", "state", "qty"), [
    ("Disponibile", "in", None), ("Esaurito", "out", 0), ("In arrivo", "out", 0),
    ("Solo 3 pezzi", "low", 3), ("Solo 1 pezzo", "low", 1), ("12", "in", 12), ("2", "low", 2),
    ("0", "out", 0), ("Chiamare", "unknown", None), (None, "unknown", None),
    ("Disponibile su ordinazione", "backorder", None), ("Su ordinazione", "backorder", None),
    ("Disponibile (157 pezzi)", "in", 157), ("https://schema.org/PreOrder", "backorder", None),
])
def test_parse_stock_italian(text, state, qty):
    reading = normalise.parse_stock(text, **IT)
    assert (reading.state, reading.quantity) == (state, qty)
    assert (reading.problem is not None) == (state == "unknown")


@pytest.mark.parametrize(("text", "part_type", "quality", "colour"), [
    ("Display LCD iPhone 13 OLED Nero", "display", "oled", "black"),
    ("Batteria Samsung Galaxy S22 Originale", "battery", "original", None),
    ("Rückglas für Apple iPhone 12 (Nachbau, Weiß)", "back_glass", "aftermarket", "white"),
    ("Galaxy A52 Display Assembly - Service Pack - Blue", "display", "service_pack", "blue"),
    ("Connettore di ricarica Redmi Note 10 Compatibile", "charging_port", "aftermarket", None),
])
def test_attribute_vocabulary_across_languages(text, part_type, quality, colour):
    assert normalise.part_type(text) == part_type
    assert normalise.quality(text) == quality
    assert normalise.colour(text) == colour


def test_device_model_drops_the_brand_prefix():
    assert normalise.device_model("Samsung", "Samsung Galaxy S22") == "galaxy s22"
    assert normalise.device_model("Samsung", "Galaxy  S22") == "galaxy s22"
