"""Extraction benchmark: the generic extractor on real product pages of many shops.

Runs `extract_product` with no configuration (as `supplier-pipeline extract` does) on every
page of the development set (`../shared/data/product-pages`: gzip HTML + ground-truth.json,
half of the public product-extraction benchmark), scores it as that benchmark does
(`lib/extraction/scoring.py`), prints per-field precision, recall and F1 beside the
published figures of the commercial services, then every page it gets wrong with the
expected and found values, and pages that raised (there should be none).

Run: `.venv/bin/python -m bench.extraction [PAGES_DIR] [--quiet]`
"""

from __future__ import annotations

import argparse
import gzip
import json
import time
import traceback
from pathlib import Path

from supplier_pipeline.lib.extraction.generic import decode, extract_product
from supplier_pipeline.lib.extraction.scoring import FIELDS, score

DEFAULT_PAGES = Path(__file__).resolve().parents[2] / "shared" / "data" / "product-pages"
# F1 on this half, as its README publishes them (price, SKU, availability, out of stock)
PUBLISHED = {
    "Zyte": (0.925, 0.828, 0.957, 0.667),
    "Diffbot": (0.809, 0.738, 0.957, 0.667),
    "extruct": (0.667, 0.515, 0.929, 0.444),
}


def run(pages_dir: Path) -> tuple[dict, dict, dict, float]:
    truths = json.loads((pages_dir / "ground-truth.json").read_text())
    predictions, crashes = {}, {}
    started = time.process_time()
    for page in sorted(truths):
        body = gzip.decompress((pages_dir / "html" / f"{page}.html.gz").read_bytes())
        try:
            found = extract_product(decode(body))
        except Exception:  # the benchmark's point: report it, and go on
            crashes[page] = traceback.format_exc(limit=-2)
            found = {}
        predictions[page] = {k: v.value for k, v in found.items()}
        predictions[page]["_layers"] = {k: (v.layer, v.confidence) for k, v in found.items()
                                        if v.value}
    cpu_ms = (time.process_time() - started) * 1000 / max(len(truths), 1)
    return truths, predictions, crashes, cpu_ms


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("pages", nargs="?", type=Path, default=DEFAULT_PAGES)
    parser.add_argument("--quiet", action="store_true", help="figures only, no page list")
    args = parser.parse_args(argv)
    truths, predictions, crashes, cpu_ms = run(args.pages)
    scores = score(predictions, truths)
    print(f"generic extractor on {len(truths)} pages of {args.pages} "
          f"({cpu_ms:.1f} ms CPU per page, {len(crashes)} crashed)\n")
    print(f"{'field':<14}{'predicted':>10}{'right':>7}{'labelled':>9}"
          f"{'P':>7}{'R':>7}{'F1':>7}  " + "  ".join(f"{name:>8}" for name in PUBLISHED))
    for index, name in enumerate(FIELDS):
        s = scores[name]
        published = "  ".join(f"{figures[index]:>8.3f}" for figures in PUBLISHED.values())
        print(f"{name:<14}{s.predicted:>10}{s.right:>7}{s.labelled:>9}"
              f"{s.precision:>7.3f}{s.recall:>7.3f}{s.f1:>7.3f}  {published}")
    if not args.quiet:
        for name in FIELDS:
            if scores[name].wrong:
                print(f"\n{name}: wrong or missed (page, found [layer, confidence], expected)")
            for page, found, expected in scores[name].wrong:
                layer = predictions[page]["_layers"].get(
                    "availability" if name == "out_of_stock" else name)
                print(f"  {page[:12]}  {found!r:<24} {layer}  {expected}")
    for page, trace in crashes.items():
        print(f"\ncrashed on {page}:\n{trace}")
    return 1 if crashes else 0


if __name__ == "__main__":
    raise SystemExit(main())
