"""Offer identity on shops whose listings show no supplier code.

Everything downstream keys an offer by `supplier_sku`: the gate (`supplier_skus_unique`,
price jumps against the offer's last accepted price), the held observations, the history
marts (`fct_price_history`, `fct_stock_history` per supplier and SKU), matching to parts (the
catalogue's attributes joined on the SKU) and the PO lines sent to the supplier. A prices
scrape that reads a code-less listing would give every offer the empty SKU, and the gate
quarantines the partition.

Keying such offers by their product URL alone would pass the gate but split every offer in
two: the daily catalogue reads the code on the product page, the 4-hourly prices scrape would
store the URL, so prices would never meet their part and a PO could not name the article.
So the catalogue sync records which code each product URL showed, and the prices scrape
carries that code for the URL: both scrapes key the offer alike, by the supplier's own code.

A product the catalogue has not seen yet (new since the last sync, or no sync yet) gets a
derived key, `url:<path of its product URL>`: stable from run to run, unique per product, and
obviously not a supplier code. It matches no part until the next catalogue sync learns its code;
from then on it is keyed by the code (the history shows the URL key end and the code begin).

The map lives beside the session cookies in the state folder, one small JSON file per
supplier, replaced atomically after every catalogue sync that ended without error.
"""

from __future__ import annotations

import json
import os
from collections import Counter
from pathlib import Path
from urllib.parse import urlsplit

from supplier_pipeline.lib import settings
from supplier_pipeline.lib.scraping.records import Observation

URL_KEY_PREFIX = "url:"


def url_key(url: str) -> str:
    """The product URL without scheme, host and fragment: the same product whatever the
    deployment's base URL."""
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


class KnownSkus:
    """Product URL -> supplier code, as the supplier's last catalogue sync read them."""

    def __init__(self, supplier_id: str, folder: Path | None = None):
        folder = folder or settings.current().state_dir / "identities"
        self.path = folder / f"{supplier_id}.json"

    def load(self) -> dict[str, str]:
        try:
            known = json.loads(self.path.read_text())
        except (FileNotFoundError, json.JSONDecodeError):
            return {}
        return known if isinstance(known, dict) else {}

    def learn(self, observations: list[Observation]) -> None:
        """Record the code each product URL showed. A URL with several codes (a variable
        product) maps to none: its page must be read to see them."""
        per_url = Counter(url_key(o.url) for o in observations if o.url)
        known = {url_key(o.url): o.supplier_sku for o in observations
                 if o.url and o.supplier_sku and not o.supplier_sku.startswith(URL_KEY_PREFIX)
                 and per_url[url_key(o.url)] == 1}
        if not known:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        temporary = self.path.with_suffix(".tmp")
        temporary.write_text(json.dumps(known, sort_keys=True))
        os.replace(temporary, self.path)


def key_codeless(observations: list[Observation], known: dict[str, str]) -> None:
    """Give every offer without a supplier code the code last seen on its product URL, else
    the derived `url:` key; the offer's sources say which."""
    for obs in observations:
        if obs.supplier_sku or not obs.url:
            continue
        key = url_key(obs.url)
        if key in known:
            obs.supplier_sku, obs.sources["sku"] = known[key], "catalogue sync, by product URL"
        else:
            obs.supplier_sku = URL_KEY_PREFIX + key
            obs.sources["sku"] = "product URL (not in the last catalogue sync)"
        obs.problems[:] = [p for p in obs.problems if p != "no supplier sku"]
