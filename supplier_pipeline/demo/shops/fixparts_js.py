"""FixParts (demo): an English shop whose listing pages fill price and stock with JavaScript.

The HTML of a listing page carries titles and SKUs only; a script fetches the prices and stock
of the page from a JSON endpoint after load and writes them into the page, so only a real
browser sees them. Product pages are plain HTML with the specifications (no price).
"""

from __future__ import annotations

from html import escape

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from supplier_pipeline.demo.market import Market, Offer, Quote

PAGE_SIZE = 30
PART_TYPES = {"display": "Display Assembly", "battery": "Battery", "back_glass": "Back Glass",
              "charging_port": "Charging Port Flex", "rear_camera": "Rear Camera",
              "front_camera": "Front Camera"}
QUALITIES = {"original": "Original", "service_pack": "Service Pack", "oled": "OLED",
             "incell": "Incell", "aftermarket": "Aftermarket"}

SCRIPT = """
document.addEventListener('DOMContentLoaded', async () => {
  const page = document.body.dataset.page;
  const response = await fetch('/api/live?page=' + page, {headers: {'Accept': 'application/json'}});
  const live = await response.json();
  for (const card of document.querySelectorAll('article.product-card')) {
    const item = live[card.dataset.sku];
    if (!item) continue;
    card.querySelector('.price').textContent = '€' + item.price + ' excl. VAT';
    card.querySelector('.stock').textContent = item.stock;
  }
  document.body.classList.add('live-ready');
});
"""


def title(offer: Offer) -> str:
    p = offer.part
    colour = f" - {p.colour.title()}" if p.colour else ""
    return f"{p.brand} {p.device_model} {PART_TYPES[p.part_type]} - {QUALITIES[p.quality]}{colour}"


def stock_text(quote: Quote) -> str:
    if quote.stock == 0:
        return "Out of stock"
    if quote.stock <= 3:
        return f"Low stock ({quote.stock} left)"
    return "In stock"


def build_app(market: Market) -> Starlette:
    offers = market.offers["fixparts_js"]
    pages = (len(offers) + PAGE_SIZE - 1) // PAGE_SIZE

    def page_number(request: Request) -> int | None:
        try:
            number = int(request.query_params.get("page", "1"))
        except ValueError:
            return None
        return number if 1 <= number <= pages else None

    async def robots(_: Request) -> Response:
        return PlainTextResponse("User-agent: *\nDisallow: /checkout\n")

    async def listing(request: Request) -> Response:
        number = page_number(request)
        if number is None:
            return PlainTextResponse("Not found", 404)
        cards = "".join(
            f"""<article class="product-card" data-sku="{o.sku}">
<h2 class="title"><a href="/product/{o.sku}">{escape(title(o))}</a></h2>
<div class="price"></div><div class="stock"></div></article>"""
            for o in offers[(number - 1) * PAGE_SIZE : number * PAGE_SIZE])
        more = (f'<a rel="next" href="/products?page={number + 1}">Next</a>'
                if number < pages else "")
        return HTMLResponse(f"""<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>Parts - page {number}</title><script>{SCRIPT}</script></head>
<body data-page="{number}"><h1>Spare parts</h1><section class="grid">{cards}</section>
<nav class="pager">{more}</nav></body></html>""")

    async def live(request: Request) -> Response:
        number = page_number(request)
        if number is None:
            return JSONResponse({}, 404)
        at = market.now()
        return JSONResponse({
            o.sku: {"price": f"{q.price_net:.2f}", "stock": stock_text(q)}
            for o in offers[(number - 1) * PAGE_SIZE : number * PAGE_SIZE]
            for q in [market.quote(o, at)]
        })

    async def product(request: Request) -> Response:
        offer = market.offer("fixparts_js", request.path_params["sku"])
        if offer is None:
            return PlainTextResponse("Not found", 404)
        p = offer.part
        specs = {"Brand": p.brand, "Model": p.device_model, "Part": PART_TYPES[p.part_type],
                 "Grade": QUALITIES[p.quality], "Colour": (p.colour or "n/a").title(),
                 "SKU": offer.sku}
        rows = "".join(f'<li data-spec="{k.lower()}"><b>{k}:</b> <span>{escape(v)}</span></li>'
                       for k, v in specs.items())
        return HTMLResponse(f"""<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>{escape(title(offer))}</title></head><body>
<h1 class="product-title">{escape(title(offer))}</h1><ul class="specs">{rows}</ul>
<p class="note">Log in to your trade account for live prices.</p></body></html>""")

    return Starlette(routes=[Route("/robots.txt", robots), Route("/products", listing),
                             Route("/api/live", live), Route("/product/{sku}", product)])
