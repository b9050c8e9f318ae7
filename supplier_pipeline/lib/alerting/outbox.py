"""The alert outbox: alerts are written first, then delivered, each to each channel once.

Raising (`raise_alerts`) turns events into rows of alerting.alerts and one outbox row per
recipient and channel the rules name, in one transaction. Delivering (`deliver`) sends what is
due, one message at a time, outside any warehouse transaction:

- a message is claimed before it is sent (a conditional update with a lease), so two runs never
  send the same rows; it is marked sent right after the channel took it. A crash in between
  leaves it claimed until the lease ends, and the next run sends it again under the same
  message key, which the channels pass on as an idempotency key (header, Message-ID...).
- a channel that fails keeps its rows pending with a growing backoff, loses nothing, and raises
  one `channel_down` alert for the other channels; every attempt is recorded.
- events older than the rules' window are recorded as seen, not sent, so a first run or a new
  rule does not flood; the same thing again within `repeat_after_hours` is not sent twice.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from supplier_pipeline.lib.alerting import compose
from supplier_pipeline.lib.alerting.message import Channel, DeliveryError, Line, Message
from supplier_pipeline.lib.alerting.redact import redact
from supplier_pipeline.lib.alerting.rules import AlertRules, QuietHours, RecipientConfig, Rule
from supplier_pipeline.lib.warehouse import Warehouse

ALERTS, OUTBOX = "alerting.alerts", "alerting.outbox"
ATTEMPTS, HEALTH = "alerting.delivery_attempts", "alerting.channel_health"
TABLES = [ALERTS, OUTBOX, ATTEMPTS, HEALTH]
LEASE = timedelta(minutes=10)  # longer than any channel's timeout
MAX_BACKOFF = timedelta(hours=1)
SEVERITY_ORDER = {"high": 0, "normal": 1, "low": 2}


def key_of(*parts: object) -> str:
    return hashlib.sha256("|".join(map(str, parts)).encode()).hexdigest()[:32]


@dataclass
class RaiseReport:
    raised: list[dict] = field(default_factory=list)  # alerts rows with status "raised"
    seen: int = 0  # older than the window: recorded, not sent
    repeats: int = 0  # the same thing again within the repeat window
    queued: int = 0  # outbox rows pending delivery
    unconfigured: set[str] = field(default_factory=set)  # channels rules name, not configured
    unreachable: set[str] = field(default_factory=set)  # recipients without that address


@dataclass
class DeliveryReport:
    sent: list[dict] = field(default_factory=list)  # one per message: channel, recipient, alerts
    failed: list[dict] = field(default_factory=list)
    channels_down: set[str] = field(default_factory=set)


def raise_alerts(store: Warehouse, rules: AlertRules, events: Iterable[Mapping],
                 channels: Mapping[str, Channel], now: datetime, ui_url: str | None = None,
                 exclude_channels: Iterable[str] = ()) -> RaiseReport:
    """Record alerts for the events the rules select and queue their deliveries on the
    configured `channels` that reach each recipient."""
    excluded = set(exclude_channels)
    report = RaiseReport()
    window_start = now - timedelta(hours=rules.send_events_newer_than_hours)
    with store.connect() as connection:
        store.ensure_tables(connection, TABLES)
        known = {row[0]: row[1] for row in store.execute(
            connection, f"select alert_id, status from {ALERTS}").fetchall()}
        queued = {tuple(row) for row in store.execute(
            connection, f"select alert_id, recipient, channel from {OUTBOX}").fetchall()}
        last_raised = _last_raised(store, connection)
        alerts, rows = [], []
        events = [{**event, "happened_at": _aware(event["happened_at"])} for event in events]
        for event in sorted(events, key=lambda e: e["happened_at"]):
            alert_id = event["event_id"]
            if alert_id in known and event["happened_at"] < window_start:
                continue  # decided before, and too old for a new rule to send
            deliveries = _deliveries(rules, event, channels, excluded, report)
            if not deliveries:
                continue
            status = known.get(alert_id) or _status(rules, event, window_start, last_raised)
            if alert_id not in known:
                known[alert_id] = status
                first_rule = deliveries[0][1]
                alerts.append(_alert_row(rules, event, first_rule, status, now, ui_url))
                if status == "raised":
                    last_raised[event["repeat_key"]] = event["happened_at"]
                    report.raised.append(alerts[-1])
                else:
                    report.seen += status == "seen"
                    report.repeats += status == "repeat"
            for (recipient, channel), rule in deliveries:
                if (alert_id, recipient, channel) in queued:
                    continue
                queued.add((alert_id, recipient, channel))
                pending = status == "raised" and event["happened_at"] >= window_start
                rows.append(_outbox_row(rules, rule, alert_id, recipient, channel, now, pending))
                report.queued += pending
        store.insert(connection, ALERTS, alerts)
        store.insert(connection, OUTBOX, rows)
    return report


def _deliveries(rules: AlertRules, event: dict, channels: Mapping[str, Channel],
                excluded: set[str], report: RaiseReport) -> list[tuple[tuple[str, str], Rule]]:
    """(recipient, channel) -> the first rule that sends this event there, in file order."""
    chosen: dict[tuple[str, str], Rule] = {}
    for rule in rules.rules:
        if not rule.matches(event):
            continue
        for name in rule.recipients:
            for channel in rule.channels:
                if channel in excluded:
                    continue
                if channel not in channels:
                    report.unconfigured.add(channel)
                    continue
                if channels[channel].reaches(rules.recipient(name)):
                    chosen.setdefault((name, channel), rule)
                else:
                    report.unreachable.add(f"{name} on {channel}")
    return list(chosen.items())


def _last_raised(store: Warehouse, connection) -> dict[str, datetime]:
    rows = store.execute(connection, f"select repeat_key, max(happened_at) from {ALERTS} "
                                     "where status = 'raised' group by repeat_key").fetchall()
    return {key: _aware(when) for key, when in rows}


def _status(rules: AlertRules, event: dict, window_start: datetime,
            last_raised: dict[str, datetime]) -> str:
    if event["happened_at"] < window_start:
        return "seen"
    previous = last_raised.get(event.get("repeat_key"))
    if previous is not None and event["happened_at"] - previous < timedelta(
            hours=rules.repeat_after_hours):
        return "repeat"
    return "raised"


def _alert_row(rules: AlertRules, event: dict, rule: Rule, status: str, now: datetime,
               ui_url: str | None) -> dict:
    return {
        "alert_id": event["event_id"], "event_kind": event["event_kind"],
        "severity": rule.severity, "rule": rule.name, "happened_at": event["happened_at"],
        "raised_at": now, "supplier_id": event.get("supplier_id"),
        "supplier_sku": event.get("supplier_sku"), "part_id": event.get("part_id"),
        "po_id": event.get("po_id"), "repeat_key": event.get("repeat_key"),
        "subject": compose.subject_of(event), "text": compose.line_text(event, rules.prices),
        "link": compose.link_of(event, ui_url), "status": status,
    }


def _outbox_row(rules: AlertRules, rule: Rule, alert_id: str, recipient: str, channel: str,
                now: datetime, pending: bool) -> dict:
    config = rules.recipients[recipient]
    delivery = rule.delivery_for(config)
    due = now if delivery == "instant" else next_digest(config, now, rules)
    quiet = rule.quiet_hours or config.quiet_hours
    if quiet:
        due = QuietHours.parse(quiet).release(due, rules.zone)
    return {"alert_id": alert_id, "recipient": recipient, "channel": channel,
            "severity": rule.severity, "delivery": delivery, "due_at": due,
            "state": "pending" if pending else "seen", "attempts": 0}


def next_digest(config: RecipientConfig, now: datetime, rules: AlertRules) -> datetime:
    """When the recipient's next digest goes out: the next full hour, or the next daily time."""
    local = now.astimezone(rules.zone)
    if config.digest == "hourly":
        return (local.replace(minute=0, second=0, microsecond=0)
                + timedelta(hours=1)).astimezone(now.tzinfo)
    due = local.replace(hour=config.digest_at.hour, minute=config.digest_at.minute, second=0,
                        microsecond=0)
    if due <= local:
        due += timedelta(days=1)
    return due.astimezone(now.tzinfo)


def pending_count(store: Warehouse, now: datetime) -> int:
    """Deliveries due now (the sensor's cheap question before it starts a delivery run)."""
    if not store.table_exists(OUTBOX):
        return 0
    found = store.read(
        f"select count(*) as n from {OUTBOX} where state = 'pending' and due_at <= ? "
        "and (next_attempt_at is null or next_attempt_at <= ?) "
        "and (claimed_until is null or claimed_until < ?)", [now, now, now])
    return int(found["n"].iloc[0])


def deliver(store: Warehouse, rules: AlertRules, channels: Mapping[str, Channel],
            now: datetime, ui_url: str | None = None,
            digests_now: bool = False) -> DeliveryReport:
    """Send every message that is due (with `digests_now`, the digests too, before their
    hour); see the module docstring for the guarantees."""
    report = DeliveryReport()
    if not store.table_exists(OUTBOX):
        return report
    token = uuid.uuid4().hex
    for group in _due_groups(store, now, digests_now):
        channel = channels.get(group["channel"])
        if channel is None or group["channel"] in report.channels_down:
            continue  # not configured here, or failed already in this run: try later
        claimed = _claim(store, group, token, now)
        if not claimed:
            continue  # another run holds these rows
        message = _message(rules, group["key"], claimed)
        try:
            provider_id = channel.send(message, rules.recipient(group["recipient"]))
        except DeliveryError as exc:
            _failed(store, group, token, claimed, str(exc), now)
            report.failed.append({**_summary(group, claimed), "error": redact(str(exc))})
            report.channels_down.add(group["channel"])
            continue
        _sent(store, group, token, claimed, provider_id, now)
        report.sent.append(_summary(group, claimed))
    _record_health(store, rules, channels, report, now, ui_url)
    return report


def _due_groups(store: Warehouse, now: datetime, digests_now: bool) -> list[dict]:
    """Messages to send: each instant row alone, digest rows together per recipient and
    channel. Rows claimed before under a message key (a crashed run) go out under that key."""
    rows = store.read(
        f"select outbox.*, alerts.happened_at from {OUTBOX} as outbox "
        f"inner join {ALERTS} as alerts on outbox.alert_id = alerts.alert_id "
        "where outbox.state = 'pending' "
        "and (outbox.due_at <= ? or (outbox.delivery = 'digest' and ?)) "
        "and (outbox.next_attempt_at is null or outbox.next_attempt_at <= ?) "
        "and (outbox.claimed_until is null or outbox.claimed_until < ?) "
        "order by alerts.happened_at, outbox.alert_id", [now, digests_now, now, now])
    groups: dict[tuple, dict] = {}
    for row in rows.to_dict("records"):
        if isinstance(row["message_key"], str):
            group_id = ("earlier", row["message_key"])
        elif row["delivery"] == "instant":
            group_id = ("instant", row["alert_id"], row["recipient"], row["channel"])
        else:
            group_id = ("digest", row["recipient"], row["channel"])
        group = groups.setdefault(group_id, {"recipient": row["recipient"],
                                             "channel": row["channel"], "alert_ids": []})
        group["alert_ids"].append(row["alert_id"])
        if group_id[0] == "earlier":
            group["key"] = row["message_key"]
    for group in groups.values():
        group.setdefault("key", key_of(group["recipient"], group["channel"],
                                       *sorted(group["alert_ids"])))
    return list(groups.values())


def _claim(store: Warehouse, group: dict, token: str, now: datetime) -> list[dict]:
    """Take the group's rows for this run; the alerts this run now holds."""
    with store.connect() as connection:
        for alert_id in group["alert_ids"]:
            store.changed(connection,
                          f"update {OUTBOX} set claimed_by = ?, claimed_until = ?, "
                          "message_key = ? where alert_id = ? and recipient = ? and channel = ? "
                          "and state = 'pending' and (claimed_until is null or claimed_until < ?)",
                          [token, now + LEASE, group["key"], alert_id, group["recipient"],
                           group["channel"], now])
    held = store.read(
        f"select alerts.* from {OUTBOX} as outbox inner join {ALERTS} as alerts "
        "on outbox.alert_id = alerts.alert_id where outbox.claimed_by = ? "
        "and outbox.recipient = ? and outbox.channel = ? and outbox.state = 'pending' "
        "order by alerts.happened_at, alerts.alert_id",
        [token, group["recipient"], group["channel"]])
    return held.to_dict("records")


def _message(rules: AlertRules, key: str, alerts: list[dict]) -> Message:
    lines = tuple(Line(severity=a["severity"], kind=a["event_kind"], supplier=a["supplier_id"],
                       part=a["part_id"], text=a["text"]) for a in alerts)
    if len(alerts) == 1:
        only = alerts[0]
        link = only["link"] if isinstance(only["link"], str) else None
        return Message(key=key, subject=only["subject"], text=only["text"], lines=lines,
                       link=link)
    return Message(key=key, subject=compose.digest_subject(list(lines)),
                   text=compose.digest_text(list(lines)), lines=lines)


def _where_claimed(group: dict) -> tuple[str, list]:
    return ("claimed_by = ? and recipient = ? and channel = ? and state = 'pending'",
            [group["recipient"], group["channel"]])


def _sent(store: Warehouse, group: dict, token: str, alerts: list[dict],
          provider_id: str | None, now: datetime) -> None:
    condition, params = _where_claimed(group)
    with store.connect() as connection:
        store.changed(connection,
                      f"update {OUTBOX} set state = 'sent', sent_at = ?, provider_id = ?, "
                      f"attempts = coalesce(attempts, 0) + 1, claimed_until = null "
                      f"where {condition}", [now, provider_id, token, *params])
        store.insert(connection, ATTEMPTS, [_attempt(group, alerts, now, True, provider_id)])


def _failed(store: Warehouse, group: dict, token: str, alerts: list[dict], error: str,
            now: datetime) -> None:
    condition, params = _where_claimed(group)
    attempts = store.read(f"select max(coalesce(attempts, 0)) as n from {OUTBOX} "
                          f"where {condition}", [token, *params])["n"].iloc[0]
    retry_at = now + backoff(int(attempts or 0) + 1)
    with store.connect() as connection:
        store.changed(connection,
                      f"update {OUTBOX} set attempts = coalesce(attempts, 0) + 1, "
                      f"next_attempt_at = ?, claimed_by = null, claimed_until = null, "
                      f"last_error = ? where {condition}",
                      [retry_at, redact(error)[:500], token, *params])
        # the channel is down: its other messages wait as long, rather than each trying now
        store.changed(connection,
                      f"update {OUTBOX} set next_attempt_at = ? where channel = ? "
                      "and state = 'pending' and claimed_by is null "
                      "and (next_attempt_at is null or next_attempt_at < ?)",
                      [retry_at, group["channel"], retry_at])
        store.insert(connection, ATTEMPTS,
                     [_attempt(group, alerts, now, False, None, redact(error)[:500])])


def backoff(attempts: int) -> timedelta:
    """1, 2, 4, 8... minutes after each failed attempt, at most an hour."""
    return min(timedelta(minutes=2 ** (attempts - 1)), MAX_BACKOFF)


def _attempt(group: dict, alerts: list[dict], now: datetime, ok: bool,
             provider_id: str | None, error: str | None = None) -> dict:
    return {"message_key": group["key"], "recipient": group["recipient"],
            "channel": group["channel"], "alerts": len(alerts), "attempted_at": now, "ok": ok,
            "provider_id": provider_id, "error": error}


def _summary(group: dict, alerts: list[dict]) -> dict:
    return {"channel": group["channel"], "recipient": group["recipient"], "alerts": len(alerts),
            "key": group["key"]}


def _record_health(store: Warehouse, rules: AlertRules, channels: Mapping[str, Channel],
                   report: DeliveryReport, now: datetime, ui_url: str | None) -> None:
    """A channel that failed this run is down from its first failure until one succeeds; going
    down raises one `channel_down` alert, delivered on the other channels."""
    with store.connect() as connection:
        store.ensure_tables(connection, [HEALTH])
        down = {row[0]: row for row in store.execute(
            connection, f"select channel, down_since from {HEALTH} "
                        "where down_since is not null").fetchall()}
        for sent in report.sent:
            if sent["channel"] in down and sent["channel"] not in report.channels_down:
                store.changed(connection, f"update {HEALTH} set down_since = null, "
                                          "checked_at = ? where channel = ?",
                              [now, sent["channel"]])
        newly_down = [f for f in report.failed
                      if f["channel"] not in down and f["channel"] in report.channels_down]
        firsts = {f["channel"]: f for f in newly_down}
        for name, failure in firsts.items():
            store.changed(connection, f"delete from {HEALTH} where channel = ?", [name])
            store.insert(connection, HEALTH, [{"channel": name, "down_since": now,
                                               "last_error": failure["error"],
                                               "checked_at": now}])
    for name, failure in firsts.items():
        event = {"event_id": key_of("channel_down", name, now.isoformat()),
                 "event_kind": "channel_down", "happened_at": now,
                 "repeat_key": f"channel_down|{name}",
                 "detail": (f"the {name} channel is down ({failure['error']}); its alerts wait "
                            "and go out when it is back")}
        working = {k: v for k, v in channels.items() if k not in report.channels_down}
        raise_alerts(store, rules, [event], working, now, ui_url, exclude_channels=[name])


def _aware(value) -> datetime:
    import pandas as pd

    stamp = pd.Timestamp(value)
    return (stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp).to_pydatetime()
