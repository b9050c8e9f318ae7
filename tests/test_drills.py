"""Drills against real servers: a writer killed mid-commit, two writers at once, alert channels
that hang. Each ends with the previous good data intact and nothing lost."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import textwrap
import threading
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from supplier_pipeline.lib.alerting import outbox
from supplier_pipeline.lib.alerting.channels import ChannelSettings, configured_channels
from supplier_pipeline.lib.alerting.rules import load_rules
from supplier_pipeline.lib.warehouse import Warehouse

ROOT = Path(__file__).resolve().parents[1]
WINDOW = "2026-11-28T08:00:00+00:00"


@pytest.fixture(params=["duckdb", "postgres"])
def store(request, tmp_path) -> Warehouse:
    if request.param == "postgres":
        return Warehouse(request.getfixturevalue("postgres_dsn"))
    return Warehouse(None, tmp_path / "warehouse.duckdb")


def writer(store: Warehouse, body: str) -> subprocess.Popen:
    """A process of its own writing to `store` (`store` and `rows(supplier, n, price)` are
    defined for `body`); it prints what it did, line by line."""
    script = textwrap.dedent('''
        import sys, time
        from datetime import datetime
        from decimal import Decimal
        from supplier_pipeline.lib.warehouse import Slice, Warehouse
        store = Warehouse({dsn!r}, {path!r})
        window = datetime.fromisoformat({window!r})
        def rows(supplier, n, price):
            return [{{"supplier_id": supplier, "window_start": window,
                      "supplier_sku": f"k{{i}}", "price_net": Decimal(price)}}
                    for i in range(n)]
    ''').format(dsn=store.dsn, path=store.duckdb_path and str(store.duckdb_path),
                window=WINDOW) + textwrap.dedent(body)
    return subprocess.Popen([sys.executable, "-c", script], cwd=ROOT, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def rows(supplier: str, n: int, price: str) -> list[dict]:
    window = datetime.fromisoformat(WINDOW)
    return [{"supplier_id": supplier, "window_start": window, "supplier_sku": f"k{i}",
             "price_net": Decimal(price)} for i in range(n)]


def slice_of(store: Warehouse, supplier: str) -> tuple[int, set[Decimal]]:
    found = store.read("select price_net from raw.supplier_offers where supplier_id = ?",
                       [supplier])
    return len(found), {Decimal(str(p)) for p in found["price_net"]}


# --- kill -9 during a warehouse commit -------------------------------------------------------

def test_a_writer_killed_inside_its_transaction_leaves_the_previous_rows(store):
    store.replace("raw.supplier_offers", rows("s", 5, "1.00"), {"supplier_id": "s"})
    store.replace("raw.supplier_offers", rows("t", 3, "7.00"), {"supplier_id": "t"})
    child = writer(store, '''
        original = Warehouse.insert
        def insert_then_hang(self, connection, table, new_rows):
            original(self, connection, table, new_rows)
            print("inserted", len(new_rows), flush=True)  # deleted and inserted, not committed
            time.sleep(120)
        Warehouse.insert = insert_then_hang
        store.replace("raw.supplier_offers", rows("s", 100_000, "2.00"), {"supplier_id": "s"})
    ''')
    try:
        assert child.stdout.readline().split() == ["inserted", "100000"], child.stderr.read()
    finally:
        os.kill(child.pid, signal.SIGKILL)
        child.wait(timeout=30)
    assert child.returncode == -signal.SIGKILL
    assert slice_of(store, "s") == (5, {Decimal("1.00")})
    assert slice_of(store, "t") == (3, {Decimal("7.00")})
    # the dead writer holds nothing: the next write lands
    store.replace("raw.supplier_offers", rows("s", 4, "3.00"), {"supplier_id": "s"})
    assert slice_of(store, "s") == (4, {Decimal("3.00")})


def test_a_writer_killed_at_any_moment_leaves_one_whole_version(store):
    """Versions alternate between 20,000 rows at 1.00 and 20,007 at 2.00; the kill lands
    wherever the writer is (deleting, inserting, committing): one whole version remains."""
    child = writer(store, '''
        for version in range(1000):
            price, n = ("1.00", 20_000) if version % 2 == 0 else ("2.00", 20_007)
            store.replace("raw.supplier_offers", rows("s", n, price), {"supplier_id": "s"})
            print("committed", version, flush=True)
    ''')
    try:
        committed = [child.stdout.readline() for _ in range(2)]
        assert [line.split()[0] for line in committed] == ["committed"] * 2, child.stderr.read()
    finally:
        os.kill(child.pid, signal.SIGKILL)
        child.wait(timeout=30)
    count, prices = slice_of(store, "s")
    assert (count, prices) in [(20_000, {Decimal("1.00")}), (20_007, {Decimal("2.00")})]


# --- two writers at once ---------------------------------------------------------------------

def test_two_writers_of_one_table_both_land(store, tmp_path):
    """Two processes replace their own slices of the same tables over and over, starting
    together on a warehouse without tables: no deadlock, no lost write, no duplicate."""
    go = tmp_path / "go"
    children = []
    for supplier in ("a", "b"):
        children.append(writer(store, f'''
        while not __import__("pathlib").Path({str(go)!r}).exists():
            time.sleep(0.01)
        for i in range(15):
            price = f"{{i + 1}}.00"
            store.replace_slices([
                Slice("raw.supplier_offers", rows({supplier!r}, 500, price),
                      {{"supplier_id": {supplier!r}}}),
                Slice("raw.fetch_log", [{{"supplier_id": {supplier!r}, "window_start": window,
                                         "url": "https://x.invalid", "outcome": "ok"}}],
                      {{"supplier_id": {supplier!r}}})])
        print("done", flush=True)
        '''))
    go.touch()
    for child in children:
        out, err = child.communicate(timeout=300)
        assert child.returncode == 0 and out.strip() == "done", err
    for supplier in ("a", "b"):
        assert slice_of(store, supplier) == (500, {Decimal("15.00")})
    logged = store.read("select supplier_id, count(*) as n from raw.fetch_log "
                        "group by supplier_id order by supplier_id")
    assert logged.to_dict("list") == {"supplier_id": ["a", "b"], "n": [1, 1]}


# --- an alert channel that hangs -------------------------------------------------------------

RULES = """
timezone: Europe/Rome
send_events_newer_than_hours: 24
repeat_after_hours: 12
recipients:
  team: {digest: hourly, email: team@example.invalid}
rules:
  - name: broken suppliers
    events: [scrape_failed, channel_down]
    recipients: [team]
    channels: [webhook, email]
    severity: high
"""


class Silent:
    """A TCP server on 127.0.0.1 that accepts connections and never says a word (an HTTP
    server stuck before its answer, an SMTP server that never greets)."""

    def __init__(self) -> None:
        self.socket = socket.create_server(("127.0.0.1", 0))
        self.port = self.socket.getsockname()[1]
        self.accepted: list[socket.socket] = []
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    def _accept(self) -> None:
        while True:
            try:
                connection, _ = self.socket.accept()
            except OSError:
                return
            self.accepted.append(connection)  # held open, never answered

    def close(self) -> None:
        self.socket.close()
        for connection in self.accepted:
            connection.close()


@pytest.fixture
def silent():
    server = Silent()
    yield server
    server.close()


class Recorder:
    """The channel that works: keeps what it was given."""

    name = "webhook"

    def __init__(self) -> None:
        self.sent: list = []

    def reaches(self, recipient) -> bool:
        return True

    def send(self, message, recipient) -> str:
        self.sent.append(message)
        return f"id-{len(self.sent)}"


@pytest.mark.parametrize("hanging", ["webhook", "email"])
def test_a_hanging_channel_times_out_and_its_alerts_wait(store, tmp_path, silent, hanging):
    rules_file = tmp_path / "rules.yaml"
    rules_file.write_text(RULES)
    rules = load_rules(rules_file)
    hung = configured_channels(ChannelSettings(
        webhook_url=f"http://127.0.0.1:{silent.port}/hook", smtp_host="127.0.0.1",
        smtp_port=silent.port, smtp_from="pipeline@example.invalid", smtp_starttls=False,
        timeout_seconds=0.5))[hanging]
    working = Recorder()
    working.name = "email" if hanging == "webhook" else "webhook"
    channels = {hanging: hung, working.name: working}
    now = datetime(2026, 11, 30, 10, 30, tzinfo=UTC)
    event = {"event_id": "failed-ricambi", "event_kind": "scrape_failed",
             "happened_at": now - timedelta(minutes=5), "supplier_id": "ricambi",
             "detail": "prices scrape: login refused", "repeat_key": "ricambi|failed"}
    outbox.raise_alerts(store, rules, [event], channels, now)

    report = outbox.deliver(store, rules, channels, now)

    assert silent.accepted  # it was reached, and said nothing
    assert report.channels_down == {hanging}
    assert any(word in report.failed[0]["error"].lower() for word in ("timeout", "timed out"))
    waiting = store.read("select state, attempts, next_attempt_at, last_error "
                         "from alerting.outbox where channel = ?", [hanging])
    assert list(waiting["state"]) == ["pending"] and list(waiting["attempts"]) == [1]
    assert waiting["next_attempt_at"].notna().all()
    # the other channel delivered the alert, then one notice that this channel is down
    outbox.deliver(store, rules, channels, now + timedelta(seconds=1))
    texts = [m.text for m in working.sent]
    assert sum("login refused" in t for t in texts) == 1
    assert sum(f"{hanging} channel is down" in t for t in texts) == 1
    still = outbox.deliver(store, rules, channels, now + timedelta(minutes=5))
    assert still.channels_down == {hanging}  # tried again after its backoff, still waiting
    assert sum(f"{hanging} channel is down" in m.text for m in working.sent) == 1
    pending = store.read("select count(*) as n from alerting.outbox "
                         "where channel = ? and state = 'pending'", [hanging])
    assert int(pending["n"].iloc[0]) == 1  # the alert; the notice is not queued on itself
