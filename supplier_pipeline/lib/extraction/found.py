"""One extracted field: its value, the layer that produced it, how far it is trusted, and
why it is empty when it is."""

from __future__ import annotations

from dataclasses import dataclass

LAYERS = ("json-ld", "microdata", "rdfa", "opengraph", "script", "heuristic")


@dataclass(frozen=True)
class Found:
    value: str | None
    layer: str | None  # one of LAYERS
    confidence: float | None = None  # 0-1: the layer's trust, raised when layers agree
    reason: str | None = None  # why the value is None, when something was there to read
