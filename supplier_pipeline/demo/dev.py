"""`make dev`: the Dagster UI on the demo's state, with the demo shops and a webhook served
beside it, so runs launched from the UI (and the schedules) can scrape them."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
from pathlib import Path

from supplier_pipeline.demo.run import local_instance_home
from supplier_pipeline.demo.server import BackgroundServer
from supplier_pipeline.demo.webhook import build_app as webhook_app
from supplier_pipeline.demo.world import DEFAULT_PORTS, demo_shops
from supplier_pipeline.lib.settings import PROJECT_ROOT


def main() -> None:
    local_instance_home()
    received: list[dict] = []
    webhook = BackgroundServer(webhook_app(received), port=8709).start()
    os.environ.setdefault("ALERT_WEBHOOK_URL", f"{webhook.url}/hook")
    with demo_shops(ports=DEFAULT_PORTS) as shops:
        os.environ.update(shops.environment())
        for shop, server in shops.servers.items():
            print(f"demo shop {shop}: {server.url}")
        dg = Path(sys.executable).parent / "dg"
        with contextlib.suppress(KeyboardInterrupt):
            # dg checks that it runs in the project's virtualenv, as `make dev` does
            subprocess.run([str(dg), "dev", "--host", "127.0.0.1", "--port", "3000"],
                           cwd=PROJECT_ROOT, env={**os.environ, "VIRTUAL_ENV": sys.prefix},
                           check=False)
    webhook.stop()


if __name__ == "__main__":
    main()
