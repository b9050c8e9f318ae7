"""Match supplier offers to the shop's canonical parts: EAN/MPN first, then normalised
attributes (read from the offer's fields or, failing those, from its title), then fuzzy title
similarity. Every match has a method and a confidence; uncertain ones go to a review list."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
from rapidfuzz import fuzz, process

from supplier_pipeline.lib.scraping import normalise

FUZZY_ACCEPT = 0.86  # below this a fuzzy match is only a candidate for review
FUZZY_MARGIN = 0.05  # and the best part must beat the next one by this much


@dataclass(frozen=True)
class Match:
    supplier_id: str
    supplier_sku: str
    part_id: str | None
    method: str  # ean, mpn, attributes, title_attributes, fuzzy, unmatched
    confidence: float
    candidate_part_id: str | None  # best guess, also for unmatched offers


def canonical_title(part: pd.Series) -> str:
    words = [part["brand"], part["device_model"], str(part["part_type"]).replace("_", " "),
             str(part["quality"]).replace("_", " "), part.get("colour") or ""]
    return " ".join(str(w) for w in words if w).lower()


def _plain(text: object) -> str:
    return normalise._plain(str(text)) if text is not None and text == text else ""


def _key(brand: object, model: object, part_type: object, quality: object,
         colour: object) -> tuple:
    return (_plain(brand), normalise.device_model(str(brand or ""), str(model or "")) or "",
            part_type or "", quality or "", colour or "")


def _model_in_title(title: str, models: list[str]) -> str | None:
    """The longest known device model named in the title (`iphone 13 pro` before `iphone 13`),
    also when the shop glues it together (`iPhone13Pro`)."""
    padded = f" {title} "
    for model in models:
        if f" {model} " in padded:
            return model
    compact = title.replace(" ", "")
    for model in models:
        glued = model.replace(" ", "")
        start = compact.find(glued)
        end = start + len(glued)
        # the next character must not continue the model's number (`iphone1` in `iphone13`)
        if start >= 0 and not (end < len(compact) and compact[end].isdigit()):
            return model
    return None


def _typo_tolerant(title: str, table: dict[str, list[str]]) -> str | None:
    """A vocabulary word with a typo (`Dispaly`, `Batery`), one word at a time."""
    for word in title.split():
        for canonical, words in table.items():
            if len(word) > 4 and any(" " not in w and fuzz.ratio(word, w) >= 80 for w in words):
                return canonical
    return None


def match_offers(offers: pd.DataFrame, parts: pd.DataFrame) -> list[Match]:
    parts = parts.assign(colour=parts["colour"].where(parts["colour"].notna(), None))
    by_ean = {str(e): p for e, p in zip(parts["ean"], parts["part_id"], strict=True) if e}
    keys = {_key(r.brand, r.device_model, r.part_type, r.quality, r.colour): r.part_id
            for r in parts.itertuples()}
    brands_of_model = {normalise.device_model(r.brand, r.device_model): _plain(r.brand)
                       for r in parts.itertuples()}
    models = sorted(brands_of_model, key=len, reverse=True)
    titles = {r.part_id: canonical_title(pd.Series(r._asdict())) for r in parts.itertuples()}
    part_type_of = dict(zip(parts["part_id"], parts["part_type"], strict=True))
    parts_by_id = parts.set_index("part_id", drop=False).to_dict("index")
    matches = []
    for offer in offers.itertuples():
        found = None
        if getattr(offer, "ean", None) and str(offer.ean) in by_ean:
            found = (by_ean[str(offer.ean)], "ean", 1.0)
        title = _plain(offer.title)
        if found is None and offer.part_type:
            key = _key(offer.brand, offer.device_model, offer.part_type, offer.quality,
                       offer.colour)
            if key in keys:
                found = (keys[key], "attributes", 0.95)
        if found is None:
            model = _model_in_title(title, models)
            kind = (offer.part_type or normalise.part_type(title)
                    or _typo_tolerant(title, normalise.PART_TYPE_WORDS))
            grade = offer.quality or normalise.quality(title)
            colour = offer.colour or normalise.colour(title)
            if model and kind and grade:
                key = (brands_of_model[model], model, kind, grade, colour or "")
                if key in keys:
                    found = (keys[key], "title_attributes", 0.9)
        candidate = None
        if found is None:
            kind = offer.part_type or normalise.part_type(title)
            pool = {p: t for p, t in titles.items() if kind is None or part_type_of[p] == kind}
            ranked = process.extract(title, pool, scorer=fuzz.token_set_ratio, limit=2)
            if ranked:
                candidate, score = ranked[0][2], ranked[0][1] / 100
                runner_up = ranked[1][1] / 100 if len(ranked) > 1 else 0.0
                # A close title is not enough: the device model itself must be named, and
                # the best part must stand out (`Display iPhone 13` fits every grade).
                named = _model_in_title(title, [normalise.device_model(
                    "", parts_by_id[candidate]["device_model"])])
                if score >= FUZZY_ACCEPT and named and score - runner_up >= FUZZY_MARGIN:
                    found = (candidate, "fuzzy", round(score * 0.9, 3))
        if found:
            matches.append(Match(offer.supplier_id, offer.supplier_sku, found[0], found[1],
                                 found[2], found[0]))
        else:
            matches.append(Match(offer.supplier_id, offer.supplier_sku, None, "unmatched", 0.0,
                                 candidate))
    return matches
