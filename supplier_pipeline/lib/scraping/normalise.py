"""Turn the text a shop shows into typed values: exact prices, stock states, part attributes.

A value that cannot be read becomes None (price) or `unknown` (stock) with a reason; never a
guess and never zero.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, replace
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from functools import lru_cache

from price_parser import Price

CURRENCY_SYMBOLS = {"€": "EUR", "eur": "EUR", "euro": "EUR", "$": "USD", "usd": "USD",
                    "£": "GBP", "gbp": "GBP", "chf": "CHF", "fr.": "CHF"}
# Locales whose shops write `1.299,00`: the comma is the decimal separator.
COMMA_DECIMAL_LOCALES = {"it", "de", "fr", "es", "pt", "nl"}
CENT = Decimal("0.01")


@dataclass(frozen=True)
class ParsedPrice:
    amount: Decimal | None
    currency: str | None
    problem: str | None = None


# The digits of one written number, with its grouping and decimal marks.
NUMBER_TEXT = re.compile(r"\d[\d.,\s\u00a0\u202f']*\d|\d")
# A sign just before the number (after a currency, at most one space): a discount, a surcharge
# or a difference, never a price. A dash after a digit or a letter ("1-4 pz") is not a sign.
SIGN_BEFORE = re.compile(r"(?<![\w.,])[-+\u2212]\s?(?:(?:[€$£]|EUR|USD|GBP|CHF)\s?)?$",
                         re.IGNORECASE)
_PRICE_AHEAD = r"\s*(?=[-+\u2212]?\s?(?:[€$£]|EUR|USD|GBP|CHF)?\s?\d)"
# A count and the price of one: "2 x 12,50", "3 pz a 4,00", "買1箱 每箱 839 元". The price is
# what follows the marker; the whole text read at once would give the count.
PER_UNIT = re.compile(
    r"(?<![\d.,])\d{1,5}\s*(?:[x×*]|(?:pz|pezzi|pcs?|pieces?|stk|stück)\.?\s+(?:a|à|@|je|each))"
    + _PRICE_AHEAD + r"|每[^\d\s]{0,2}" + _PRICE_AHEAD, re.IGNORECASE)


class FeedNumber(str):
    """A value a feed sent as a number (JSON), not as text: its `.` is the decimal point
    whatever the supplier's locale, so `2.499` is 2.499 (2.50 to the cent), never 2499."""


def decimal_separator(text: str, locale: str) -> str:
    """The decimal separator the text uses; the locale only settles `1.299` vs `1,299`."""
    number = NUMBER_TEXT.search(text)
    digits = number.group(0) if number else ""
    dot, comma = digits.rfind("."), digits.rfind(",")
    default = "," if locale.split("_")[0].lower() in COMMA_DECIMAL_LOCALES else "."
    if dot >= 0 and comma >= 0:
        return "." if dot > comma else ","
    if dot < 0 and comma < 0:
        return default
    mark = "." if dot >= 0 else ","
    if digits.count(mark) > 1:  # 1.299.000 : a thousands separator
        return "," if mark == "." else "."
    decimals = len(digits) - max(dot, comma) - 1
    return default if decimals == 3 else mark


def _signed(text: str) -> bool:
    number = NUMBER_TEXT.search(text)
    return number is not None and SIGN_BEFORE.search(text[:number.start()]) is not None


def _positive_cents(amount: Decimal | None, text: str) -> ParsedPrice:
    shown = repr(text.strip()[:40])
    if amount is None:
        return ParsedPrice(None, None, f"no number in {shown}")
    if not amount.is_finite():  # a feed's NaN or Infinity
        return ParsedPrice(None, None, f"unreadable number in {shown}")
    try:
        cents = amount.quantize(CENT, rounding=ROUND_HALF_UP)
    except InvalidOperation:  # more digits than a Decimal holds: no shop's price
        return ParsedPrice(None, None, f"unreadable number in {shown}")
    if cents <= 0:  # 0.001 too: stored to the cent, it would be a free part
        return ParsedPrice(None, None, f"non-positive price in {shown}")
    return ParsedPrice(cents, None)


def parse_price(text: str | None, locale: str = "en",
                default_currency: str | None = None) -> ParsedPrice:
    """`€ 1.299,00` -> 1299.00 EUR; the locale settles `1.299` vs `1,299`. `2 x 12,50` is
    12.50 (the price of one); a signed number (`-12,50`) is refused, never read as 12.50."""
    if text is None or not text.strip():
        return ParsedPrice(None, None, "no price text")
    if isinstance(text, FeedNumber):  # str() of an int or a float: Decimal always reads it
        read = _positive_cents(Decimal(text), text)
        return replace(read, currency=default_currency) if read.amount is not None else read
    per_unit = PER_UNIT.search(text)
    number = text[per_unit.end():] if per_unit else text
    if _signed(number):
        return ParsedPrice(None, None, f"signed number in {text.strip()[:40]!r}: a discount, "
                                       "surcharge or difference, not a price")
    parsed = Price.fromstring(number, decimal_separator=decimal_separator(number, locale))
    read = _positive_cents(parsed.amount, text)
    if read.amount is None:
        return read
    currency_text = parsed.currency or (Price.fromstring(text).currency if per_unit else None)
    symbol = (currency_text or "").strip().lower()
    currency = CURRENCY_SYMBOLS.get(symbol, symbol.upper() or None) or default_currency
    return replace(read, currency=currency)


# A price in a quantity-break table: with a currency, or with two decimals.
PRICE_TOKEN = re.compile(r"(?:[€$£]|\b(?:EUR|USD|GBP|CHF)\b)\s*\d[\d.,]*\d"
                         r"|\d[\d.,]*[.,]\d{2}(?!\d)(?:\s*(?:[€$£]|\b(?:EUR|USD|GBP|CHF)\b))?")
# The first whole number that is not a percentage ("save 5%") nor part of a price.
QUANTITY = re.compile(r"(?<![\d.,])(\d{1,5})(?![\d.,]*\s*%)(?![.,]\d)")


def parse_price_breaks(text: str | None, locale: str = "en",
                       default_currency: str | None = None) -> list[tuple[int, Decimal]]:
    """Quantity-break prices: `da 5 pz € 11,90  da 10 pz € 10,90`, `1-4 12,50 € | 5+ 11,90 €`,
    `Buy 5 for €11.90 each and save 5%` -> [(5, 11.90), (10, 10.90)], by minimum quantity.
    Each price takes the quantity written between it and the previous price. Empty when the
    text shows no tier above one piece."""
    if not text:
        return []
    tiers: dict[int, Decimal] = {}
    start = 0
    for token in PRICE_TOKEN.finditer(text):
        quantity = QUANTITY.search(text[start:token.start()])
        start = token.end()
        price = parse_price(token.group(0), locale, default_currency)
        if quantity and price.amount is not None:
            tiers.setdefault(int(quantity.group(1)), price.amount)
    breaks = sorted(tiers.items())
    return breaks if any(minimum > 1 for minimum, _ in breaks) else []


def price_breaks_text(breaks: list[tuple[int, Decimal]]) -> str:
    """The canonical form, which parse_price_breaks reads back: `1+: 12.50; 5+: 11.90`."""
    return "; ".join(f"{minimum}+: {price}" for minimum, price in breaks)


def decimal_or_none(value: object) -> Decimal | None:
    try:
        return Decimal(str(value).replace(",", ".")) if value not in (None, "") else None
    except InvalidOperation:
        return None


def net_and_gross(amount: Decimal, vat_included: bool,
                  vat_rate: float) -> tuple[Decimal, Decimal]:
    factor = 1 + Decimal(str(vat_rate)) / 100
    if vat_included:
        return (amount / factor).quantize(CENT, rounding=ROUND_HALF_UP), amount
    return amount, (amount * factor).quantize(CENT, rounding=ROUND_HALF_UP)


# Texts that say the product can be ordered but is not on the shelf (back-order, pre-order,
# made or bought to order), in the shops' languages. One vocabulary for configured selectors
# and the generic layer. Phrases, not words: "ordinazione" alone is also the shop's
# "ordering" menu, and "available to order online" (IKEA) means in stock.
BACKORDER_WORDS = ("su ordinazione", "in arrivo", "in riassortimento", "prenotabile",
                   "preordine", "pre-ordine", "backorder", "back-order", "back order",
                   "pre-order", "preorder", "pre order", "auf bestellung", "vorbestellbar",
                   "vorbestellung", "bestellartikel", "im zulauf", "sur commande",
                   "précommande", "pré-commande", "en réapprovisionnement", "bajo pedido",
                   "sobre pedido", "preventa", "sob encomenda", "pré-venda", "op bestelling",
                   "nabestelling")
# schema.org availability values (the part after the last `/`, lower case)
SCHEMA_IN = ("instock", "limitedavailability", "onlineonly", "instoreonly")
SCHEMA_OUT = ("outofstock", "soldout", "discontinued")
SCHEMA_BACKORDER = ("backorder", "preorder", "presale")

_COUNT = r"(\d{1,3}(?:[.,'\u00a0 ]\d{3})+(?!\d)|\d{1,7})"
_UNITS = (r"pezzi|pezzo|pz\.?|pcs\.?|pieces?|items?|units?|stück|stk\.?|unità|unités?"
          r"|unidad(?:es)?|peças|stuks|szt\.?|st\.")
_THERE = (r"in stock|left|available|disponibil[ie]|in magazzino|auf lager|vorrätig"
          r"|verfügbar|en stock|disponibles?|op voorraad|на складе")
# A count of what the shop holds: "157 pezzi", "Only 3 left", "Noch 5 Stück", "157 in stock",
# "Disponibilità: 12". A count of days ("2-3 giorni") or of anything else is not one.
STOCK_QUANTITY = re.compile(
    rf"(?<![\d.,-]){_COUNT}\s*(?:{_UNITS}|{_THERE})(?![\w-])"
    rf"|(?<![\w])(?:only|just|solo|soltanto|ultimi|ultime|rimangono|restano|nur noch|noch"
    rf"|plus que|seulement|quedan|sólo|nog|stock|qty|quantità|disponibilità|lagerbestand"
    rf"|bestand|quantity|inventory)\s*:?\s*{_COUNT}(?![\d.,]?\d)(?!\s*(?:-|–|giorn|days?|tage"
    rf"|jours|días|dias|ore|hours?|stunden|werktage|%))", re.IGNORECASE)


def stock_quantity(text: str | None) -> int | None:
    """The quantity a stock text states ("Disponibile (157 pezzi)" -> 157), None when it
    states none."""
    match = STOCK_QUANTITY.search(text or "")
    if match is None:
        return None
    digits = re.sub(r"\D", "", match.group(1) or match.group(2))
    return int(digits)


def is_backorder(text: str | None) -> bool:
    lowered = (text or "").lower()
    return any(word in lowered for word in BACKORDER_WORDS)


@dataclass(frozen=True)
class StockReading:
    state: str  # in / low / out / backorder / unknown
    quantity: int | None
    problem: str | None = None


def parse_stock(text: str | None, in_stock: list[str], out_of_stock: list[str], low: list[str],
                quantity_pattern: str | None = None, low_below: int = 4,
                backorder: tuple[str, ...] | list[str] = ()) -> StockReading:
    """Stock text -> state. The supplier's own words first (its back-order and out-of-stock
    words, so that a shop whose "in arrivo" means sold out keeps it), then the back-order
    phrases every shop uses, then its low words, a quantity (configured pattern, else the
    shop's usual wording, "157 pezzi"), then its in-stock words."""
    if text is None or not str(text).strip():
        return StockReading("unknown", None, "no stock text")
    raw = str(text).strip()
    lowered = raw.lower()
    schema_value = lowered.rsplit("/", 1)[-1]  # schema.org availability from structured data
    if schema_value in SCHEMA_IN:
        return StockReading("in", None)
    if schema_value in SCHEMA_OUT:
        return StockReading("out", 0)
    if schema_value in SCHEMA_BACKORDER:
        return StockReading("backorder", None)
    quantity = None
    if quantity_pattern and (match := re.search(quantity_pattern, lowered)):
        quantity = int(match.group(1))
    elif re.fullmatch(r"\d+", lowered):
        quantity = int(lowered)
    else:
        quantity = stock_quantity(raw)
    if any(word.lower() in lowered for word in backorder):
        return StockReading("backorder", quantity)
    if any(word in lowered for word in out_of_stock) or quantity == 0:
        return StockReading("out", 0)
    if is_backorder(lowered):
        return StockReading("backorder", quantity)
    if any(word in lowered for word in low):
        return StockReading("low", quantity)
    if quantity is not None:
        return StockReading("low" if quantity < low_below else "in", quantity)
    if any(word in lowered for word in in_stock):
        return StockReading("in", None)
    return StockReading("unknown", None, f"unrecognised stock text {raw[:40]!r}")


def with_quantity(reading: StockReading, quantity: int | None, low_below: int) -> StockReading:
    """A reading completed by a quantity stated apart from the stock text (JSON-LD
    `inventoryLevel`): it sets `low` or `out` for a product merely said to be in stock, or
    a state where the text gave none. Back-orders and stated out-of-stock stay as they are."""
    if quantity is None or reading.quantity is not None or reading.state in ("out",
                                                                              "backorder"):
        return reading
    if quantity <= 0:
        return StockReading("out", 0)
    if reading.state in ("in", "unknown"):
        return StockReading("low" if quantity < low_below else "in", quantity)
    return StockReading(reading.state, quantity)


@dataclass(frozen=True)
class VatLabel:
    included: bool
    label: str  # the words as the page shows them


_VAT = r"(?:iva|vat|mwst\.?|ust\.?|tva|btw|tax|taxes|mehrwertsteuer)"
_RATE = r"(?:\d{1,2}(?:[.,]\d)?\s*%\s*)?"
VAT_INCLUDED = re.compile(
    rf"(?<!\w)(?:{_VAT}\s*(?:inclusa|incluso|inclusi|incl\.?|inkl\.?|included|incluid[ao]|incluse|"
    rf"inclus|comprise)|ivat[oia]|(?:incl\.?|inkl\.?|inklusive|including|inc\.?|con|"
    rf"avec|com)\s*{_RATE}{_VAT}|ttc|tvac)(?![\w])", re.IGNORECASE)
VAT_EXCLUDED = re.compile(
    rf"(?<!\w)(?:{_VAT}\s*(?:esclusa|escluso|esclusi|escl\.?|exkl\.?|excl\.?|excluded|"
    rf"excluid[ao]|non compres[ao]|no incluid[ao]|non comprise)|(?:\+|plus|zzgl\.?|"
    rf"zuzüglich|exkl\.?|excl\.?|excluding|ex\.?|escluso|esclusa|sin|sem|hors)\s*{_RATE}"
    rf"{_VAT}|ht|h\.t\.)(?![\w])", re.IGNORECASE)


def vat_label(text: str | None) -> VatLabel | None:
    """The first VAT label in a price's text or its block: "IVA inclusa", "inkl. MwSt.",
    "incl. VAT", "tax incl.", "TTC" (gross); "IVA esclusa", "+ IVA", "zzgl. MwSt.",
    "excl. VAT", "HT" (net)."""
    if not text:
        return None
    found = [(m.start(), VatLabel(kind, m.group(0).strip())) for kind, pattern in
             ((True, VAT_INCLUDED), (False, VAT_EXCLUDED)) if (m := pattern.search(text))]
    return min(found, key=lambda pair: pair[0])[1] if found else None


@lru_cache(maxsize=8192)
def _plain(text: str) -> str:
    """Lower case, accents dropped, spaces collapsed. Cached: a title is looked up for its part
    type, quality and colour, on the listing and again on the product page."""
    lowered = text.lower()
    if lowered.isascii():
        return " ".join(lowered.split())
    decomposed = unicodedata.normalize("NFKD", lowered.replace("ß", "ss"))
    return " ".join("".join(c for c in decomposed if not unicodedata.combining(c)).split())


# canonical value -> words that mean it in the shops' languages (IT, EN, DE, FR, ES)
PART_TYPE_WORDS = {
    "display": ["display", "lcd", "schermo", "screen", "ecran", "pantalla", "touchscreen"],
    "battery": ["batteria", "battery", "akku", "batterie", "bateria"],
    "back_glass": ["back glass", "vetro posteriore", "ruckglas", "backcover", "scocca",
                   "cover posteriore", "vitre arriere", "tapa trasera"],
    "charging_port": ["charging port", "connettore di ricarica", "ladebuchse", "dock",
                      "connecteur de charge", "conector de carga", "porta di ricarica"],
    "rear_camera": ["rear camera", "fotocamera posteriore", "hauptkamera", "back camera",
                    "camera arriere", "camara trasera"],
    "front_camera": ["front camera", "fotocamera anteriore", "frontkamera", "selfie camera",
                     "camera avant", "camara frontal"],
}
QUALITY_WORDS = {
    "service_pack": ["service pack", "servicepack", "gh82"],
    "oled": ["oled", "soft oled", "hard oled"],
    "incell": ["incell", "in-cell", "in cell"],
    # not the English "compatible": "compatible with iPhone 12" says what it fits, not its grade
    "aftermarket": ["aftermarket", "compatibile", "nachbau", "copy", "generico"],
    "original": ["original", "originale", "oem", "genuine", "orig"],
}
COLOUR_WORDS = {
    "black": ["black", "nero", "schwarz", "noir", "negro"],
    "white": ["white", "bianco", "weiss", "blanc", "blanco"],
    "blue": ["blue", "blu", "blau", "bleu", "azul"],
}


def _patterns(table: dict[str, list[str]]) -> list[tuple[str, re.Pattern]]:
    """One whole-word pattern per canonical value, in the table's order of precedence."""
    return [(canonical, re.compile(r"\b(?:" + "|".join(re.escape(w) for w in words) + r")\b"))
            for canonical, words in table.items()]


PART_TYPES, QUALITIES, COLOURS = (_patterns(t) for t in (PART_TYPE_WORDS, QUALITY_WORDS,
                                                          COLOUR_WORDS))


def _lookup(text: str | None, patterns: list[tuple[str, re.Pattern]]) -> str | None:
    if not text:
        return None
    plain = _plain(text)
    return next((canonical for canonical, pattern in patterns if pattern.search(plain)), None)


def part_type(text: str | None) -> str | None:
    return _lookup(text, PART_TYPES)


def quality(text: str | None) -> str | None:
    return _lookup(text, QUALITIES)


def colour(text: str | None) -> str | None:
    return _lookup(text, COLOURS)


def device_model(brand: str | None, model: str | None) -> str | None:
    """`Samsung Galaxy S22` and `Galaxy S22` -> `galaxy s22`, the key offers are matched on."""
    if not model:
        return None
    plain = _plain(model)
    if brand and plain.startswith(_plain(brand) + " "):
        plain = plain[len(_plain(brand)) + 1 :]
    return plain


def brand(text: str | None) -> str | None:
    return _plain(text) if text else None
