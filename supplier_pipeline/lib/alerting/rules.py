"""The alert rules file: who gets told what, on which channels, how soon.

One YAML file (ALERT_RULES_FILE; without it the rules shipped in default_rules.yaml), checked
like the supplier files: an error names the file and the field. Rules only choose among the
events of marts.mart_alert_events and those the sensors raise (stale data, failed runs); they
never compute an event themselves.
"""

from __future__ import annotations

import re
from datetime import datetime, time, timedelta
from pathlib import Path
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from supplier_pipeline.lib.alerting.message import Recipient

DEFAULT_RULES = Path(__file__).with_name("default_rules.yaml")
CHANNELS = ("webhook", "slack", "email", "whatsapp", "telegram")
PRICE_EVENTS = {"price_up", "price_down", "new_cheapest_supplier"}
EVENT_KINDS = {
    "price_up", "price_down", "back_in_stock", "low_stock", "out_of_stock",
    "new_cheapest_supplier", "scrape_failed", "scrape_quarantined", "scrape_recovered",
    "data_stale", "data_fresh_again", "po_waiting_approval", "po_rejected", "po_overdue",
    "run_failed", "channel_down",
}
Severity = Literal["high", "normal", "low"]


class AlertRulesError(ValueError):
    """A rules file that cannot be used; the message names the file and the field."""


class QuietHours(BaseModel):
    """A daily period (local time) in which nothing is sent; what falls in it waits for its
    end. "22:00-07:00" spans midnight."""

    start: time
    end: time

    @classmethod
    def parse(cls, text: str) -> QuietHours:
        found = re.fullmatch(r"\s*(\d{1,2}:\d{2})\s*-\s*(\d{1,2}:\d{2})\s*", text)
        if not found:
            raise ValueError(f"quiet hours must look like 22:00-07:00, not {text!r}")
        start, end = (time.fromisoformat(part.zfill(5)) for part in found.groups())
        return cls(start=start, end=end)

    def release(self, moment: datetime, zone: ZoneInfo) -> datetime:
        """`moment` if it is outside the quiet hours, else when they end."""
        local = moment.astimezone(zone)
        clock = local.time()
        inside = (self.start <= clock < self.end if self.start <= self.end
                  else clock >= self.start or clock < self.end)
        if not inside:
            return moment
        end = local.replace(hour=self.end.hour, minute=self.end.minute, second=0, microsecond=0)
        if end <= local:
            end += timedelta(days=1)
        return end.astimezone(moment.tzinfo)


def _valid_quiet_hours(value: str | None) -> str | None:
    if value is not None:
        QuietHours.parse(value)
    return value


QuietHoursText = Annotated[str | None, AfterValidator(_valid_quiet_hours)]


class RecipientConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    email: str | None = None
    whatsapp: str | None = Field(None, pattern=r"^\+[1-9]\d{6,14}$",
                                 description="E.164 phone number, +393331234567")
    slack_channel: str | None = None
    telegram_chat_id: str | None = None
    digest: Literal["hourly", "daily", "off"] = "daily"
    digest_at: time = time(8, 0)
    """Local time of the daily digest."""
    quiet_hours: QuietHoursText = None


class Rule(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str
    events: list[str] = Field(min_length=1)
    recipients: list[str] = Field(min_length=1)
    channels: list[Literal["webhook", "slack", "email", "whatsapp", "telegram"]] = Field(
        min_length=1)
    severity: Severity = "normal"
    delivery: Literal["instant", "digest"] | None = None
    """Default: instant for high severity, the recipient's digest for the rest."""
    quiet_hours: QuietHoursText = None
    parts: Literal["all", "matched", "stocked", "needed"] = "all"
    """Which parts: every event, matched to a shop part, parts the shop has on hand, or parts
    it needs (repairs waiting, on an open proposal, or nothing free on hand)."""
    suppliers: list[str] | None = None
    part_ids: list[str] | None = None
    categories: list[str] | None = None
    min_change_pct: float | None = Field(None, ge=0)
    min_change_amount: float | None = Field(None, ge=0)
    """Price moves: at least this many percent and/or currency units (both, when both set)."""

    @field_validator("events")
    @classmethod
    def _known_events(cls, value: list[str]) -> list[str]:
        unknown = sorted(set(value) - EVENT_KINDS)
        if unknown:
            raise ValueError(f"unknown event kinds {unknown}; known: {sorted(EVENT_KINDS)}")
        return value

    def delivery_for(self, recipient: RecipientConfig) -> str:
        if recipient.digest == "off":
            return "instant"
        return self.delivery or ("instant" if self.severity == "high" else "digest")

    def matches(self, event: dict) -> bool:
        if event["event_kind"] not in self.events:
            return False
        if self.suppliers is not None and event.get("supplier_id") not in self.suppliers:
            return False
        if self.part_ids is not None and event.get("part_id") not in self.part_ids:
            return False
        if self.categories is not None and event.get("category") not in self.categories:
            return False
        if event["event_kind"] in PARTS_EVENTS and not self._part_in_scope(event):
            return False
        return self._large_enough(event)

    def _part_in_scope(self, event: dict) -> bool:
        if self.parts == "all":
            return True
        if event.get("part_id") is None:
            return False
        if self.parts == "stocked":
            return bool(event.get("part_stocked"))
        return self.parts == "matched" or bool(event.get("part_needed"))

    def _large_enough(self, event: dict) -> bool:
        if event["event_kind"] not in PRICE_EVENTS:
            return True
        pct, amount = event.get("change_pct"), event.get("change_amount")
        if self.min_change_pct is not None and (pct is None or abs(pct) < self.min_change_pct):
            return False
        return self.min_change_amount is None or (
            amount is not None and abs(amount) >= self.min_change_amount)


# events about one offer or part: a part-scoped rule never matches them without a part
PARTS_EVENTS = {"price_up", "price_down", "back_in_stock", "low_stock", "out_of_stock",
                "new_cheapest_supplier"}


class AlertRules(BaseModel):
    model_config = ConfigDict(extra="forbid")

    timezone: str = "Europe/Rome"
    send_events_newer_than_hours: float = Field(24, gt=0)
    """On a first run, or for a new rule, older events are recorded as seen and not sent."""
    repeat_after_hours: float = Field(24, ge=0)
    """The same thing again (the same move of the same offer) within this window is not sent."""
    prices: Literal["net", "gross", "both"] = "net"
    recipients: dict[str, RecipientConfig] = Field(min_length=1)
    rules: list[Rule] = Field(min_length=1)

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r} (an IANA name: Europe/Rome)") from None
        return value

    @model_validator(mode="after")
    def _recipients_exist(self) -> AlertRules:
        for index, rule in enumerate(self.rules):
            unknown = [name for name in rule.recipients if name not in self.recipients]
            if unknown:
                raise ValueError(f"rules[{index}] ({rule.name}): recipients {unknown} are not "
                                 f"defined under recipients")
        return self

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def recipient(self, name: str) -> Recipient:
        config = self.recipients[name]
        return Recipient(name=name, email=config.email, whatsapp=config.whatsapp,
                         slack_channel=config.slack_channel,
                         telegram_chat_id=config.telegram_chat_id)


def load_rules(path: str | Path | None = None) -> AlertRules:
    """The rules of `path` (default: the shipped rules); raises AlertRulesError naming the
    file and the field at fault."""
    path = Path(path or DEFAULT_RULES)
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise AlertRulesError(f"{path}: not valid YAML: {' '.join(str(exc).split())}") from None
    except OSError as exc:
        raise AlertRulesError(f"{path}: cannot be read: {exc.strerror}") from None
    if not isinstance(raw, dict):
        raise AlertRulesError(f"{path}: expected a mapping with recipients and rules")
    try:
        return AlertRules.model_validate(raw)
    except ValidationError as exc:
        problems = "; ".join(
            f"field `{'.'.join(str(p) for p in err['loc']) or '(top)'}`: {err['msg']}"
            for err in exc.errors())
        raise AlertRulesError(f"{path}: {problems}") from None
