"""Start the demo shops on 127.0.0.1 and tell the pipeline where they are and how to log in."""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from supplier_pipeline.demo.market import Market
from supplier_pipeline.demo.server import BackgroundServer, Conditions, Faults
from supplier_pipeline.demo.shops import fixparts_js, ricambi_italia, teile_feed

DEFAULT_PORTS = {"ricambi_italia": 8701, "fixparts_js": 8702, "teile_feed": 8703}
# The demo shops' supplier files: the demo configures the product through SUPPLIERS_DIR like
# any deployment, so a production code location never sees them.
SUPPLIERS_DIR = Path(__file__).parent / "suppliers"


@dataclass
class DemoCredentials:
    """Made up per environment; the demo shops accept them and the pipeline reads them from
    the environment like any real supplier's credentials."""

    ricambi_email: str
    ricambi_password: str
    teile_token: str

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> DemoCredentials:
        env = os.environ if environ is None else environ
        return cls(env.get("RICAMBI_ITALIA_EMAIL") or "buyer@demo.invalid",
                   env.get("RICAMBI_ITALIA_PASSWORD") or secrets.token_urlsafe(12),
                   env.get("TEILE_FEED_TOKEN") or secrets.token_urlsafe(16))

    def environment(self) -> dict[str, str]:
        return {"RICAMBI_ITALIA_EMAIL": self.ricambi_email,
                "RICAMBI_ITALIA_PASSWORD": self.ricambi_password,
                "TEILE_FEED_TOKEN": self.teile_token}


@dataclass
class DemoShops:
    market: Market
    credentials: DemoCredentials
    servers: dict[str, BackgroundServer]
    conditions: dict[str, Conditions]

    def environment(self) -> dict[str, str]:
        """What the pipeline needs to reach the shops: their supplier files, their URLs and
        the credentials."""
        urls = {f"{shop.upper()}_URL": server.url for shop, server in self.servers.items()}
        return {"SUPPLIERS_DIR": str(SUPPLIERS_DIR), **urls, **self.credentials.environment()}


@contextmanager
def demo_shops(market: Market | None = None, credentials: DemoCredentials | None = None,
               ports: dict[str, int] | None = None, latency_ms: float = 0.0,
               faults: Faults | None = None,
               session_ttl_seconds: float = 1800) -> Iterator[DemoShops]:
    """Serve the three demo shops (ports 0 = free ports) for the duration of the block."""
    market = market or Market()
    credentials = credentials or DemoCredentials.from_env()
    ports = ports or {shop: 0 for shop in DEFAULT_PORTS}
    apps = {
        "ricambi_italia": ricambi_italia.build_app(market, credentials.ricambi_email,
                                                   credentials.ricambi_password,
                                                   session_ttl_seconds),
        "fixparts_js": fixparts_js.build_app(market),
        "teile_feed": teile_feed.build_app(market, credentials.teile_token),
    }
    conditions = {shop: Conditions(app, latency_ms, faults) for shop, app in apps.items()}
    servers = {shop: BackgroundServer(conditions[shop], ports[shop]).start() for shop in apps}
    try:
        yield DemoShops(market, credentials, servers, conditions)
    finally:
        for server in servers.values():
            server.stop()
