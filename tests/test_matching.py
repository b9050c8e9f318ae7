"""Offer-to-part matching, measured on a labelled set of offer titles (demo shop styles in
Italian, English and German, with glued model names, dropped brands, noise words and typos,
plus parts the shop does not stock)."""

import csv
from pathlib import Path

import pandas as pd
import pytest

from supplier_pipeline.demo.catalog import build_parts
from supplier_pipeline.lib.matching import match_offers

LABELLED = Path(__file__).parent / "matching" / "labelled_offer_titles.csv"


@pytest.fixture(scope="module")
def parts() -> pd.DataFrame:
    return pd.DataFrame([p.__dict__ for p in build_parts()])


def offers_from(titles: list[str], **columns) -> pd.DataFrame:
    base = {"supplier_id": "s", "brand": None, "device_model": None, "part_type": None,
            "quality": None, "colour": None, "ean": None}
    return pd.DataFrame([{**base, **columns, "supplier_sku": str(i), "title": t}
                         for i, t in enumerate(titles)])


def test_precision_and_recall_on_labelled_titles(parts, capsys):
    rows = list(csv.DictReader(LABELLED.open(encoding="utf-8")))
    matches = match_offers(offers_from([r["title"] for r in rows]), parts)
    made = [(r, m) for r, m in zip(rows, matches, strict=True) if m.part_id]
    correct = sum(r["part_id"] == m.part_id for r, m in made)
    precision, recall = correct / len(made), correct / sum(bool(r["part_id"]) for r in rows)
    with capsys.disabled():
        print(f"\nmatching on {len(rows)} labelled titles: precision {precision:.3f}, "
              f"recall {recall:.3f}")
    assert precision >= 0.98 and recall >= 0.95
    not_stocked = [m for r, m in zip(rows, matches, strict=True) if not r["part_id"]]
    assert all(m.method == "unmatched" for m in not_stocked)


def test_ean_wins_over_a_misleading_title(parts):
    part = parts.iloc[5]
    offers = offers_from(["Display iPhone 15 Pro Originale"], ean=part["ean"])
    match = match_offers(offers, parts)[0]
    assert (match.part_id, match.method, match.confidence) == (part["part_id"], "ean", 1.0)


def test_glued_models_and_typos(parts):
    matches = match_offers(offers_from([
        "Dispaly LCD iPhone13Pro OLED Nero", "Batteria iPhone1 Originale"]), parts)
    assert matches[0].part_id == "apple-iphone-13-pro-display-oled-black"
    assert matches[1].part_id is None  # `iPhone1` is no model the shop knows


def test_uncertain_offer_keeps_a_candidate_for_review(parts):
    match = match_offers(offers_from(["Display iPhone 13"]), parts)[0]  # grade not stated
    assert match.method == "unmatched" and match.part_id is None
    assert match.candidate_part_id.startswith("apple-iphone-13-display")
