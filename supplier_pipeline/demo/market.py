"""What each demo shop sells and at which price and stock, at any moment.

Prices and stock move in 4-hour steps: in each step an offer has a small, seeded chance of a
new price level or a new stock quantity, so two scrapes hours apart see real changes and
every run of the demo sees the same ones.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from functools import cached_property, lru_cache

from supplier_pipeline.demo.catalog import Part, build_parts, money, stable_random

EPOCH = datetime(2026, 1, 1, tzinfo=UTC)
STEP = timedelta(hours=4)
LOOKBACK_STEPS = 180  # a level older than 30 days falls back to the base level


@dataclass(frozen=True)
class ShopProfile:
    shop_id: str
    coverage: float  # share of the catalogue this shop carries
    margin: float  # price factor over a part's base price
    sku_format: str
    price_change_chance: float  # per 4-hour step
    stock_change_chance: float


PROFILES = {
    "ricambi_italia": ShopProfile("ricambi_italia", 0.85, 1.00, "RI-{n:06d}", 0.05, 0.10),
    "fixparts_js": ShopProfile("fixparts_js", 0.70, 0.95, "FP{n:05d}", 0.04, 0.08),
    "teile_feed": ShopProfile("teile_feed", 0.75, 0.92, "TG.{n:05d}", 0.03, 0.06),
}


@dataclass(frozen=True)
class Offer:
    """One shop's listing of one canonical part."""

    shop_id: str
    sku: str
    part: Part
    base_net: float
    pack_size: int


@dataclass(frozen=True)
class Quote:
    """An offer as the shop shows it at one moment."""

    offer: Offer
    price_net: Decimal
    stock: int


@lru_cache(maxsize=65536)
def _latest_event(key: tuple, step: int, chance: float) -> int | None:
    """The latest step at or before `step` at which the keyed event happened (cached: a shop
    answers for the same offers again and again within one 4-hour step)."""
    for k in range(step, step - LOOKBACK_STEPS, -1):
        if stable_random(*key, k) < chance:
            return k
    return None


class Market:
    """The demo world: offers per shop and their quotes at the market's current time."""

    def __init__(self, seed: int = 7, size: int | None = None,
                 clock: Callable[[], datetime] | None = None):
        self.seed = seed
        self.size = size
        self._clock = clock or (lambda: datetime.now(UTC))
        self._lock = threading.Lock()

    def now(self) -> datetime:
        with self._lock:
            return self._clock()

    def set_time(self, moment: datetime | None) -> None:
        """Freeze the market at `moment` (None: follow the wall clock again)."""
        with self._lock:
            self._clock = (lambda: moment) if moment else (lambda: datetime.now(UTC))

    @cached_property
    def parts(self) -> list[Part]:
        return build_parts(self.seed, self.size)

    @cached_property
    def offers(self) -> dict[str, list[Offer]]:
        by_shop: dict[str, list[Offer]] = {}
        for shop_id, profile in PROFILES.items():
            offers = []
            for n, part in enumerate(self.parts, start=1):
                if stable_random(self.seed, shop_id, "carries", part.part_id) >= profile.coverage:
                    continue
                noise = 0.9 + 0.2 * stable_random(self.seed, shop_id, "margin", part.part_id)
                pack = 5 if part.part_type == "charging_port" and shop_id == "teile_feed" else 1
                offers.append(Offer(shop_id, profile.sku_format.format(n=n), part,
                                    part.base_price * profile.margin * noise, pack))
            by_shop[shop_id] = offers
        return by_shop

    def offer(self, shop_id: str, sku: str) -> Offer | None:
        return self._by_sku.get((shop_id, sku))

    @cached_property
    def _by_sku(self) -> dict[tuple[str, str], Offer]:
        return {(o.shop_id, o.sku): o for offers in self.offers.values() for o in offers}

    def quote(self, offer: Offer, at: datetime | None = None) -> Quote:
        profile = PROFILES[offer.shop_id]
        step = int(((at or self.now()) - EPOCH) / STEP)
        key = (self.seed, offer.shop_id, offer.sku)
        level = 1.0
        price_step = _latest_event((*key, "price"), step, profile.price_change_chance)
        if price_step is not None:
            level = 0.88 + 0.24 * stable_random(*key, "level", price_step)
        stock = 12
        stock_step = _latest_event((*key, "stock"), step, profile.stock_change_chance)
        if stock_step is not None:
            draw = stable_random(*key, "qty", stock_step)
            stock = 0 if draw < 0.15 else int(1 + 4 * draw) if draw < 0.35 else int(60 * draw)
        return Quote(offer, money(offer.base_net * level), stock)
