"""Serve the demo shops until interrupted (benchmarks run them in their own process).

    python -m supplier_pipeline.demo.serve --size 2000 --latency-ms 50 \
        --at 2026-11-28T10:00:00+00:00

Credentials come from the environment (RICAMBI_ITALIA_EMAIL/PASSWORD, TEILE_FEED_TOKEN);
the shops' addresses are printed as one JSON line once they listen.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import signal
import threading
from datetime import datetime

from supplier_pipeline.demo.market import Market
from supplier_pipeline.demo.server import Faults
from supplier_pipeline.demo.world import DEFAULT_PORTS, demo_shops


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=None, help="number of canonical parts")
    parser.add_argument("--latency-ms", type=float, default=0.0)
    parser.add_argument("--server-errors", type=float, default=0.0, help="share of HTTP 500")
    parser.add_argument("--rate-limited", type=float, default=0.0, help="share of HTTP 429")
    parser.add_argument("--slow", type=float, default=0.0, help="share of slow answers")
    parser.add_argument("--slow-seconds", type=float, default=1.0)
    parser.add_argument("--at", help="freeze the market at this ISO time")
    parser.add_argument("--free-ports", action="store_true", help="pick free ports")
    args = parser.parse_args()
    market = Market(size=args.size)
    if args.at:
        market.set_time(datetime.fromisoformat(args.at))
    faults = Faults(server_error=args.server_errors, rate_limited=args.rate_limited,
                    slow=args.slow, slow_seconds=args.slow_seconds)
    ports = None if args.free_ports else DEFAULT_PORTS
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    with demo_shops(market, ports=ports, latency_ms=args.latency_ms, faults=faults) as shops:
        print(json.dumps({k: s.url for k, s in shops.servers.items()}), flush=True)
        with contextlib.suppress(KeyboardInterrupt):
            stop.wait()


if __name__ == "__main__":
    main()
