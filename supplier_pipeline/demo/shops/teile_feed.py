"""Teile Großhandel (demo): a German wholesaler that offers feeds instead of pages.

A paginated JSON API behind a bearer token, and a semicolon-separated CSV price list with
German decimal commas. Prices are net; VAT is stated per item.
"""

from __future__ import annotations

import csv
import io

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from supplier_pipeline.demo.market import Market

CATEGORIES = {"display": "Display", "battery": "Akku", "back_glass": "Rückglas",
              "charging_port": "Ladebuchse", "rear_camera": "Hauptkamera",
              "front_camera": "Frontkamera"}
GRADES = {"original": "Original", "service_pack": "Service Pack", "oled": "OLED",
          "incell": "InCell", "aftermarket": "Nachbau"}
COLOURS = {"black": "Schwarz", "white": "Weiß", "blue": "Blau"}


def build_app(market: Market, token: str) -> Starlette:
    offers = market.offers["teile_feed"]

    def authorised(request: Request) -> bool:
        return request.headers.get("authorization", "") == f"Bearer {token}"

    def rows(at=None) -> list[dict]:
        moment = at or market.now()
        out = []
        for offer in offers:
            q = market.quote(offer, moment)
            p = offer.part
            out.append({
                "sku": offer.sku,
                "title": f"{CATEGORIES[p.part_type]} für {p.brand} {p.device_model} "
                         f"({GRADES[p.quality]}{', ' + COLOURS[p.colour] if p.colour else ''})",
                "brand": p.brand, "model": p.device_model,
                "category": CATEGORIES[p.part_type], "grade": GRADES[p.quality],
                "color": COLOURS.get(p.colour or ""), "ean": p.ean,
                "price_net": f"{q.price_net:.2f}", "currency": "EUR", "vat_rate": "19",
                "stock": q.stock, "pack_size": offer.pack_size,
            })
        return out

    async def robots(_: Request) -> Response:
        return PlainTextResponse("User-agent: *\nAllow: /\n")

    async def products(request: Request) -> Response:
        if not authorised(request):
            return JSONResponse({"error": "invalid or missing token"}, 401)
        try:
            number = int(request.query_params.get("page", "1"))
            per_page = min(500, int(request.query_params.get("per_page", "100")))
        except ValueError:
            return JSONResponse({"error": "bad paging"}, 400)
        items = rows()[(number - 1) * per_page : number * per_page]
        more = number * per_page < len(offers)
        return JSONResponse({"items": items, "page": number,
                             "next_page": number + 1 if more else None, "total": len(offers)})

    async def price_list(request: Request) -> Response:
        if not authorised(request):
            return PlainTextResponse("Unauthorized", 401)
        buffer = io.StringIO()
        fields = ["Artikelnummer", "Bezeichnung", "Marke", "Modell", "Kategorie", "Qualität",
                  "Farbe", "EAN", "Preis netto", "Währung", "MwSt", "Bestand", "VPE"]
        writer = csv.writer(buffer, delimiter=";")
        writer.writerow(fields)
        for r in rows():
            writer.writerow([r["sku"], r["title"], r["brand"], r["model"], r["category"],
                             r["grade"], r["color"] or "", r["ean"],
                             r["price_net"].replace(".", ","), r["currency"], r["vat_rate"],
                             r["stock"], r["pack_size"]])
        return Response(buffer.getvalue().encode("utf-8"),
                        media_type="text/csv; charset=utf-8")

    return Starlette(routes=[Route("/robots.txt", robots), Route("/api/v1/products", products),
                             Route("/export/preisliste.csv", price_list)])
