import pandas as pd

from supplier_pipeline.lib.alerts import price_change_alerts


def history() -> pd.DataFrame:
    return pd.DataFrame([
        {"supplier_id": "s", "supplier_sku": "a", "part_id": "p1", "price_net": 100.0,
         "valid_from": pd.Timestamp("2026-11-01 00:05", tz="UTC")},
        {"supplier_id": "s", "supplier_sku": "a", "part_id": "p1", "price_net": 112.0,
         "valid_from": pd.Timestamp("2026-11-01 04:05", tz="UTC")},
        {"supplier_id": "s", "supplier_sku": "a", "part_id": "p1", "price_net": 110.0,
         "valid_from": pd.Timestamp("2026-11-01 08:05", tz="UTC")},
        {"supplier_id": "s", "supplier_sku": "b", "part_id": None, "price_net": 10.0,
         "valid_from": pd.Timestamp("2026-11-01 00:05", tz="UTC")},
        {"supplier_id": "s", "supplier_sku": "b", "part_id": None, "price_net": 20.0,
         "valid_from": pd.Timestamp("2026-11-01 04:05", tz="UTC")},
    ])


def test_only_moves_beyond_the_threshold_on_matched_parts_alert():
    alerts = price_change_alerts(history(), threshold_pct=5.0, already_raised=set())
    assert [(a["supplier_sku"], a["kind"], a["change_pct"]) for a in alerts] == [
        ("a", "price_up", 12.0)]  # -1.8 % is below the threshold; sku b is not matched
    assert alerts[0]["message"] == "p1: up 12.0 % at s (100.00 -> 112.00 EUR net)"


def test_a_change_is_alerted_once():
    first = price_change_alerts(history(), 1.0, already_raised=set())
    again = price_change_alerts(history(), 1.0, already_raised={a["alert_id"] for a in first})
    assert len(first) == 2 and again == []
