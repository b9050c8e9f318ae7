"""`make dev`: the Dagster UI on the demo's state, with the demo shops and the alert stand-ins
(webhook, e-mail, WhatsApp) served beside it, so runs launched from the UI (and the schedules)
can scrape them and deliver alerts."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
from pathlib import Path

from supplier_pipeline.demo.inboxes import alert_inboxes
from supplier_pipeline.demo.run import DEMO_ALERT_RULES, local_instance_home
from supplier_pipeline.demo.world import DEFAULT_PORTS, demo_shops
from supplier_pipeline.lib.settings import PROJECT_ROOT


def main() -> None:
    local_instance_home()
    with alert_inboxes() as (_, alert_environment), demo_shops(ports=DEFAULT_PORTS) as shops:
        for name, value in alert_environment.items():
            os.environ.setdefault(name, value)
        os.environ.setdefault("ALERT_RULES_FILE", str(DEMO_ALERT_RULES))
        os.environ.setdefault("DAGSTER_UI_URL", "http://127.0.0.1:3000")
        os.environ.update(shops.environment())
        for shop, server in shops.servers.items():
            print(f"demo shop {shop}: {server.url}")
        dg = Path(sys.executable).parent / "dg"
        with contextlib.suppress(KeyboardInterrupt):
            # dg checks that it runs in the project's virtualenv, as `make dev` does
            subprocess.run([str(dg), "dev", "--host", "127.0.0.1", "--port", "3000"],
                           cwd=PROJECT_ROOT, env={**os.environ, "VIRTUAL_ENV": sys.prefix},
                           check=False)


if __name__ == "__main__":
    main()
