"""Fields read from the visible page when structured data does not state them: the
selling price in the product's block, availability from the availability block and the buy
button, product codes from the labels shops put before them (SKU, Art.-Nr., Codice, Réf.,
Item #, ASIN, ...), or from the elements and attributes shops mark them with."""

from __future__ import annotations

import re
from itertools import chain, islice

from lxml.html import HtmlElement
from parsel import Selector

from supplier_pipeline.lib.extraction.found import Found
from supplier_pipeline.lib.extraction.visible import (
    in_main,
    is_old_price,
    main_text,
    marks,
    vat_near,
)
from supplier_pipeline.lib.scraping.normalise import (
    BACKORDER_WORDS,
    is_backorder,
    parse_price,
    parse_price_breaks,
    stock_quantity,
)

# Availability phrases, most specific first (IT, EN, DE, FR, ES, PT, NL, PL, Nordic).
OUT_WORDS = ("non disponibile", "esaurito", "out of stock", "out-of-stock", "sold out",
             "currently unavailable", "temporarily unavailable", "no longer available",
             "ausverkauft", "nicht verfügbar", "nicht auf lager", "nicht lieferbar",
             "derzeit nicht", "rupture de stock", "épuisé", "indisponible",
             "actuellement indisponible", "agotado", "sin stock", "no disponible",
             "non disponibile", "attualmente non disponibile", "esgotado", "indisponível",
             "niet op voorraad", "uitverkocht", "brak w magazynie", "niedostępny",
             "slutsåld", "udsolgt", "utsolgt", "loppu", "нет в наличии")
IN_WORDS = ("in stock", "instock", "available", "auf lager", "lieferbar", "sofort verfügbar",
            "vorrätig", "en stock", "disponible", "disponibile", "disponibilità immediata",
            "in magazzino", "em estoque", "disponível", "op voorraad", "dostępny",
            "w magazynie", "på lager", "i lager", "varastossa", "в наличии")
AVAILABILITY_MARKS = ("availab", "stock", "dispon", "lieferstatus", "verfugbar",
                      "verfügbar", "inventory", "delivery-status", "lagerstatus")
BUY_MARKS = ("add-to-cart", "addtocart", "add_to_cart", "add-to-basket", "addtobasket",
             "add_to_basket", "add-to-bag", "addtobag", "buy-now", "buynow", "buy_now",
             "single_add_to_cart", "product-form__submit", "btn-cart", "cart-button")
PRICE_WORDS = ("price", "prezzo", "preis", "prix", "precio", "preco", "cena", "hinta",
               "pris", "prijs")
TIER_WORDS = ("tier", "quantity-discount", "quantitydiscount", "quantity_discount",
              "volume-pric", "bulk-pric", "staffel", "scaglion", "sconti-quantit")

# Selling prices read beyond the first, as witnesses (the main block's price, its variants'
# and the first recommendations); under SHOWN, one a line.
MAX_SHOWN = 12
SHOWN = "prices_shown"

# Labels shops put before the product's own code, in the languages of the shops we read.
SKU_LABELS = (
    r"sku", r"asin", r"(?:ebay )?item (?:no\.?|number|#|code|id)", r"item\s?#",
    r"num[ée]ro de l'objet(?: ebay)?", r"art(?:ikel|icle|[ií]culo|icolo)?[\s.-]*"
    r"(?:nr|no|n°|nº|number|nummer|numero|número|code|id)\.?", r"art\.",
    r"product (?:code|id|no\.?|number|#)", r"id produto", r"c[oó]digo(?: del? (?:producto|"
    r"art[ií]culo))?", r"codice(?: (?:articolo|prodotto))?", r"cod\.? (?:art\.?|produs)",
    r"r[ée]f(?:[ée]rence)?\.?", r"referencia", r"nr\.? ref\.?", r"numer referencyjny",
    r"kod produktu", r"tootekood", r"tuotenumero", r"varenummer", r"varenr\.?",
    r"bestellnummer", r"best\.-nr\.?", r"web code", r"šifra", r"ad id", r"post id",
    r"артикул", r"код товара", r"商品編號", r"商品编号", r"货号", r"品番", r"商品番号",
    r"상품번호", r"딜번호", r"קוד מוצר", r"מק\"ט",
)
GTIN_LABELS = (r"ean(?:[\s-]?(?:13|code))?", r"gtin", r"upc", r"isbn(?:[\s-]?13)?", r"kod ean")
MPN_LABELS = (r"mpn", r"(?:item )?model (?:no\.?|number|#)", r"part (?:no\.?|number|#)",
              r"herstellernummer", r"hersteller-nr\.?")
# A code: letters, digits and the separators shops use, with at least one digit.
CODE = r"([A-Za-z0-9](?:[A-Za-z0-9\-./_]{0,38}[A-Za-z0-9])?)"


def _label_pattern(labels: tuple[str, ...]) -> re.Pattern:
    return re.compile(r"(?<![\w-])(?:" + "|".join(labels) + r")\s*[:#：.\-–]?\s*" + CODE,
                      re.IGNORECASE)


LABELLED = {"sku": _label_pattern(SKU_LABELS), "gtin": _label_pattern(GTIN_LABELS),
            "mpn": _label_pattern(MPN_LABELS)}


def _marked(words: tuple[str, ...]) -> str:
    """XPath condition: the element's class or id contains one of `words`, in any case."""
    return " or ".join(f"contains(translate(@{attribute},'{w.upper()}','{w}'),'{w}')"
                       for w in words for attribute in ("class", "id"))


def _has_digit(code: str) -> bool:
    return any(c.isdigit() for c in code)


def labelled_codes(text: str) -> dict[str, Found]:
    """The first code after each kind of label in the main text."""
    out: dict[str, Found] = {}
    for field, pattern in LABELLED.items():
        for match in pattern.finditer(text):
            if _has_digit(match.group(1)) and len(match.group(1)) >= 4:
                out[field] = Found(match.group(1), "heuristic", 0.75)
                break
    return out


def marked_sku(page: Selector) -> Found | None:
    """A code the shop marks as the SKU: itemprop="sku", an element classed `sku`, or a
    data-sku attribute, in the main product's block."""
    for node in page.xpath("//body//*[@itemprop='sku' or @data-sku or @data-product-sku "
                           "or contains(concat(' ', normalize-space(@class), ' '), ' sku ')]"):
        if not in_main(node.root):
            continue
        value = (node.root.get("content") or node.root.get("data-sku")
                 or node.root.get("data-product-sku") or node.root.text_content())
        code = value.strip().split()[-1] if value and value.strip() else ""
        if 3 <= len(code) <= 40 and _has_digit(code) and re.fullmatch(CODE, code):
            return Found(code, "heuristic", 0.8)
    return None


def _price(page: Selector, locale: str) -> tuple[dict[str, Found], HtmlElement | None]:
    """The selling price in the main content, and the element it was read from; with it,
    under SHOWN, the selling prices of the next price elements (the witnesses for a
    structured price that disagrees with the first one)."""
    out: dict[str, Found] = {}
    first, shown = None, []
    for node in page.xpath(f"//body//*[@itemprop='price' or {_marked(PRICE_WORDS)}]"):
        if len(shown) >= MAX_SHOWN:
            break
        if not in_main(node.root) or is_old_price(node.root):
            continue
        # The selling price: struck-through list prices inside the element do not count.
        text = node.attrib.get("content") or " ".join(" ".join(node.xpath(
            ".//text()[not(ancestor::del or ancestor::s or ancestor::strike)]").getall()).split())
        if len(text) >= 80:
            continue
        parsed = parse_price(text, locale)
        if parsed.amount is None:
            continue
        shown.append(str(parsed.amount))
        if first is None:
            first = node.root
            out["price"] = Found(str(parsed.amount), "heuristic", 0.6)
            if parsed.currency:
                out["currency"] = Found(parsed.currency, "heuristic", 0.6)
    if shown:
        out[SHOWN] = Found("\n".join(shown), "heuristic", None)
    return out, first


def _classify(text: str) -> str | None:
    """Back-order first: "Disponibile su ordinazione" is not available now. A count of
    pieces left ("Solo 2 pezzi") says in stock."""
    lowered = text.lower()
    if is_backorder(lowered):
        return "BackOrder"
    if any(word in lowered for word in OUT_WORDS):
        return "OutOfStock"
    if any(word in lowered for word in IN_WORDS) or stock_quantity(lowered):
        return "InStock"
    return None


def _buy_button(page: Selector) -> str | None:
    """InStock when the main product's buy button can be pressed, OutOfStock when it is
    disabled; None when the page has none we recognise."""
    for node in page.xpath(f"//body//*[self::button or self::input][{_marked(BUY_MARKS)} or "
                           f"{_marked(BUY_MARKS).replace('@class', '@name')}]"):
        element: HtmlElement = node.root
        if not in_main(element):
            continue
        disabled = (element.get("disabled") is not None or "disabled" in marks(element)
                    or element.get("aria-disabled") == "true")
        return "OutOfStock" if disabled else "InStock"
    return None


def _near_price(price: HtmlElement | None) -> tuple[str, str] | None:
    """A short line that is an availability phrase, in the block around the price, or just
    after it (a shop without an availability class still writes "In stock" beside the
    price)."""
    block = price
    for _ in range(3):
        if block is None or block.getparent() is None or block.getparent().tag == "body":
            break
        block = block.getparent()
    if block is None:
        return None
    for element in chain([block], islice(block.itersiblings(), 3)):
        for line in main_text(element, limit=1000).splitlines():
            # the line is the phrase ("In stock, ships today"), not a variant's note
            # ("Matt (sold out)")
            state = _classify(line) if len(line) <= 40 else None
            if state and not line.lower().lstrip(" •·-–:").startswith(
                    OUT_WORDS + IN_WORDS + BACKORDER_WORDS):
                state = None
            if state:
                return state, line
    return None


def _schema_word(element: HtmlElement) -> str:
    word = (element.get("href") or element.get("content") or "").rsplit("/", 1)[-1]
    return word.replace("Stock", " stock").replace("Order", " order")


def availability(page: Selector, price: HtmlElement | None = None
                 ) -> tuple[Found | None, str]:
    """From the availability block (the first in the main content that says something),
    else a line beside the price, else the buy button; with the text it was read from
    (where a quantity may be written). A block that says out of stock beside a buy button
    that works is a contradiction: no reading then."""
    button = _buy_button(page)
    for node in page.xpath(f"//body//*[@itemprop='availability' or {_marked(AVAILABILITY_MARKS)}]"):
        element: HtmlElement = node.root
        state, text = None, ""
        if element.get("itemprop") == "availability":
            state = _classify(_schema_word(element))
        if state is None and in_main(element):
            text = main_text(element, limit=200)
            state = _classify(text) if len(text) <= 200 else None
        if state:
            return (None if state == "OutOfStock" and button == "InStock" else Found(
                state, "heuristic", 0.7)), text
    near = _near_price(price)
    if near and not (near[0] == "OutOfStock" and button == "InStock"):
        return Found(near[0], "heuristic", 0.6), near[1]
    return (Found(button, "heuristic", 0.5) if button else None), ""


def _price_breaks(page: Selector, locale: str) -> Found | None:
    for node in page.xpath(f"//body//*[{_marked(TIER_WORDS)}]"):
        if in_main(node.root):
            text = " ".join(" ".join(node.xpath(".//text()").getall()).split())
            if parse_price_breaks(text, locale):
                return Found(text, "heuristic", 0.6)
    return None


def heuristics(page: Selector, locale: str, text: str) -> dict[str, Found]:
    """Every field the visible page shows; `text` is the page's main_text."""
    out: dict[str, Found] = {}
    title = page.css("h1 ::text").getall()
    if title and " ".join(" ".join(title).split()):
        out["name"] = Found(" ".join(" ".join(title).split()), "heuristic", 0.6)
    price, price_element = _price(page, locale)
    out.update(price)
    stock, stock_text = availability(page, price_element)
    quantity = stock_quantity(stock_text) if stock else None
    vat = vat_near(price_element) if price_element is not None else None
    for name, found in (("price_breaks", _price_breaks(page, locale)),
                        ("availability", stock),
                        ("stock_qty", Found(str(quantity), "heuristic", 0.6)
                         if quantity is not None else None),
                        ("vat_included", Found(vat.label, "heuristic", 0.6) if vat else None)):
        if found:
            out[name] = found
    codes = labelled_codes(text)
    marked = marked_sku(page)
    if marked and (codes.get("sku") is None or codes["sku"].value == marked.value):
        codes["sku"] = Found(marked.value, "heuristic", 0.85 if "sku" in codes else 0.8)
    return {**out, **codes}
