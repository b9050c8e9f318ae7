"""The demo repair shop's own data, as its order system would export it: the parts it uses,
two years of repair orders with intermittent part demand, stock on hand and open POs.

A few rows are broken on purpose (a bad date, a negative quantity, an unknown part), as real
exports are, so the demo shows them quarantined.
"""

from __future__ import annotations

import csv
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

import numpy as np

from supplier_pipeline.demo.catalog import Part, build_parts

REPAIR_TYPES = {"display": "screen_replacement", "battery": "battery_replacement",
                "back_glass": "back_glass_replacement", "charging_port": "charging_port_repair",
                "rear_camera": "rear_camera_replacement",
                "front_camera": "front_camera_replacement"}
WEEKDAY_FACTOR = [1.1, 1.0, 1.0, 1.1, 1.3, 1.2, 0.0]  # closed on Sunday
HISTORY_DAYS = 730


def _write(path: Path, header: list[str], rows: list[list[object]]) -> None:
    temporary = path.with_suffix(".tmp")
    with temporary.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    temporary.replace(path)


def generate_shop_history(folder: Path, today: date, seed: int = 11,
                          parts: list[Part] | None = None) -> dict[str, int]:
    """Write the shop's export files into `folder`; returns rows written per file."""
    rng = np.random.default_rng(seed)
    parts = parts or build_parts()
    folder.mkdir(parents=True, exist_ok=True)
    _write(folder / "parts.csv",
           ["part_id", "brand", "device_model", "part_type", "quality", "colour", "ean"],
           [[p.part_id, p.brand, p.device_model, p.part_type, p.quality, p.colour or "", p.ean]
            for p in parts])

    orders: list[list[object]] = []
    start = today - timedelta(days=HISTORY_DAYS)
    rates = np.array([p.popularity for p in parts])
    for offset in range(HISTORY_DAYS + 1):
        day = start + timedelta(days=offset)
        factor = WEEKDAY_FACTOR[day.weekday()] * (1 + 0.15 * np.sin(2 * np.pi * offset / 365))
        counts = rng.poisson(rates * factor)
        for index in np.flatnonzero(counts):
            part = parts[index]
            for _ in range(int(counts[index])):
                created = datetime.combine(day, time(9), UTC) + timedelta(
                    minutes=int(rng.integers(0, 540)))
                recent = (today - day).days <= 2
                status = "waiting_parts" if recent and rng.random() < 0.5 else (
                    "cancelled" if rng.random() < 0.03 else "completed")
                done = created + timedelta(hours=int(rng.integers(1, 30)))
                orders.append([f"R{len(orders) + 1:07d}", created.isoformat(),
                               f"{part.brand} {part.device_model}", REPAIR_TYPES[part.part_type],
                               part.part_id, 1, status,
                               done.isoformat() if status == "completed" else ""])
        if day.weekday() < 6 and rng.random() < 0.3:  # repairs that need no part
            created = datetime.combine(day, time(10), UTC)
            orders.append([f"R{len(orders) + 1:07d}", created.isoformat(), "Apple iPhone 12",
                           "software_diagnosis", "", 0, "completed", created.isoformat()])
    if orders:
        orders.append([f"R{len(orders) + 1:07d}", "yesterday", "Apple iPhone 13",
                       "screen_replacement", parts[0].part_id, 1, "completed", ""])
        orders.append([f"R{len(orders) + 1:07d}", orders[-2][1], "Apple iPhone 12",
                       "battery_replacement", parts[1].part_id, -2, "completed", ""])
        orders.append([f"R{len(orders) + 1:07d}", orders[-3][1], "Nokia 3310",
                       "battery_replacement", "nokia-3310-battery-original", 1, "completed", ""])
    _write(folder / "repair_orders.csv",
           ["order_id", "created_at", "device_model", "repair_type", "part_id", "quantity",
            "status", "completed_at"], orders)

    counted = datetime.combine(today, time(7), UTC).isoformat()
    stock = [[p.part_id, int(rng.poisson(max(p.popularity * 30, 0.5))), counted] for p in parts]
    _write(folder / "stock_on_hand.csv", ["part_id", "on_hand", "counted_at"], stock)

    open_pos = []
    for index in rng.choice(len(parts), size=min(12, len(parts)), replace=False):
        ordered = datetime.combine(today - timedelta(days=int(rng.integers(1, 4))), time(11), UTC)
        open_pos.append([f"PO-DEMO-{len(open_pos) + 1:04d}",
                         ["ricambi_italia", "fixparts_js", "teile_feed"][index % 3],
                         parts[index].part_id, int(rng.integers(1, 6)), ordered.isoformat(),
                         (ordered + timedelta(days=3)).isoformat()])
    _write(folder / "open_purchase_orders.csv",
           ["po_id", "supplier_id", "part_id", "quantity", "ordered_at", "expected_at"], open_pos)
    return {"parts.csv": len(parts), "repair_orders.csv": len(orders),
            "stock_on_hand.csv": len(stock), "open_purchase_orders.csv": len(open_pos)}
