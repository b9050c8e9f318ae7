"""Validate the files the shop's order system delivers: good rows go through, bad rows are
quarantined with the reason, and a file that cannot be read at all is an error that leaves the
previous data in place.
"""

from __future__ import annotations

import codecs
import csv
import io
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import ClassVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator


class ShopFileError(ValueError):
    """The whole file is unusable (missing, or columns missing)."""


class Row(BaseModel):
    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)
    # what identifies a row in the export: a second row with the same key is quarantined
    key: ClassVar[tuple[str, ...]]

    @field_validator("*", mode="before")
    @classmethod
    def empty_is_none(cls, value: object) -> object:
        return None if value == "" else value


class ShopPart(Row):
    key = ("part_id",)
    part_id: str = Field(min_length=1)
    brand: str
    device_model: str
    part_type: str
    quality: str
    colour: str | None = None
    ean: str | None = None


class RepairOrder(Row):
    # a repair that uses several parts (a display and its adhesive) is one row per part
    key = ("order_id", "part_id")
    order_id: str = Field(min_length=1)
    created_at: datetime
    device_model: str
    repair_type: str
    part_id: str | None = None
    quantity: int = Field(ge=0, le=20)
    status: str = Field(pattern="^(completed|waiting_parts|in_progress|cancelled)$")
    completed_at: datetime | None = None


class StockLevel(Row):
    key = ("part_id",)
    part_id: str = Field(min_length=1)
    on_hand: int = Field(ge=0)
    counted_at: datetime


class OpenPurchaseOrder(Row):
    # one row per PO line, whatever system wrote it: by line number when the export has one
    key = ("po_id", "line", "part_id")
    po_id: str = Field(min_length=1)
    line: int | None = Field(None, ge=1)
    supplier_id: str
    part_id: str
    quantity: int = Field(gt=0)
    ordered_at: datetime
    expected_at: datetime | None = None


class PoAcknowledgement(Row):
    """The order system's answer to one line of one of our POs."""

    key = ("po_id", "supplier_sku")
    po_id: str = Field(min_length=1)
    supplier_sku: str = Field(min_length=1)
    order_number: str | None = None  # the order system's own number for the PO
    status: str = Field(pattern="^(accepted|rejected)$")
    confirmed_quantity: int | None = Field(None, ge=0)
    confirmed_price: Decimal | None = Field(None, ge=0, decimal_places=2)
    acknowledged_at: datetime


class GoodsReceived(Row):
    """One delivery of one PO line (a line may arrive in several deliveries)."""

    key = ("po_id", "supplier_sku", "received_at")
    po_id: str = Field(min_length=1)
    supplier_sku: str = Field(min_length=1)
    quantity: int = Field(gt=0)
    received_at: datetime
    invoiced_price: Decimal | None = Field(None, ge=0, decimal_places=2)


SOURCES: dict[str, tuple[str, type[Row]]] = {
    "shop_parts": ("parts.csv", ShopPart),
    "repair_orders": ("repair_orders.csv", RepairOrder),
    "stock_on_hand": ("stock_on_hand.csv", StockLevel),
    "open_purchase_orders": ("open_purchase_orders.csv", OpenPurchaseOrder),
    "po_acknowledgements": ("po_acknowledgements.csv", PoAcknowledgement),
    "goods_received": ("goods_received.csv", GoodsReceived),
}
# Exports the order system sends only once there is something to say: until the first one
# arrives, their tables stay empty and nothing fails.
OPTIONAL = {"po_acknowledgements", "goods_received"}


# Exports that list everything the shop has each time: one that suddenly holds far fewer rows
# is a broken export (a half-written file, a changed date format), not a shop that lost its
# parts, and taking it would make every missing part read 0 on hand and be ordered.
SNAPSHOTS = {"shop_parts", "stock_on_hand", "repair_orders"}
SHRINK_LIMIT = 0.5  # fewer good rows than this share of the last accepted export is refused
SHRINK_MIN_ROWS = 20  # below this many rows a small shop's export may shrink that much


@dataclass
class Ingested:
    good: list[dict] = field(default_factory=list)
    quarantined: list[dict] = field(default_factory=list)  # line, record, reason
    encoding: str = "utf-8"


def refusal(source: str, ingested: Ingested, previous_rows: int) -> str | None:
    """Why an export must not replace the last accepted one, or None when it may."""
    good = len(ingested.good)
    if ingested.quarantined and not good:
        return f"every row is bad ({len(ingested.quarantined)} quarantined)"
    if source in SNAPSHOTS and not good:
        return "the export holds no rows"
    if source in SNAPSHOTS and previous_rows >= SHRINK_MIN_ROWS \
            and good < SHRINK_LIMIT * previous_rows:
        return (f"{good} usable rows where the last accepted export had {previous_rows} "
                f"(below {SHRINK_LIMIT:.0%})")
    return None


# Bytes 0x80-0x9f that Windows-1252 leaves undefined: a file holding one is Latin-1.
_CP1252_UNDEFINED = frozenset(b"\x81\x8d\x8f\x90\x9d")


def decode(raw: bytes) -> tuple[str, str, str]:
    """The export's text, its encoding and the evidence for it. A byte-order mark names the
    encoding; without one, text that is valid UTF-8 is UTF-8; otherwise it is Windows-1252, the
    encoding of most spreadsheet exports on Windows, or Latin-1 when a byte is one Windows-1252
    does not define. Never a silent guess: the evidence goes into the run's metadata."""
    if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return raw.decode("utf-16"), "utf-16 (BOM)", "UTF-16 byte-order mark"
    bom = raw.startswith(codecs.BOM_UTF8)
    try:
        text = raw.decode("utf-8-sig")
        return (text, "utf-8 (BOM)", "UTF-8 byte-order mark, valid UTF-8") if bom \
            else (text, "utf-8", "valid UTF-8")
    except UnicodeDecodeError as exc:
        at = exc.start + (len(codecs.BOM_UTF8) if bom else 0)  # utf-8-sig counts after it
        first = f"byte 0x{raw[at]:02x} at offset {at} is not UTF-8"
        raw = raw[len(codecs.BOM_UTF8):] if bom else raw
    undefined = sorted(_CP1252_UNDEFINED.intersection(raw))
    if undefined:
        return raw.decode("latin-1"), "latin-1", \
            f"{first}; byte 0x{undefined[0]:02x} is undefined in Windows-1252"
    return raw.decode("cp1252"), "windows-1252", \
        f"{first}; every byte is defined in Windows-1252"


@dataclass
class Export:
    """One export as delivered: its decoded header and records, before any validation."""

    path: Path
    encoding: str
    encoding_evidence: str
    columns: list[str]
    records: list[dict]  # one per data row, as csv.DictReader reads it; line = index + 2


def read_export(path: Path) -> Export:
    if not path.exists():
        raise ShopFileError(f"{path}: file not found")
    try:
        text, encoding, evidence = decode(path.read_bytes())
    except UnicodeDecodeError as exc:  # a UTF-16 byte-order mark on bytes that are not UTF-16
        raise ShopFileError(f"{path}: {exc}; the previous data is kept") from exc
    with io.StringIO(text, newline="") as handle:
        reader = csv.DictReader(handle)
        records = list(reader)
        return Export(path, encoding, evidence, list(reader.fieldnames or []), records)


def missing_columns(export: Export, model: type[Row]) -> list[str]:
    required = {n for n, f in model.model_fields.items() if f.is_required()}
    return sorted(required - set(export.columns))


def _reason(error: ValidationError) -> str:
    return "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in error.errors())


def read_shop_file(path: Path, model: type[Row],
                   known_parts: set[str] | None = None) -> Ingested:
    """Validate every row of one export; rows naming an unknown part are quarantined too."""
    return validate_rows(read_export(path), model, known_parts)


def validate_rows(export: Export, model: type[Row],
                  known_parts: set[str] | None = None) -> Ingested:
    missing = missing_columns(export, model)
    if missing:
        raise ShopFileError(f"{export.path}: missing columns {missing}; "
                            "the previous data is kept")
    result = Ingested(encoding=export.encoding)
    seen: set[tuple] = set()
    for line, record in enumerate(export.records, start=2):
        try:
            row = model.model_validate(record).model_dump()
        except ValidationError as exc:
            result.quarantined.append({"line": line, "record": record,
                                       "reason": _reason(exc)})
            continue
        part = row.get("part_id")
        if known_parts is not None and part and part not in known_parts:
            result.quarantined.append({"line": line, "record": record,
                                       "reason": f"unknown part_id {part!r}"})
            continue
        key = tuple(row[name] for name in model.key)
        if key in seen:
            named = ", ".join(f"{n} {v!r}" for n, v in zip(model.key, key, strict=True))
            result.quarantined.append({"line": line, "record": record,
                                       "reason": f"duplicate row for {named}"})
            continue
        seen.add(key)
        result.good.append(row)
    return result
