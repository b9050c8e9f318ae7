"""How long loading the code location takes, beside importing dagster and dagster_dbt alone.

Each figure is the median of fresh interpreter runs (imports are cached within a process).
Run: `.venv/bin/python -m bench.load_time` (or `make bench`).
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import time

RUNS = 5
SNIPPETS = {
    "import dagster, dagster_dbt": "import dagster, dagster_dbt",
    "load the code location": (
        "from supplier_pipeline.definitions import defs; d = defs(); "
        "d.resolve_all_job_defs(); d.resolve_asset_graph()"
    ),
}


def measure(code: str) -> float:
    started = time.perf_counter()
    subprocess.run([sys.executable, "-c", code], check=True)
    return time.perf_counter() - started


def main() -> None:
    baseline = measure("pass")
    print(f"python start-up: {baseline:.2f}s (subtracted below)")
    for label, code in SNIPPETS.items():
        times = [measure(code) - baseline for _ in range(RUNS)]
        print(f"{label:32s} median {statistics.median(times):.2f}s  "
              f"(min {min(times):.2f}s, max {max(times):.2f}s, {RUNS} runs)")


if __name__ == "__main__":
    main()
