"""The weight real shop pages carry around the product: a category mega-menu (once for the
desktop, once more for the mobile drawer), a footer of links, the inline styles of themes
and plugins and the platform's inline script objects. About 60 KB on every page of the
wholesalers we read, where the product itself takes a few; so a benchmark on light pages
measures a parser that real pages never see. Built once per shop: only the product changes
from page to page."""

from __future__ import annotations

import json
from collections.abc import Callable
from html import escape

from supplier_pipeline.demo.catalog import DEVICES, slug, stable_random

# (label, href, children): a menu entry and the entries of its drop-down
Entry = tuple[str, str, list[tuple[str, str]]]
SERVICE_LINKS = ("Chi siamo", "Contatti", "Spedizioni", "Resi e rimborsi", "Garanzia",
                 "Termini e condizioni", "Privacy", "Cookie", "Pagamenti", "Rivenditori",
                 "Lavora con noi", "Blog", "Guide alla riparazione", "Domande frequenti",
                 "Mappa del sito", "Area rivenditori")


def category_menu(categories: list[tuple[str, str]], href: Callable[[str, str], str]
                  ) -> list[Entry]:
    """Under each category (label, href), one entry per device model of every brand: a
    mega-menu, as parts shops sort their catalogue by the phone it fits."""
    models = [f"{brand} {model}" for brand, listed in DEVICES.items() for model, _ in listed]
    return [(label, link, [(model, href(link, slug(model))) for model in models])
            for label, link in categories]


def nested_menu(entries: list[Entry], classes: dict[str, str]) -> str:
    """The menu as nested lists with the platform's classes (`ul`, `li`, `a`, `sub`), an
    id on each item as themes number them."""
    items = []
    for n, (label, link, children) in enumerate(entries, start=1):
        sub = "".join(f'<li class="{classes["li"]} item-{n}-{m}" id="menu-item-{n}{m:03}">'
                      f'<a class="{classes["a"]}" href="{link}" data-depth="2">{escape(c)}</a>'
                      f"</li>" for m, (c, link) in enumerate(children, start=1))
        items.append(f'<li class="{classes["li"]} has-children" id="menu-item-{n}">'
                     f'<a class="{classes["a"]}" href="{link}" data-depth="1">{escape(label)}'
                     f'</a><div class="{classes["sub"]}"><ul class="{classes["ul"]}">{sub}</ul>'
                     "</div></li>")
    return f'<ul class="{classes["ul"]} top-menu" data-depth="0">{"".join(items)}</ul>'


def stylesheet(prefix: str, rules: int, seed: int = 7) -> str:
    """Inline CSS as page builders and plugins print it, about 100 bytes a rule."""
    lines = []
    for n in range(rules):
        r = stable_random(seed, prefix, n)
        colour = f"#{int(r * 0xFFFFFF):06x}"
        lines.append(f".{prefix}-element-{int(r * 1e8):08x} .{prefix}-widget-container"
                     f"{{margin:0 0 {n % 24}px;padding:{n % 7}px {n % 13}px;color:{colour};"
                     f"border-radius:{n % 5}px}}")
    return f'<style id="{prefix}-inline-css">{"".join(lines)}</style>'


def script_object(name: str, value: object) -> str:
    """A platform's configuration object for its own JavaScript, as an inline script."""
    return f'<script id="{name}-js-extra">var {name} = {json.dumps(value)};</script>'


def asset_urls(base: str, count: int) -> dict[str, str]:
    """The endpoints and asset paths a platform ships to its JavaScript."""
    return {f"{kind}_{n}": f"{base}/{kind}/{n:04}/{slug(SERVICE_LINKS[n % 16])}"
            for n in range(count) for kind in ("ajax", "asset", "route")}


def footer(columns: int, base: str, legal: str) -> str:
    """Link columns, a newsletter form and the legal line."""
    blocks = []
    for c in range(columns):
        links = "".join(f'<li><a id="link-cms-page-{c}-{n}" class="cms-page-link" '
                        f'href="{base}/content/{c}{n}-{slug(label)}" title="{label}">{label}'
                        "</a></li>" for n, label in enumerate(SERVICE_LINKS))
        blocks.append(f'<div class="col-md-3 links wrapper"><p class="h3 hidden-sm-down">'
                      f'{SERVICE_LINKS[c]}</p><ul id="footer_sub_menu_{c}" '
                      f'class="collapse">{links}</ul></div>')
    newsletter = ('<div class="block_newsletter"><form action="/newsletter" method="post">'
                  '<input type="email" name="email" placeholder="Il tuo indirizzo email">'
                  '<button type="submit" name="submitNewsletter">Iscriviti</button></form>'
                  "<p>Offerte riservate ai rivenditori ogni settimana.</p></div>")
    return (f'<footer id="footer"><div class="footer-container"><div class="row">'
            f'{"".join(blocks)}</div>{newsletter}<p class="copyright">{escape(legal)}</p>'
            "</div></footer>")
