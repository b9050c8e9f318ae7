"""Back-orders with a date (issue #17): the expected day read from what a shop shows, in each
of its languages, stored on the observation, carried through staging into the offer marts,
where purchasing counts on a back-order from that day on."""

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pandas as pd
import pytest

from supplier_pipeline.lib.scraping.backorder import expected_date
from supplier_pipeline.lib.scraping.observe import observation
from supplier_pipeline.lib.scraping.records import Observation
from supplier_pipeline.lib.scraping.scrape import ScrapeResult
from supplier_pipeline.lib.scraping.store import store_scrape
from supplier_pipeline.lib.suppliers.config import SupplierConfig
from supplier_pipeline.lib.tables import OBSERVATION_COLUMNS
from supplier_pipeline.lib.warehouse import Warehouse

FRIDAY = datetime(2026, 11, 20, 9, tzinfo=UTC)


@pytest.mark.parametrize("text, locale, expected", [
    # delays, counted from the day seen, at their upper end
    ("Su ordinazione, spedizione in 5-7 giorni", "it", date(2026, 11, 27)),
    ("Lieferzeit 3-5 Werktage", "de", date(2026, 11, 27)),  # Mon-Fri, no weekend days
    ("Pre-order: ships in 2 weeks", "en", date(2026, 12, 4)),
    ("Sur commande, expédié sous 10 jours", "fr", date(2026, 11, 30)),
    ("Bajo pedido, disponible en 3 semanas", "es", date(2026, 12, 11)),
    ("entre 5 y 7 días hábiles", "es", date(2026, 12, 1)),
    ("5/7 giorni lavorativi", "it", date(2026, 12, 1)),  # a range of days, not 5 July
    ("In riassortimento, spedizione in 24/48h", "it", date(2026, 11, 22)),
    ("Vorbestellbar, Lieferung in einer Woche", "de", date(2026, 11, 27)),
    ("back in stock in 1-2 months", "en", date(2027, 1, 20)),
    # dates, day first in it/de/fr/es
    ("In arrivo il 15/12/2026", "it", date(2026, 12, 15)),
    ("disponibile dal 15 dicembre", "it", date(2026, 12, 15)),
    ("Lieferbar ab 12.01.2027", "de", date(2027, 1, 12)),
    ("Vorbestellbar, Lieferung ab 12. Januar", "de", date(2027, 1, 12)),  # the nearest 12 Jan
    ("Available from 12 January 2027", "en", date(2027, 1, 12)),
    ("Available from January 12, 2027", "en", date(2027, 1, 12)),
    ("Précommande, disponible le 12/01/2027", "fr", date(2027, 1, 12)),
    ("Disponible à partir du 1er février 2027", "fr", date(2027, 2, 1)),
    ("Preventa, disponible el 15 de diciembre de 2026", "es", date(2026, 12, 15)),
    ("Pre-order, ships 12/25/2026", "en_US", date(2026, 12, 25)),
    ("Pre-order, ships 01/02/2027", "en_US", date(2027, 1, 2)),
    ("2027-01-12T00:00:00+01:00", "it", date(2027, 1, 12)),  # schema.org availabilityStarts
    ("ab Januar 2027", "de", date(2027, 1, 31)),  # a month: its last day
    ("in arrivo tra il 10/12 e il 15/12", "it", date(2026, 12, 15)),  # the later date
    # nothing to read
    ("Su ordinazione", "it", None),
    ("Prezzo 12.50 €, in arrivo", "it", None),
    ("3 pezzi in arrivo", "it", None),
])
def test_the_expected_day_in_each_language(text, locale, expected):
    found = expected_date(text, FRIDAY, locale)
    assert (found.on, found.problem) == (expected, None)


@pytest.mark.parametrize("text, why", [
    ("In arrivo il 15/01/2026", "before the observation"),
    ("disponibile dal 10 novembre", "before the observation"),  # ten days ago, not next year
    ("Lieferbar ab 31.12.2099", "more than 365 days ahead"),
    ("Disponibile tra 18 mesi", "more than 365 days ahead"),
])
def test_a_past_or_far_date_is_refused_with_the_reason(text, why):
    found = expected_date(text, FRIDAY, "it")
    assert found.on is None and why in found.problem


def shop(locale: str = "it") -> SupplierConfig:
    return SupplierConfig.model_validate({
        "id": "s", "name": "Shop", "base_url": "https://shop.example.it", "engine": "html",
        "listing": {"start_path": "/", "item": ".product", "fields": {}},
        "price": {"locale": locale, "vat_included": True, "vat_rate": 22},
        "stock": {"in_stock": ["disponibile"]}})


def test_the_observation_records_the_day_and_where_it_came_from():
    obs = observation(shop(), {"sku": "A1", "price": "10,00", "stock": "Su ordinazione, "
                               "spedizione in 5-7 giorni"}, FRIDAY)
    assert (obs.stock_state, obs.backorder_until) == ("backorder", date(2026, 11, 27))
    assert obs.sources["backorder_until"] == "stock" and obs.problems == []
    stated = observation(shop(), {"sku": "A1", "stock": "https://schema.org/PreOrder",
                                  "available_from": "2027-01-12"}, FRIDAY)
    assert (stated.backorder_until, stated.sources["backorder_until"]) == (
        date(2027, 1, 12), "available_from")
    assert stated.as_row()["backorder_until"] == date(2027, 1, 12)


def test_only_a_back_order_has_a_day_and_a_stale_one_is_a_problem():
    shelf = observation(shop(), {"sku": "A1", "stock": "Disponibile, spedizione in 24h"},
                        FRIDAY)
    assert (shelf.stock_state, shelf.backorder_until) == ("in", None)
    stale = observation(shop(), {"sku": "A1", "stock": "In arrivo il 15/01/2026"}, FRIDAY)
    assert (stale.stock_state, stale.backorder_until) == ("backorder", None)
    assert stale.problems == ["stock: back-order date 2026-01-15 is before the observation "
                              "(2026-11-20): ignored"]
    # a refused stated date leaves the stock text to say when
    fallback = observation(shop(), {"sku": "A1", "stock": "Su ordinazione, 5-7 giorni",
                                    "available_from": "2099-12-31"}, FRIDAY)
    assert fallback.backorder_until == date(2026, 11, 27) and len(fallback.problems) == 1


@pytest.fixture(params=["duckdb", "postgres"])
def store(request, tmp_path):
    if request.param == "duckdb":
        return Warehouse(None, tmp_path / "w.duckdb")
    return Warehouse(request.getfixturevalue("postgres_dsn"))


def offer(sku: str, stock_state: str, backorder_until: date | None = None,
          observed_at: datetime = FRIDAY, price: str = "10.00") -> Observation:
    return Observation("s", sku, observed_at, title=sku, price_net=Decimal(price),
                       price_gross=Decimal(price) * Decimal("1.22"), currency="EUR",
                       stock_state=stock_state, backorder_until=backorder_until)


def test_a_warehouse_from_before_gains_the_column_and_stores_the_day(store):
    """raw.supplier_offers as an earlier version created it: the next write adds the column."""
    older = [(name, kind) for name, kind in OBSERVATION_COLUMNS if name != "backorder_until"]
    with store.connect() as connection:
        store.execute(connection, "create schema if not exists raw")
        store.execute(connection, "create table raw.supplier_offers ("
                      + ", ".join(f"{name} {kind}" for name, kind in older) + ")")
    result = ScrapeResult("s", "prices", [offer("a", "backorder", date(2026, 12, 15)),
                                          offer("b", "in")], [])
    store_scrape(store, result, FRIDAY, "run-1", "ok", None)
    rows = store.read("select supplier_sku, backorder_until from raw.supplier_offers "
                      "order by supplier_sku")
    days = [None if pd.isna(v) else pd.Timestamp(v).date() for v in rows["backorder_until"]]
    assert days == [date(2026, 12, 15), None]


def test_the_offer_terms_count_on_a_dated_back_order_from_its_day(store, run_dbt):
    """Scrape -> staging -> mart_best_offer -> mart_offer_terms: on the shelf, back-ordered
    with a day, back-ordered with none; then the mart's unit test on a fixed today."""
    now = datetime.now(UTC)
    store.replace("raw.suppliers", [{"supplier_id": "s", "supplier_name": "Shop",
                                     "engine": "html", "base_url": "https://shop.example.it",
                                     "lead_time_days": 2, "shipping_fee": Decimal("0")}], {})
    store.replace("raw.shop_parts", [{"part_id": "p1", "part_type": "display"}], {})
    store.replace("matching.offer_part_matches", [
        {"supplier_id": "s", "supplier_sku": sku, "part_id": "p1", "method": "ean",
         "confidence": 1.0} for sku in ("shelf", "dated", "undated")], {})
    ahead = (now + timedelta(days=10)).date()
    result = ScrapeResult("s", "prices", [offer("shelf", "in", observed_at=now),
                                          offer("dated", "backorder", ahead, now, "9.00"),
                                          offer("undated", "backorder", None, now, "8.00")], [])
    store_scrape(store, result, now.replace(minute=0, second=0, microsecond=0), "run-1", "ok",
                 None)
    run_dbt(store, "seed", "--quiet")
    run_dbt(store, "run", "--select", "+mart_offer_terms", "--quiet")
    terms = store.read("select supplier_sku, backorder_until, days_until_available, "
                       "supplier_lead_time_days, lead_time_days, is_eligible, "
                       "ineligible_reason from marts.mart_offer_terms").set_index("supplier_sku")
    today = pd.Timestamp(store.read("select current_date as today")["today"].iloc[0]).date()
    wait = (ahead - today).days
    assert pd.Timestamp(terms.loc["dated", "backorder_until"]).date() == ahead
    assert terms.loc["dated", "days_until_available"] == wait
    assert terms.loc["dated", "lead_time_days"] == wait + 2
    assert terms.loc["shelf", "lead_time_days"] == 2
    assert bool(terms.loc["shelf", "is_eligible"]) and bool(terms.loc["dated", "is_eligible"])
    assert not terms.loc["undated", "is_eligible"]
    assert terms.loc["undated", "ineligible_reason"] == "back-order with no date shown"
    run_dbt(store, "test", "--select", "mart_offer_terms,test_type:unit", "--quiet")


JSON_LD = ('<html><head><script type="application/ld+json">{"@context": "https://schema.org", '
           '"@type": "Product", "name": "Display iPhone 12", "sku": "DSP-IP12", "offers": '
           '{"@type": "Offer", "price": "12.20", "priceCurrency": "EUR", "availability": '
           '"https://schema.org/PreOrder", "availabilityStarts": "2027-01-12T00:00:00+01:00"}}'
           '</script></head><body><h1>Display iPhone 12</h1></body></html>')
MICRODATA = ('<html><body><div itemscope itemtype="https://schema.org/Product">'
             '<h1 itemprop="name">Display iPhone 12</h1><span itemprop="sku">DSP-IP12</span>'
             '<div itemprop="offers" itemscope itemtype="https://schema.org/Offer">'
             '<span itemprop="price" content="12.20">12,20 €</span>'
             '<meta itemprop="priceCurrency" content="EUR">'
             '<link itemprop="availability" href="https://schema.org/BackOrder">'
             '<meta itemprop="availabilityStarts" content="2026-12-15"></div></div>'
             '</body></html>')


@pytest.mark.parametrize("html, expected", [(JSON_LD, date(2027, 1, 12)),
                                            (MICRODATA, date(2026, 12, 15))],
                         ids=["json-ld", "microdata"])
def test_schema_org_availability_starts_is_the_day(html, expected):
    from supplier_pipeline.lib.extraction.layers import layered_fields

    values, sources = layered_fields(html, {}, "it")
    obs = observation(shop(), values, FRIDAY, sources=sources)
    assert (obs.stock_state, obs.backorder_until) == ("backorder", expected)
    assert obs.sources["backorder_until"] == "available_from"


def test_the_delay_the_page_shows_dates_a_structured_back_order():
    """JSON-LD says BackOrder and no day; the stock text the configured selector reads says
    when: the structured state is kept and the shown delay dates it."""
    from supplier_pipeline.lib.extraction.layers import layered_fields
    from supplier_pipeline.lib.suppliers.config import FieldRule

    html = JSON_LD.replace('"https://schema.org/PreOrder", "availabilityStarts": '
                           '"2027-01-12T00:00:00+01:00"', '"https://schema.org/BackOrder"')
    html = html.replace("</h1>", '</h1><p class="stock">Su ordinazione: disponibile tra 5-7 '
                        "giorni</p>")
    values, sources = layered_fields(html, {"stock": FieldRule(css=["p.stock::text"])}, "it")
    assert sources["stock"] == "json-ld"  # structured data stays first for the state
    obs = observation(shop(), values, FRIDAY, sources=sources)
    assert (obs.stock_state, obs.backorder_until) == ("backorder", date(2026, 11, 27))
    assert obs.sources["backorder_until"] == "stock_shown" and obs.problems == []
