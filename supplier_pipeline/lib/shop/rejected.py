"""Exports refused whole are kept aside beside the inbox, byte for byte, with their report, so a
person can see what arrived and why it was not taken; the original stays in the inbox until the
order system replaces it."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from pathlib import Path

FOLDER = "rejected"


def keep_aside(path: Path, report: dict, now: datetime) -> Path:
    """Copy the export to `<inbox>/rejected/<UTC time>-<file>` with `<that>.json` beside it.
    The same bytes refused again (a rerun, the sensor seeing the file again) are kept once."""
    folder = path.parent / FOLDER
    folder.mkdir(parents=True, exist_ok=True)
    data = path.read_bytes()
    digest = hashlib.sha256(data).hexdigest()
    for earlier in sorted(folder.glob(f"*-{path.name}.json")):
        try:
            if json.loads(earlier.read_text(encoding="utf-8")).get("sha256") == digest:
                return earlier.with_suffix("")
        except (OSError, ValueError):
            continue
    target = folder / f"{now:%Y%m%dT%H%M%S.%fZ}-{path.name}"
    target.write_bytes(data)
    target.with_name(target.name + ".json").write_text(
        json.dumps({**report, "sha256": digest, "kept_at": now.isoformat(),
                    "original": str(path)}, indent=2, ensure_ascii=False, default=str),
        encoding="utf-8")
    return target
