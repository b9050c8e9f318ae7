"""Serve one shape shop until interrupted (the scraping benchmark runs it in its own process).

    python -m supplier_pipeline.demo.shapes.serve prestashop --size 2000 --latency-ms 50

The customer's credentials come from the environment, under the names its supplier file
reads (PRESTA_SHOP_EMAIL/PASSWORD, WOO_SHOP_USER/PASSWORD); the shop's address is printed as
one JSON line once it listens. Latency and faults are the demo shops' (`demo.server`).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import signal
import threading
from collections.abc import Callable
from pathlib import Path

from starlette.types import ASGIApp

from supplier_pipeline.demo.server import BackgroundServer, Conditions, Faults
from supplier_pipeline.demo.shapes.prestashop import PrestaShop
from supplier_pipeline.demo.shapes.woocommerce import WooShop

SUPPLIERS = Path(__file__).parent / "suppliers"
# shape -> (supplier id, its variables for the address and the credentials, the shop)
SHAPES: dict[str, tuple[str, tuple[str, str, str], Callable[[int, str, str], object]]] = {
    "prestashop": ("presta_shop", ("PRESTA_SHOP_URL", "PRESTA_SHOP_EMAIL", "PRESTA_SHOP_PASSWORD"),
                   lambda size, user, password: PrestaShop(size, email=user, password=password)),
    "woocommerce": ("woo_shop", ("WOO_SHOP_URL", "WOO_SHOP_USER", "WOO_SHOP_PASSWORD"),
                    lambda size, user, password: WooShop(size, user=user, password=password)),
}


def shop(shape: str, size: int, environ: dict[str, str]) -> PrestaShop | WooShop:
    """The shape's shop, for the customer whose credentials `environ` holds."""
    _, (_, user, password), build = SHAPES[shape]
    return build(size, environ[user], environ[password])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("shape", choices=sorted(SHAPES))
    parser.add_argument("--size", type=int, default=2000, help="offers the shop holds")
    parser.add_argument("--latency-ms", type=float, default=0.0)
    parser.add_argument("--server-errors", type=float, default=0.0, help="share of HTTP 500")
    parser.add_argument("--rate-limited", type=float, default=0.0, help="share of HTTP 429")
    parser.add_argument("--slow", type=float, default=0.0, help="share of slow answers")
    parser.add_argument("--slow-seconds", type=float, default=1.0)
    args = parser.parse_args()
    faults = Faults(server_error=args.server_errors, rate_limited=args.rate_limited,
                    slow=args.slow, slow_seconds=args.slow_seconds)
    app: ASGIApp = shop(args.shape, args.size, dict(os.environ)).app()
    server = BackgroundServer(Conditions(app, args.latency_ms, faults)).start()
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    print(json.dumps({"url": server.url}), flush=True)
    with contextlib.suppress(KeyboardInterrupt):
        stop.wait()
    server.stop()


if __name__ == "__main__":
    main()
