"""The alert outbox against real local endpoints: rules choose events, every alert reaches each
channel once whatever fails, digests group, and nothing old floods a first run."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import textwrap
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from supplier_pipeline.demo.server import BackgroundServer
from supplier_pipeline.lib.alerting import outbox
from supplier_pipeline.lib.alerting.channels import ChannelSettings, configured_channels
from supplier_pipeline.lib.alerting.rules import AlertRulesError, load_rules
from supplier_pipeline.lib.warehouse import Warehouse

NOW = datetime(2026, 11, 30, 10, 30, tzinfo=UTC)  # 11:30 in Rome

RULES = """
timezone: Europe/Rome
send_events_newer_than_hours: 24
repeat_after_hours: 12
recipients:
  owner: {digest: daily, digest_at: "08:00", quiet_hours: "22:00-07:00"}
  team: {digest: hourly}
rules:
  - name: broken suppliers
    events: [scrape_failed, run_failed, channel_down]
    recipients: [owner, team]
    channels: [{first}, {second}]
    severity: high
  - name: price moves on parts we need
    events: [price_up, price_down]
    parts: needed
    min_change_pct: 5
    min_change_amount: 1.00
    recipients: [team]
    channels: [{first}]
"""


class Endpoint:
    """A webhook on 127.0.0.1 that keeps what it accepted, answers `status`, and can hold a
    request until released (to kill the sender while it waits)."""

    def __init__(self) -> None:
        self.accepted: list[tuple[str, dict]] = []  # (Idempotency-Key, payload)
        self.status = 200
        self.hold_after: int | None = None  # hold requests once this many were accepted
        self.holding = threading.Event()

        async def receive(request: Request) -> JSONResponse:
            payload = await request.json()
            if self.status != 200:
                return JSONResponse({"error": "down"}, status_code=self.status)
            self.accepted.append((request.headers.get("idempotency-key"), payload))
            if self.hold_after is not None and len(self.accepted) > self.hold_after:
                self.holding.set()
                await asyncio.sleep(30)  # the sender is killed meanwhile
            return JSONResponse({"ok": True})

        self.server = BackgroundServer(Starlette(routes=[Route("/hook", receive,
                                                               methods=["POST"])]))

    @property
    def url(self) -> str:
        return f"{self.server.url}/hook"

    def alert_texts(self) -> list[str]:
        """One text per alert: the webhook lists them; Slack has one section per instant
        message."""
        payloads = [payload for _, payload in self.accepted]
        return [line["text"] for p in payloads for line in p.get("alerts", [])] + [
            block["text"]["text"] for p in payloads
            for block in p.get("blocks", []) if block["type"] == "section"]


@pytest.fixture
def endpoints():
    started = [Endpoint(), Endpoint()]
    for endpoint in started:
        endpoint.server.start()
    yield started
    for endpoint in started:
        endpoint.server.stop()


def write_rules(tmp_path: Path, first: str = "webhook", second: str = "slack") -> Path:
    path = tmp_path / "alert_rules.yaml"
    path.write_text(RULES.replace("{first}", first).replace("{second}", second))
    return path


def channels_for(webhook: Endpoint, slack: Endpoint | None = None):
    # the second endpoint stands in for Slack's incoming webhook (it answers like one)
    return configured_channels(ChannelSettings(
        webhook_url=webhook.url, slack_webhook_url=slack.url if slack else None))


def price_event(sku: str, old: float, new: float, at: datetime, needed: bool = True,
                **extra) -> dict:
    kind = "price_up" if new > old else "price_down"
    return {"event_id": f"{sku}-{old}-{new}-{at:%Y%m%d%H}", "event_kind": kind,
            "happened_at": at, "supplier_id": "ricambi", "supplier_sku": sku,
            "part_id": f"part-{sku}", "part_name": f"iPhone {sku} display (OLED)",
            "category": "display", "currency": "EUR", "old_value": old, "new_value": new,
            "change_amount": new - old, "change_pct": round(100 * (new - old) / old, 2),
            "repeat_key": f"ricambi|{sku}|{kind}|{old}|{new}", "part_needed": needed,
            "repairs_waiting": 3, "best_supplier_id": "fixparts",
            "best_landed_unit_price": 88.40, "best_currency": "EUR", **extra}


def broken_supplier(at: datetime, supplier: str = "ricambi") -> dict:
    return {"event_id": f"failed-{supplier}-{at:%H}", "event_kind": "scrape_failed",
            "happened_at": at, "supplier_id": supplier,
            "detail": "prices scrape of the window from 08:00: login refused",
            "repeat_key": f"{supplier}|failed"}


@pytest.fixture(params=["duckdb", "postgres"])
def store(request, tmp_path) -> Warehouse:
    if request.param == "postgres":
        return Warehouse(request.getfixturevalue("postgres_dsn"))
    return Warehouse(None, tmp_path / "warehouse.duckdb")


def outbox_rows(store: Warehouse):
    return store.read("select * from alerting.outbox order by alert_id, recipient, channel")


def test_rules_choose_events_and_say_what_they_mean(tmp_path, store, endpoints):
    rules = load_rules(write_rules(tmp_path))
    events = [price_event("13", 84.90, 95.10, NOW - timedelta(hours=1)),  # +12 %: alerted
              price_event("14", 50.00, 51.00, NOW - timedelta(hours=1)),  # +2 %: too small
              price_event("15", 9.00, 9.50, NOW - timedelta(hours=1)),  # +5.6 % but 0.50 €
              price_event("16", 80.00, 70.00, NOW - timedelta(hours=1), needed=False)]
    report = outbox.raise_alerts(store, rules, events, channels_for(*endpoints), NOW)
    assert [a["supplier_sku"] for a in report.raised] == ["13"]
    text = report.raised[0]["text"]
    assert text == ("iPhone 13 display (OLED) up 12.0 % at ricambi (84.90 € → 95.10 € net); "
                    "the next proposal buys it at fixparts for 88.40 € landed (−6.70 €); "
                    "3 repairs are waiting for it.")
    rows = outbox_rows(store)
    assert list(zip(rows["recipient"], rows["channel"], rows["delivery"], strict=True)) == [
        ("team", "webhook", "digest")]
    assert rows["due_at"].iloc[0] == datetime(2026, 11, 30, 11, 0, tzinfo=UTC)  # next full hour


def test_first_run_records_old_events_as_seen_and_sends_only_recent_ones(tmp_path, store,
                                                                         endpoints):
    rules = load_rules(write_rules(tmp_path))
    history = [price_event(str(n), 50.0, 60.0, NOW - timedelta(days=n)) for n in range(2, 40)]
    recent = price_event("1", 50.0, 60.0, NOW - timedelta(hours=2))
    report = outbox.raise_alerts(store, rules, [*history, recent], channels_for(*endpoints), NOW)
    assert [a["supplier_sku"] for a in report.raised] == ["1"]
    assert report.seen == len(history)
    states = store.read("select state, count(*) as n from alerting.outbox group by state")
    assert dict(zip(states["state"], states["n"], strict=True)) == {"seen": 38, "pending": 1}
    outbox.deliver(store, rules, channels_for(*endpoints), NOW + timedelta(hours=2))
    assert len(endpoints[0].alert_texts()) == 1


def test_a_rebuilt_history_raises_nothing_again(tmp_path, store, endpoints):
    rules = load_rules(write_rules(tmp_path))
    channels = channels_for(*endpoints)
    change = price_event("13", 84.90, 95.10, NOW - timedelta(hours=3))
    assert len(outbox.raise_alerts(store, rules, [change], channels, NOW).raised) == 1
    # the same scrapes again: same event id; a re-scraped window: the change moved by hours
    moved = price_event("13", 84.90, 95.10, NOW - timedelta(hours=1))
    again = outbox.raise_alerts(store, rules, [change, moved], channels, NOW)
    assert again.raised == [] and again.repeats == 1
    assert outbox_rows(store)["state"].tolist().count("pending") == 1


def test_a_channel_down_loses_nothing_sends_each_alert_once_and_says_it_is_down(
        tmp_path, store, endpoints):
    webhook, slack = endpoints
    rules = load_rules(write_rules(tmp_path))
    channels = channels_for(webhook, slack)
    events = [broken_supplier(NOW - timedelta(minutes=5), s) for s in ("ricambi", "teile")]
    outbox.raise_alerts(store, rules, events, channels, NOW)
    webhook.status = 503
    first = outbox.deliver(store, rules, channels, NOW)
    assert first.channels_down == {"webhook"} and webhook.accepted == []
    # Slack got the two high-severity alerts for both recipients, and one "webhook is down"
    down_notice = outbox.deliver(store, rules, channels, NOW + timedelta(seconds=1))
    slack_texts = slack.alert_texts()
    assert sum("login refused" in t for t in slack_texts) == 4  # 2 alerts x owner and team
    assert sum("webhook channel is down" in t for t in slack_texts) == 2  # owner and team
    assert down_notice.channels_down == set()  # the webhook was not retried before its backoff
    still_down = outbox.deliver(store, rules, channels, NOW + timedelta(minutes=2))
    assert still_down.channels_down == {"webhook"}
    webhook.status = 200
    outbox.deliver(store, rules, channels, NOW + timedelta(minutes=30))
    outbox.deliver(store, rules, channels, NOW + timedelta(hours=2))
    delivered = webhook.alert_texts()
    assert sorted(delivered) == sorted(t for t in slack_texts if "login refused" in t)
    assert len(set(key for key, _ in webhook.accepted)) == len(webhook.accepted)
    attempts = store.read("select channel, ok, error from alerting.delivery_attempts "
                          "where channel = 'webhook'")
    assert (~attempts["ok"]).sum() >= 2 and attempts["ok"].sum() == len(webhook.accepted)
    assert not any("127.0.0.1" in (e or "") for e in attempts["error"])  # no URL logged
    assert outbox_rows(store)["state"].eq("sent").all()


def test_digests_group_per_recipient_at_their_hour_and_respect_quiet_hours(tmp_path, store,
                                                                           endpoints):
    webhook, slack = endpoints
    rules_file = tmp_path / "rules.yaml"
    rules_file.write_text("""
timezone: Europe/Rome
recipients:
  owner: {digest: daily, digest_at: "08:00", quiet_hours: "22:00-07:00"}
rules:
  - {name: prices, events: [price_up], recipients: [owner], channels: [webhook]}
  - {name: broken, events: [scrape_failed], recipients: [owner], channels: [webhook],
     severity: high}
""")
    rules = load_rules(rules_file)
    channels = channels_for(webhook)
    late_evening = datetime(2026, 11, 30, 22, 30, tzinfo=UTC)  # 23:30 in Rome: quiet
    events = [price_event(str(n), 10.0, 20.0, late_evening - timedelta(minutes=n))
              for n in range(5)]
    outbox.raise_alerts(store, rules, [*events, broken_supplier(late_evening)], channels,
                        late_evening)
    assert outbox.deliver(store, rules, channels, late_evening).sent == []  # quiet hours
    at_seven = datetime(2026, 12, 1, 6, 0, tzinfo=UTC)  # 07:00 in Rome: quiet hours end
    assert [s["alerts"] for s in outbox.deliver(store, rules, channels, at_seven).sent] == [1]
    assert outbox.deliver(store, rules, channels, at_seven + timedelta(minutes=59)).sent == []
    at_eight = datetime(2026, 12, 1, 7, 0, tzinfo=UTC)  # the daily digest
    digest = outbox.deliver(store, rules, channels, at_eight).sent
    assert [s["alerts"] for s in digest] == [5]
    payload = webhook.accepted[-1][1]
    assert payload["subject"] == "Supplier alerts: 5 (5 price up)"
    assert payload["text"].splitlines()[1] == "ricambi: 5 alerts on 5 parts"
    assert outbox.deliver(store, rules, channels, at_eight + timedelta(days=1)).sent == []


def test_a_kill_during_delivery_resends_nothing_that_was_acknowledged(tmp_path, store,
                                                                      endpoints):
    webhook = endpoints[0]
    rules_file = write_rules(tmp_path)
    rules = load_rules(rules_file)
    channels = channels_for(webhook)
    events = [broken_supplier(NOW - timedelta(minutes=n), f"s{n}") for n in range(4)]
    outbox.raise_alerts(store, rules, events, channels, NOW)  # 8 instant messages
    webhook.hold_after = 3
    sender = subprocess.Popen([sys.executable, "-c", textwrap.dedent(f"""
        from datetime import datetime
        from supplier_pipeline.lib.alerting import outbox
        from supplier_pipeline.lib.alerting.channels import ChannelSettings, configured_channels
        from supplier_pipeline.lib.alerting.rules import load_rules
        from supplier_pipeline.lib.warehouse import Warehouse
        outbox.deliver(Warehouse({store.dsn!r}, {store.duckdb_path and str(store.duckdb_path)!r}),
                       load_rules({str(rules_file)!r}),
                       configured_channels(ChannelSettings(webhook_url={webhook.url!r})),
                       datetime.fromisoformat({NOW.isoformat()!r}))
        """)])
    try:
        while not webhook.holding.wait(0.2):
            assert sender.poll() is None, "the sender ended before the fourth message"
    finally:
        sender.kill()
        sender.wait()
    acknowledged = [key for key, _ in webhook.accepted[:3]]
    webhook.hold_after = None
    # within the lease nobody touches the claimed message; after it, it goes out again
    outbox.deliver(store, rules, channels, NOW + timedelta(minutes=1))
    outbox.deliver(store, rules, channels, NOW + outbox.LEASE + timedelta(minutes=1))
    keys = [key for key, _ in webhook.accepted]
    assert all(keys.count(key) == 1 for key in acknowledged)
    assert len(set(keys)) == 8  # every message delivered
    assert len(keys) == 9  # only the message in flight at the kill went twice, same key
    assert outbox_rows(store)["state"].eq("sent").all()


@pytest.mark.parametrize(("content", "named"), [
    ("recipients: {owner: {}}\nrules:\n  - {name: x, events: [price_jump], recipients: [owner],"
     " channels: [webhook]}", "field `rules.0.events`"),
    ("recipients: {owner: {whatsapp: '3331234567'}}\nrules:\n  - {name: x, events: [price_up],"
     " recipients: [owner], channels: [whatsapp]}", "field `recipients.owner.whatsapp`"),
    ("recipients: {owner: {}}\nrules:\n  - {name: x, events: [price_up], recipients: [boss],"
     " channels: [webhook]}", "recipients ['boss'] are not defined"),
    ("recipients: {owner: {quiet_hours: 'late'}}\nrules: []",
     "field `recipients.owner.quiet_hours`"),
    ("rules: [: bad", "not valid YAML"),
])
def test_bad_rule_files_name_the_file_and_the_field(tmp_path, content, named):
    path = tmp_path / "my_rules.yaml"
    path.write_text(content)
    with pytest.raises(AlertRulesError) as error:
        load_rules(path)
    assert str(path) in str(error.value) and named in str(error.value)


def test_the_shipped_rules_load():
    rules = load_rules()
    assert {"price_up", "scrape_failed", "channel_down", "po_waiting_approval"} <= {
        kind for rule in rules.rules for kind in rule.events}


def test_a_failed_run_is_alerted_without_its_secrets(tmp_path, endpoints):
    import dagster as dg

    from supplier_pipeline.defs.alerting.sensors import run_failure_alert_sensor
    from supplier_pipeline.defs.resources import AlertingResource, WarehouseResource

    @dg.op
    def load_prices():
        raise RuntimeError("could not connect to "
                           "postgresql://pipeline:s3cr3t-pw@db:5432/warehouse (token=abc123xyz)")

    @dg.job
    def nightly():
        load_prices()

    rules = write_rules(tmp_path, first="webhook", second="slack")
    warehouse = WarehouseResource(duckdb_path=str(tmp_path / "warehouse.duckdb"))
    alerting = AlertingResource(rules_file=str(rules), webhook_url=endpoints[0].url)
    with dg.instance_for_test() as instance:
        result = nightly.execute_in_process(instance=instance, raise_on_error=False)
        failure = next(e for e in result.all_events if e.event_type_value == "PIPELINE_FAILURE")
        context = dg.build_run_status_sensor_context(
            sensor_name="run_failure_alert_sensor", dagster_instance=instance,
            dagster_run=result.dagster_run, dagster_event=failure,
            resources={"warehouse": warehouse, "alerting": alerting}).for_run_failure()
        run_failure_alert_sensor(context)
    store = warehouse.get()
    text = store.read("select text from alerting.alerts")["text"].iloc[0]
    assert "could not connect to postgresql://pipeline:***@db" in text
    assert "s3cr3t-pw" not in text and "(token=***)" in text
    assert f"of {nightly.name} failed" in text
    # delivered outside the owner's quiet hours (22:00-07:00 in Rome), whenever this runs
    at = datetime.now(UTC)
    local = at.astimezone(ZoneInfo("Europe/Rome"))
    if local.hour >= 22 or local.hour < 7:
        morning = local + timedelta(days=1) if local.hour >= 22 else local
        at = morning.replace(hour=7, minute=5, second=0, microsecond=0).astimezone(UTC)
    outbox.deliver(store, load_rules(rules), channels_for(endpoints[0]), at)
    assert endpoints[0].alert_texts() == [text, text]  # the rule's two recipients


@pytest.mark.parametrize(("text", "secret"), [
    ("POST https://hooks.slack.com/services/T0001/B0001/abcdefghijkl failed", "abcdefghijkl"),
    ("https://api.telegram.org/bot123456:ABC-def_ghi/sendMessage: 502", "ABC-def_ghi"),
    ("Authorization: Bearer eyJhbGciOi.payload.sig", "eyJhbGciOi"),
    ('{"api_key": "k-998877"}', "k-998877"),
    ("login as shop with the value of SMTP_PASSWORD: hunter2-smtp", "hunter2-smtp"),
])
def test_redaction_removes_what_looks_like_a_secret(monkeypatch, text, secret):
    from supplier_pipeline.lib.alerting.redact import redact

    monkeypatch.setenv("SMTP_PASSWORD", "hunter2-smtp")
    cleaned = redact(text)
    assert secret not in cleaned and "***" in cleaned


def test_redaction_follows_the_environment_as_it_changes(monkeypatch):
    """Secrets set, changed or swapped for others after start are redacted, and a value no
    longer secret is not (the secret names are cached between calls)."""
    from supplier_pipeline.lib.alerting.redact import redact

    monkeypatch.setenv("SHOP_A_TOKEN", "first-token-1")
    assert redact("t=first-token-1") == "t=***"
    monkeypatch.setenv("SHOP_A_TOKEN", "second-token-2")  # the same names, a new value
    assert redact("first-token-1 second-token-2") == "first-token-1 ***"
    monkeypatch.delenv("SHOP_A_TOKEN")
    monkeypatch.setenv("SHOP_B_PASSWORD", "third-pass-3")  # as many names, another secret
    assert redact("second-token-2 third-pass-3") == "second-token-2 ***"


def test_a_new_rule_sends_recent_events_and_records_older_ones_as_seen(tmp_path, store,
                                                                       endpoints):
    channels = channels_for(endpoints[0])
    first = load_rules(write_rules(tmp_path))
    old = broken_supplier(NOW - timedelta(days=3), "teile")
    recent = price_event("13", 84.90, 95.10, NOW - timedelta(hours=1), needed=False)
    report = outbox.raise_alerts(store, first, [old, recent], channels, NOW)
    assert report.raised == [] and report.seen == 1  # the price rule wants needed parts
    wider = tmp_path / "wider.yaml"
    wider.write_text(write_rules(tmp_path).read_text() + """
  - name: every price move, for the owner
    events: [price_up, price_down]
    recipients: [owner]
    channels: [webhook]
""")
    again = outbox.raise_alerts(store, load_rules(wider), [old, recent], channels, NOW)
    assert [a["supplier_sku"] for a in again.raised] == ["13"] and again.queued == 1
    rows = outbox_rows(store)
    assert sorted(zip(rows["recipient"], rows["state"], strict=True)) == [
        ("owner", "pending"), ("owner", "seen"), ("team", "seen")]
