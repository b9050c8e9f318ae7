"""Decide which price changes deserve an alert, and say what they mean."""

from __future__ import annotations

import hashlib

import pandas as pd


def alert_id(*parts: object) -> str:
    return hashlib.sha1("|".join(map(str, parts)).encode()).hexdigest()[:16]


def price_change_alerts(history: pd.DataFrame, threshold_pct: float,
                        already_raised: set[str]) -> list[dict]:
    """One alert per price period that starts with a move of at least `threshold_pct`.

    `history` has the columns of fct_price_history; only matched offers are considered, and a
    period that already raised an alert never raises another.
    """
    if history.empty:
        return []
    ordered = history.sort_values(["supplier_id", "supplier_sku", "valid_from"]).copy()
    ordered["old_price"] = ordered.groupby(["supplier_id", "supplier_sku"])["price_net"].shift()
    changes = ordered[ordered["old_price"].notna() & ordered["part_id"].notna()]
    alerts = []
    for row in changes.itertuples(index=False):
        old, new = float(row.old_price), float(row.price_net)
        change = (new - old) / old * 100
        if abs(change) < threshold_pct:
            continue
        identifier = alert_id(row.supplier_id, row.supplier_sku, row.valid_from)
        if identifier in already_raised:
            continue
        kind = "price_up" if change > 0 else "price_down"
        alerts.append({
            "alert_id": identifier, "kind": kind, "supplier_id": row.supplier_id,
            "supplier_sku": row.supplier_sku, "part_id": row.part_id,
            "title": getattr(row, "title", None), "old_price": row.old_price,
            "new_price": row.price_net, "change_pct": round(change, 2),
            "changed_at": row.valid_from,
            "message": (f"{row.part_id}: {'up' if change > 0 else 'down'} {abs(change):.1f} % "
                        f"at {row.supplier_id} ({old:.2f} -> {new:.2f} EUR net)"),
        })
    return alerts
