"""Read configured fields from HTML with CSS selectors tried in order (first match wins)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from parsel import Selector

from supplier_pipeline.lib.suppliers.config import FieldRule


@dataclass(frozen=True)
class Extracted:
    value: str | None
    matched: str | None  # the selector that produced the value, None when none did


def clean(text: str) -> str:
    return " ".join(text.split())


def extract_field(node: Selector, rule: FieldRule) -> Extracted:
    for css in rule.css:
        texts = [clean(t) for t in node.css(css).getall()]
        value = clean(" ".join(t for t in texts if t))
        if not value:
            continue
        if rule.regex:
            match = re.search(rule.regex, value)
            if not match:
                continue
            value = match.group(1) if match.groups() else match.group(0)
        return Extracted(value, css)
    return Extracted(None, None)


def extract_fields(node: Selector, rules: dict[str, FieldRule]) -> dict[str, Extracted]:
    return {name: extract_field(node, rule) for name, rule in rules.items()}
