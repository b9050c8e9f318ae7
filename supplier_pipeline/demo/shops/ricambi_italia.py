"""Ricambi Italia (demo): an Italian wholesaler that shows prices only after a form login.

Habits: CSRF token on the login form, cookie session that expires, redirect to the login page
when the session is missing or expired, gross prices as `€ 1.299,00 IVA inclusa`, Italian
stock texts, 24 products a page with a "next page" link, details on each product page.
"""

from __future__ import annotations

import secrets
import time
from decimal import Decimal
from html import escape
from urllib.parse import parse_qs, quote

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import Route

from supplier_pipeline.demo.catalog import money, stable_random
from supplier_pipeline.demo.market import Market, Offer, Quote

PAGE_SIZE = 24
VAT = Decimal("1.22")
SESSION_COOKIE = "RISESSID"
PART_TYPES = {"display": "Display LCD", "battery": "Batteria", "back_glass": "Vetro posteriore",
              "charging_port": "Connettore di ricarica", "rear_camera": "Fotocamera posteriore",
              "front_camera": "Fotocamera anteriore"}
QUALITIES = {"original": "Originale", "service_pack": "Service Pack", "oled": "OLED",
             "incell": "Incell", "aftermarket": "Compatibile"}
COLOURS = {"black": "Nero", "white": "Bianco", "blue": "Blu"}


def euro(amount: Decimal) -> str:
    """`€ 1.299,00`: Italian thousands and decimal separators."""
    text = f"{amount:,.2f}".replace(",", "_").replace(".", ",").replace("_", ".")
    return f"€ {text}"


def title(offer: Offer) -> str:
    p = offer.part
    words = [PART_TYPES[p.part_type], p.brand if p.brand != "Apple" else "", p.device_model,
             QUALITIES[p.quality], COLOURS.get(p.colour or "", "")]
    return " ".join(w for w in words if w)


def gross(quote: Quote) -> str:
    """The shop shows prices with IVA (22 %) included."""
    return euro(money(float(quote.price_net * VAT)))


def quantity_breaks(quote: Quote) -> list[tuple[int, Decimal]]:
    """About half the parts are cheaper by the 5 and by the 10 (gross unit prices)."""
    if stable_random(quote.offer.sku, "sconti") >= 0.5:
        return []
    unit = quote.price_net * VAT
    return [(5, money(float(unit * Decimal("0.95")))), (10, money(float(unit * Decimal("0.9"))))]


def stock_text(quote: Quote) -> str:
    if quote.stock == 0:
        incoming = stable_random(quote.offer.sku, "arrivo") < 0.3
        return "In arrivo" if incoming else "Esaurito"
    if quote.stock <= 3:
        return f"Solo {quote.stock} pezzi" if quote.stock > 1 else "Solo 1 pezzo"
    return "Disponibile"


def page(body: str, heading: str = "Ricambi Italia") -> HTMLResponse:
    return HTMLResponse(f"""<!doctype html><html lang="it"><head><meta charset="utf-8">
<title>{escape(heading)} | Ricambi Italia</title></head><body>
<header><a href="/">Ricambi Italia</a> <nav><a href="/catalogo">Catalogo</a></nav></header>
<main>{body}</main><footer>P.IVA 01234567890</footer></body></html>""")


def build_app(market: Market, username: str, password: str,
              session_ttl_seconds: float = 1800) -> Starlette:
    csrf_tokens: set[str] = set()
    sessions: dict[str, float] = {}  # session id -> expiry (monotonic)
    offers = market.offers["ricambi_italia"]

    def logged_in(request: Request) -> bool:
        expiry = sessions.get(request.cookies.get(SESSION_COOKIE, ""))
        return expiry is not None and expiry > time.monotonic()

    def to_login(request: Request) -> Response:
        return RedirectResponse(f"/login?next={quote(str(request.url.path))}", 302)

    async def robots(_: Request) -> Response:
        return PlainTextResponse("User-agent: *\nDisallow: /account/\nDisallow: /carrello\n")

    async def home(_: Request) -> Response:
        return page('<h1>Ricambi per smartphone</h1><a href="/catalogo">Vai al catalogo</a>')

    async def login_form(request: Request, error: str = "") -> Response:
        token = secrets.token_hex(16)
        csrf_tokens.add(token)
        nxt = escape(request.query_params.get("next", "/catalogo"))
        message = f'<p class="errore">{escape(error)}</p>' if error else ""
        return page(f"""<h1>Accedi</h1>{message}
<form method="post" action="/login" id="login-form">
<input type="hidden" name="csrf_token" value="{token}">
<input type="hidden" name="next" value="{nxt}">
<label>Email <input type="email" name="email"></label>
<label>Password <input type="password" name="password"></label>
<button type="submit">Accedi</button></form>""", "Accedi")

    async def login(request: Request) -> Response:
        form = {k: v[0] for k, v in parse_qs((await request.body()).decode()).items()}
        token = form.get("csrf_token", "")
        if token not in csrf_tokens:
            return PlainTextResponse("Token CSRF non valido", 403)
        csrf_tokens.discard(token)
        if form.get("email") != username or form.get("password") != password:
            return await login_form(request, "Credenziali non valide")
        sid = secrets.token_hex(16)
        sessions[sid] = time.monotonic() + session_ttl_seconds
        nxt = form.get("next", "/catalogo")
        response = RedirectResponse(nxt if nxt.startswith("/") else "/catalogo", 302)
        response.set_cookie(SESSION_COOKIE, sid, httponly=True, samesite="lax")
        return response

    async def catalogue(request: Request) -> Response:
        if not logged_in(request):
            return to_login(request)
        try:
            number = max(1, int(request.query_params.get("pagina", "1")))
        except ValueError:
            return PlainTextResponse("Pagina non valida", 400)
        pages = (len(offers) + PAGE_SIZE - 1) // PAGE_SIZE
        if number > pages:
            return PlainTextResponse("Pagina non trovata", 404)
        at = market.now()
        cards = []
        for offer in offers[(number - 1) * PAGE_SIZE : number * PAGE_SIZE]:
            q = market.quote(offer, at)
            cards.append(f"""<div class="prodotto" data-codice="{offer.sku}">
<a class="nome" href="/prodotto/{offer.sku}">{escape(title(offer))}</a>
<span class="codice">Cod. {offer.sku}</span>
<span class="prezzo">{gross(q)}</span> <small class="iva">IVA inclusa</small>
<span class="disponibilita">{stock_text(q)}</span></div>""")
        following = f"/catalogo?pagina={number + 1}"
        nav = (f'<a class="pagina-successiva" href="{following}">Successiva &raquo;</a>'
               if number < pages else "")
        return page(f'<h1>Catalogo</h1><div class="elenco">{"".join(cards)}</div>'
                    f'<div class="paginazione">Pagina {number} di {pages} {nav}</div>', "Catalogo")

    async def product(request: Request) -> Response:
        if not logged_in(request):
            return to_login(request)
        offer = market.offer("ricambi_italia", request.path_params["sku"])
        if offer is None:
            response = page("<h1>Prodotto non trovato</h1>", "Non trovato")
            response.status_code = 404
            return response
        q = market.quote(offer)
        p = offer.part
        rows = [("Codice", offer.sku), ("Marca", p.brand), ("Modello", p.device_model),
                ("Categoria", PART_TYPES[p.part_type]), ("Qualità", QUALITIES[p.quality]),
                ("Colore", COLOURS.get(p.colour or "", "-"))]
        if stable_random(offer.sku, "ean") < 0.6:
            rows.append(("EAN", p.ean))
        breaks = "".join(f"<tr><td>da {n} pz</td><td>{euro(price)}</td></tr>"
                         for n, price in quantity_breaks(q))
        discounts = (f'<table class="sconti-quantita"><tr><th>Quantità</th>'
                     f"<th>Prezzo unitario</th></tr>{breaks}</table>" if breaks else "")
        css = {"Qualità": "qualita"}
        table = "".join(f'<tr><th>{k}</th><td class="{css.get(k, k.lower())}">{escape(v)}</td></tr>'
                        for k, v in rows)
        return page(f"""<h1 class="titolo-prodotto">{escape(title(offer))}</h1>
<div class="scheda"><span class="prezzo">{gross(q)}</span>
<small class="iva">IVA inclusa</small>
<span class="disponibilita">{stock_text(q)}</span></div>
{discounts}<table class="dettagli">{table}</table>""", title(offer))

    return Starlette(routes=[
        Route("/robots.txt", robots), Route("/", home),
        Route("/login", login_form, methods=["GET"]), Route("/login", login, methods=["POST"]),
        Route("/catalogo", catalogue), Route("/prodotto/{sku}", product),
    ])
