from decimal import Decimal

import pytest

from supplier_pipeline.lib.scraping import normalise


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


@pytest.mark.parametrize("text", [None, "", "   ", "Prezzo su richiesta", "€ 0,00"])
def test_unreadable_price_is_none_with_a_reason_never_zero(text):
    parsed = normalise.parse_price(text, "it")
    assert parsed.amount is None and parsed.problem


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
