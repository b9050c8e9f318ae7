"""The records a scrape produces: one observation per offer and one fetch-log row per request."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, fields
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum


class Outcome(StrEnum):
    OK = "ok"
    NOT_FOUND = "not_found"
    LOGIN_FAILED = "login_failed"
    SESSION_EXPIRED = "session_expired"
    BLOCKED = "blocked"
    RATE_LIMITED = "rate_limited"
    TIMEOUT = "timeout"
    HTTP_ERROR = "http_error"
    PARSE_ERROR = "parse_error"
    ROBOTS_DISALLOWED = "robots_disallowed"
    # refused by our own limits and rules (lib/scraping/transport.py, safety.py)
    TOO_LARGE = "too_large"
    TOO_MANY_REDIRECTS = "too_many_redirects"
    OFF_SITE = "off_site"  # a link, redirect or login form leading off the supplier's hosts
    INSECURE = "insecure"  # a login that would send credentials over plain http


@dataclass
class Fetch:
    """One request and what came of it (a row of the fetch log)."""

    supplier_id: str
    url: str
    outcome: Outcome
    status: int | None
    elapsed_ms: float
    bytes: int
    attempt: int
    fetched_at: datetime
    error: str | None = None


@dataclass
class Observation:
    """What one supplier showed for one offer at one moment."""

    supplier_id: str
    supplier_sku: str
    observed_at: datetime
    title: str | None = None
    url: str | None = None
    price_text: str | None = None
    price_net: Decimal | None = None
    price_gross: Decimal | None = None
    currency: str | None = None
    vat_rate: Decimal | None = None
    stock_text: str | None = None
    stock_state: str = "unknown"
    stock_qty: int | None = None
    # A back-order's expected day at the supplier (the date shown, or observed_at + the delay
    # shown): a date, so that it does not go stale the way "in 5 days" would; None otherwise.
    backorder_until: date | None = None
    brand: str | None = None
    device_model: str | None = None
    part_type: str | None = None
    quality: str | None = None
    colour: str | None = None
    ean: str | None = None
    mpn: str | None = None
    pack_size: int | None = None
    # quantity breaks as (minimum quantity, net, gross), from 1 piece up; empty when none shown
    price_breaks: list[tuple[int, Decimal, Decimal]] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    sources: dict[str, str] = field(default_factory=dict)  # field -> layer or selector

    def as_row(self) -> dict:
        row = asdict(self)
        row["problems"] = "; ".join(self.problems) or None
        row["price_breaks"] = json.dumps([
            {"min_qty": minimum, "price_net": str(net), "price_gross": str(gross)}
            for minimum, net, gross in self.price_breaks]) if self.price_breaks else None
        row["field_sources"] = json.dumps(row.pop("sources"), sort_keys=True) or None
        return row


FETCH_COLUMNS = [f.name for f in fields(Fetch)]
