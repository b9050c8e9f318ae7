"""Ways out of the quality gate: a new level is accepted once consecutive runs confirm it, or
at once by a person's recorded decision.

Two things can be held back. One offer's observation whose price jumped beyond the plausible
factor (raw.held_observations; the rest of its partition flows on), and a whole partition
whose offer count moved too far from the last good run (quarantined in raw.scrape_runs).
Comparing with the last good run alone would keep a catalogue that really grew quarantined
forever, and a price that really moved held forever; so when the `confirm_runs` latest runs,
this one included, all show the same new level, the gate accepts it and releases the earlier
runs' data too. A person can accept (or reject) at once through the decision jobs. Either way
the decision is a row of raw.gate_decisions, which the scrape assets show in their metadata.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal

from supplier_pipeline.lib.scraping.quality import (
    PRICE_CONFIRM_TOLERANCE,
    GateDecision,
    GatePolicy,
    PriceJump,
    count_near,
    price_jumps,
    quarantined_only_for_count,
)
from supplier_pipeline.lib.scraping.records import Observation
from supplier_pipeline.lib.scraping.store import (
    DECISIONS,
    HELD,
    OBSERVATION_TABLE,
    apply_decisions,
    last_good_run,
    prepare,
)
from supplier_pipeline.lib.warehouse import Warehouse


@dataclass(frozen=True)
class RecentRun:
    """A run before this one that ended with data (a failed run says nothing about levels)."""

    window_start: datetime
    status: str
    reason: str | None
    offers: int
    held_prices: dict[str, Decimal] = field(default_factory=dict)  # still held there


@dataclass(frozen=True)
class GateHistory:
    last_good_count: int | None
    last_prices: dict[str, Decimal]
    recent: list[RecentRun]  # newest first, at most confirm_runs - 1


@dataclass(frozen=True)
class Verdict:
    jumps: list[PriceJump]  # every implausible price of this run
    held: list[PriceJump]  # those not confirmed by the runs before
    size_confirmed_by: int | None
    decisions: list[GateDecision]  # what the confirmations release in earlier runs

    def outcome(self, status: str) -> tuple[list[PriceJump], list[GateDecision]]:
        """What to hold and release once the run's status is known: a run that is not
        accepted itself confirms nothing, and holds all its jumps."""
        return (self.held, self.decisions) if status == "ok" else (self.jumps, [])


def _utc(value) -> datetime:
    import pandas as pd

    return pd.Timestamp(value).to_pydatetime().astimezone(UTC)


def gate_history(warehouse: Warehouse, supplier_id: str, mode: str, before: datetime,
                 policy: GatePolicy) -> GateHistory:
    last_count, last_prices = last_good_run(warehouse, supplier_id, mode, before)
    earlier = policy.confirm_runs - 1
    if earlier <= 0 or last_count is None:
        return GateHistory(last_count, last_prices, [])
    runs = warehouse.read(
        "select window_start, status, reason, offers from raw.scrape_runs where supplier_id = ? "
        "and mode = ? and status <> 'failed' and window_start < ? "
        "order by window_start desc limit ?", [supplier_id, mode, before, earlier])
    held: dict[datetime, dict[str, Decimal]] = {}
    if not runs.empty and warehouse.table_exists(HELD):
        rows = warehouse.read(
            f"select window_start, supplier_sku, price_net from {HELD} where supplier_id = ? "
            "and mode = ? and status = 'held' and window_start >= ? and window_start < ?",
            [supplier_id, mode, _utc(runs["window_start"].min()), before])
        for r in rows.itertuples():
            held.setdefault(_utc(r.window_start), {})[r.supplier_sku] = Decimal(str(r.price_net))
    recent = [RecentRun(_utc(r.window_start), r.status, r.reason if isinstance(r.reason, str)
                        else None, int(r.offers), held.get(_utc(r.window_start), {}))
              for r in runs.itertuples()]
    return GateHistory(last_count, last_prices, recent)


def judge(supplier_id: str, mode: str, observations: list[Observation], history: GateHistory,
          policy: GatePolicy) -> Verdict:
    """Which implausible prices stay held, and which new levels the recent runs confirm."""
    jumps = price_jumps(observations, history.last_prices, policy.price_jump_factor)
    earlier = history.recent[:policy.confirm_runs - 1]
    enough = len(earlier) == policy.confirm_runs - 1
    held, decisions = [], []
    for jump in jumps:
        shown = [run.held_prices.get(jump.supplier_sku) for run in earlier]
        if enough and all(p is not None and abs(float(p / jump.price_net) - 1)
                          <= PRICE_CONFIRM_TOLERANCE for p in shown):
            decisions += [GateDecision(
                supplier_id, mode, "price_jump", run.window_start, jump.supplier_sku,
                "accepted", "confirmed_by_runs", "pipeline",
                f"{jump.reason}; shown by {policy.confirm_runs} consecutive runs")
                for run in earlier]
        else:
            held.append(jump)
    count = len(observations)
    size_confirmed_by = None
    if (observations and not count_near(count, history.last_good_count) and enough
            and all(quarantined_only_for_count(r.status, r.reason) and count_near(r.offers, count)
                    for r in earlier)):
        size_confirmed_by = policy.confirm_runs
        decisions += [GateDecision(
            supplier_id, mode, "offer_count", run.window_start, None, "accepted",
            "confirmed_by_runs", "pipeline",
            f"{count} offers against {history.last_good_count} in the last good run, "
            f"shown by {policy.confirm_runs} consecutive runs") for run in earlier]
    return Verdict(jumps, held, size_confirmed_by, decisions)


def _in(values: Sequence) -> str:
    return ", ".join("?" for _ in values)


def decide_held_prices(warehouse: Warehouse, supplier_id: str, supplier_skus: Sequence[str],
                       decision: str, decided_by: str, reason: str,
                       run_id: str) -> list[GateDecision]:
    """A person accepts (or rejects) every observation still held for these offers."""
    if decision not in ("accepted", "rejected"):
        raise ValueError(f"decision must be accepted or rejected, not {decision!r}")
    prepare(warehouse, [HELD, DECISIONS, *OBSERVATION_TABLE.values()])
    with warehouse.connect() as connection:
        rows = warehouse.execute(
            connection, f"select mode, window_start, supplier_sku from {HELD} "
            f"where supplier_id = ? and status = 'held' and supplier_sku in ({_in(supplier_skus)})"
            " order by window_start", [supplier_id, *supplier_skus]).fetchall()
        if not rows:
            raise ValueError(f"nothing is held back for {supplier_id} offers "
                             f"{', '.join(supplier_skus)}")
        decisions = [GateDecision(supplier_id, mode, "price_jump", _utc(window), sku, decision,
                                  "person", decided_by, reason) for mode, window, sku in rows]
        apply_decisions(warehouse, connection, decisions, datetime.now(UTC), run_id)
    return decisions


def accept_offer_counts(warehouse: Warehouse, supplier_id: str, mode: str,
                        windows: Sequence[datetime], decided_by: str, reason: str,
                        run_id: str) -> list[GateDecision]:
    """A person accepts partitions quarantined for their offer count alone: their data flows
    on, and their count is the one the next runs are compared with."""
    windows = [_utc(w) for w in windows]
    prepare(warehouse, ["raw.scrape_runs", DECISIONS, *OBSERVATION_TABLE.values()])
    with warehouse.connect() as connection:
        found = {_utc(w): (status, why) for w, status, why in warehouse.execute(
            connection, "select window_start, status, reason from raw.scrape_runs where "
            f"supplier_id = ? and mode = ? and window_start in ({_in(windows)})",
            [supplier_id, mode, *windows]).fetchall()}
        for window in windows:
            status, why = found.get(window, ("missing", None))
            if not quarantined_only_for_count(status, why):
                raise ValueError(
                    f"{supplier_id} {mode} {window:%Y-%m-%d %H:%M} is {status}"
                    f"{': ' + why if why else ''}; only a partition quarantined for its offer "
                    "count alone can be accepted")
        decisions = [GateDecision(supplier_id, mode, "offer_count", window, None, "accepted",
                                  "person", decided_by, reason) for window in windows]
        apply_decisions(warehouse, connection, decisions, datetime.now(UTC), run_id)
    return decisions


def recent_decisions(warehouse: Warehouse, supplier_id: str, limit: int = 10):
    """The supplier's latest gate decisions, newest first (for asset metadata)."""
    if not warehouse.table_exists(DECISIONS):
        return None
    return warehouse.read(
        f"select decided_at, mode, kind, window_start, supplier_sku, decision, basis, "
        f"decided_by, reason from {DECISIONS} where supplier_id = ? "
        "order by decided_at desc, window_start desc limit ?", [supplier_id, limit])
