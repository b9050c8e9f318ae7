"""Score extracted product fields the way the public product-extraction benchmark does
(scrapinghub/product-extraction-benchmark), so our figures compare with its published ones.

One predicted value per field and page; it is right when it equals any acceptable value:
prices as decimal numbers (currency ignored), SKUs without spaces and case, availability
as `InStock` / `OutOfStock` with no prediction counted as `InStock`. Precision is right over
predicted, recall right over pages with an acceptable value. Out-of-stock is scored on its
own: a page counts only when its truth, or our prediction, is `OutOfStock`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal

from price_parser import Price

FIELDS = ("price", "sku", "availability", "out_of_stock")


def _price(value: object) -> Decimal | None:
    # price-parser reads `1,299.00`, `1299` and `23.450` (a thousands dot) as the benchmark does
    return Price.fromstring(str(value)).amount if value not in (None, "") else None


def _sku(value: object) -> str | None:
    text = "".join(str(value).split()).lower() if value is not None else ""
    return text or None


COMPARABLE = {"price": _price, "sku": _sku, "availability": lambda v: v or "InStock"}


def is_right(attribute: str, predicted: object, truth: Iterable[object]) -> bool:
    comparable = COMPARABLE[attribute]
    value = comparable(predicted)
    return value is not None and any(value == comparable(t) for t in truth)


@dataclass
class Score:
    predicted: int = 0
    right: int = 0
    labelled: int = 0
    wrong: list[tuple[str, object, list]] = field(default_factory=list)

    @property
    def precision(self) -> float:
        return self.right / self.predicted if self.predicted else 0.0

    @property
    def recall(self) -> float:
        return self.right / self.labelled if self.labelled else 0.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0


def score(predictions: Mapping[str, Mapping[str, object]],
          truths: Mapping[str, Mapping[str, list | None]]) -> dict[str, Score]:
    """Per field, the score of `predictions` ({page: {field: value}}) against `truths`
    ({page: {field: [acceptable values]}}); a wrong or missed page is listed in `wrong`."""
    scores = {name: Score() for name in FIELDS}
    for page, truth in truths.items():
        found = predictions.get(page, {})
        for attribute in ("price", "sku", "availability"):
            accepted = [t for t in truth.get(attribute) or [] if t not in (None, "")]
            value = found.get(attribute)
            if attribute == "availability":
                value = value or "InStock"  # the benchmark's reading of "no prediction"
            _count(scores[attribute], page, attribute, value, accepted)
        out_truth = "OutOfStock" in (truth.get("availability") or [])
        out_found = found.get("availability") == "OutOfStock"
        if out_truth or out_found:
            _count(scores["out_of_stock"], page, "availability",
                   "OutOfStock" if out_found else None, ["OutOfStock"] if out_truth else [])
    return scores


def _count(score: Score, page: str, attribute: str, value: object, accepted: list) -> None:
    right = bool(accepted) and is_right(attribute, value, accepted)
    score.labelled += bool(accepted)
    score.predicted += value is not None
    score.right += right
    if not right and (accepted or value is not None):
        score.wrong.append((page, value, accepted))
