"""The demo world's canonical spare parts and which demo shop sells which of them.

Everything is derived from a seed, so the tests, the demo and the benchmarks see the same
catalogue on every machine.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

DEVICES: dict[str, list[tuple[str, float]]] = {
    # brand -> (device model, price tier: how expensive its parts are)
    "Apple": [
        ("iPhone 11", 0.8), ("iPhone 12", 1.0), ("iPhone 12 Pro", 1.2), ("iPhone 13", 1.1),
        ("iPhone 13 Pro", 1.4), ("iPhone 14", 1.3), ("iPhone 14 Pro", 1.7), ("iPhone 15", 1.6),
    ],
    "Samsung": [
        ("Galaxy S21", 1.0), ("Galaxy S22", 1.2), ("Galaxy S23", 1.4), ("Galaxy A52", 0.6),
        ("Galaxy A53", 0.6), ("Galaxy A54", 0.7),
    ],
    "Xiaomi": [("Redmi Note 10", 0.4), ("Redmi Note 11", 0.45), ("Redmi Note 12", 0.5)],
    "Huawei": [("P30", 0.6), ("P40 Lite", 0.45)],
    "Google": [("Pixel 6", 0.9), ("Pixel 7", 1.0)],
}

# part type -> (base price in EUR net for tier 1.0, quality grades, has colour)
PART_TYPES: dict[str, tuple[float, tuple[str, ...], bool]] = {
    "display": (120.0, ("original", "service_pack", "oled", "incell", "aftermarket"), True),
    "battery": (28.0, ("original", "aftermarket"), False),
    "back_glass": (22.0, ("original", "aftermarket"), True),
    "charging_port": (14.0, ("original", "aftermarket"), False),
    "rear_camera": (45.0, ("original", "service_pack"), False),
    "front_camera": (25.0, ("original",), False),
}

QUALITY_FACTOR = {
    "original": 1.0, "service_pack": 0.9, "oled": 0.7, "incell": 0.45, "aftermarket": 0.4,
}
COLOURS = ("black", "white", "blue")


def stable_random(*key: object) -> float:
    """A uniform number in [0, 1) fixed by its key: the demo's only source of randomness."""
    digest = hashlib.blake2b("|".join(map(str, key)).encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") / 2**64


def money(value: float) -> Decimal:
    return Decimal(str(value)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class Part:
    """A canonical part: device model x part type x quality grade x colour."""

    part_id: str
    brand: str
    device_model: str
    part_type: str
    quality: str
    colour: str | None
    ean: str
    base_price: float  # EUR, net of VAT, before a shop's own margin

    @property
    def popularity(self) -> float:
        """Repairs per day of this part at the demo shop (most parts are intermittent)."""
        tier = dict(DEVICES[self.brand])[self.device_model]
        share = {"display": 1.0, "battery": 0.8, "back_glass": 0.3, "charging_port": 0.35,
                 "rear_camera": 0.12, "front_camera": 0.06}[self.part_type]
        grade = {"original": 0.35, "service_pack": 0.6, "oled": 0.5, "incell": 0.4,
                 "aftermarket": 0.7}[self.quality]
        brand = {"Apple": 1.6, "Samsung": 1.0, "Xiaomi": 0.5, "Huawei": 0.25, "Google": 0.2}
        colour = 1.0 if self.colour in (None, "black") else 0.3
        return 0.25 * share * grade * brand[self.brand] * colour / max(tier, 0.5)


def _ean(part_id: str) -> str:
    body = "80" + str(int(stable_random("ean", part_id) * 10**10)).zfill(10)
    total = sum(int(d) * (3 if i % 2 else 1) for i, d in enumerate(body))
    return body + str((10 - total % 10) % 10)


def slug(text: str) -> str:
    return "-".join(text.lower().replace("_", " ").split())


def build_parts(seed: int = 7, size: int | None = None) -> list[Part]:
    """Every canonical part of the demo world, optionally stretched to `size` parts.

    Stretching (for benchmarks) repeats the device list under numbered model names.
    """
    parts: list[Part] = []
    generation = 0
    while True:
        for brand, models in DEVICES.items():
            for model, tier in models:
                name = model if generation == 0 else f"{model} Gen{generation + 1}"
                for part_type, (base, grades, coloured) in PART_TYPES.items():
                    for quality in grades:
                        colours = COLOURS if coloured else (None,)
                        for colour in colours:
                            if coloured and colour != "black" and stable_random(
                                seed, "colour", name, part_type, quality, colour
                            ) < 0.5:
                                continue
                            pid = slug(f"{brand} {name} {part_type} {quality} {colour or ''}")
                            price = base * tier * QUALITY_FACTOR[quality]
                            price *= 0.9 + 0.2 * stable_random(seed, "price", pid)
                            parts.append(Part(pid, brand, name, part_type, quality, colour,
                                              _ean(pid), round(price, 2)))
                            if size is not None and len(parts) >= size:
                                return parts
        generation += 1
        if size is None:
            return parts
