"""Which sources are stale: a supplier whose last accepted scrape is older than its cadence
allows, a mart not rebuilt for longer than the scrape rounds that feed it.

Pure functions: the Dagster check and the alert sensor give them what the event log says, so
the red check in the UI and the message the owner gets always agree.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta

# A late run is not a broken source: allow two missed cadences plus this before calling it stale.
MISSED_TICKS = 2
GRACE = timedelta(minutes=30)


def allowed_age(interval: timedelta) -> timedelta:
    """How old the last good update may be for a source updated every `interval`."""
    return MISSED_TICKS * interval + GRACE


def stale(last_good: Mapping[str, datetime | None], allowed: Mapping[str, timedelta],
          now: datetime, watched_since: Mapping[str, datetime] | None = None) -> dict[str, str]:
    """Each stale name with why. A name never updated counts from when it was first watched
    (a new deployment is not stale before its first scrape is due); without that, at once."""
    out = {}
    for name, limit in allowed.items():
        last = last_good.get(name)
        if last is not None:
            if now - last > limit:
                out[name] = (f"last good update {_age(now - last)} ago at {last:%Y-%m-%d %H:%M} "
                             f"UTC (allowed: {_age(limit)})")
            continue
        since = (watched_since or {}).get(name)
        if since is None or now - since > limit:
            out[name] = f"no good update recorded (allowed: {_age(limit)})"
    return out


def _age(delta: timedelta) -> str:
    minutes = int(delta.total_seconds() // 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h {minutes:02d}m" if hours else f"{minutes}m"
