"""Supplier feeds: a paginated JSON API with a bearer token, and CSV / XLSX price lists
fetched from a URL or picked up from a drop folder.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from pathlib import Path

from supplier_pipeline.lib.scraping.fetch import Fetcher, FetchFailed
from supplier_pipeline.lib.scraping.normalise import FeedNumber
from supplier_pipeline.lib.scraping.records import Outcome
from supplier_pipeline.lib.scraping.session import LoginFailed
from supplier_pipeline.lib.suppliers.config import Feed, SupplierConfig


def _headers(feed: Feed, environ: dict[str, str], supplier_id: str) -> dict[str, str]:
    if not feed.token_env:
        return {}
    token = environ.get(feed.token_env)
    if not token:
        raise LoginFailed(f"{supplier_id}: set {feed.token_env} in the environment")
    return {"Authorization": f"Bearer {token}"}


def map_columns(record: dict, columns: dict[str, str]) -> dict[str, str | None]:
    """Feed record -> our field names; absent columns become None. A number sent as a number
    stays marked as one, so that the supplier's locale never reinterprets its point."""
    out = {}
    for ours, theirs in columns.items():
        value = record.get(theirs)
        if value is None or value == "":
            out[ours] = None
        elif isinstance(value, int | float) and not isinstance(value, bool):
            out[ours] = FeedNumber(value)
        else:
            out[ours] = str(value)
    return out


async def json_api_records(config: SupplierConfig, fetcher: Fetcher,
                           environ: dict[str, str]) -> list[dict]:
    feed = config.feed
    headers = _headers(feed, environ, config.id)
    records, page = [], 1
    while page is not None:
        params = {feed.page_param: page}
        if feed.page_size_param:
            params[feed.page_size_param] = feed.page_size
        try:
            response = await fetcher.get(config.url(feed.path), params=params, headers=headers)
        except FetchFailed as exc:
            if exc.outcome is Outcome.BLOCKED and fetcher.log[-1].status == 401:
                fetcher.log[-1].outcome = Outcome.LOGIN_FAILED
                raise LoginFailed(f"{config.id}: the feed refused the token in "
                                  f"{feed.token_env}") from exc
            raise
        body = response.json()
        records.extend(body[feed.items_key])
        page = body.get(feed.next_key)
    return records


def rows_from_table(data: bytes, name: str, delimiter: str) -> Iterator[dict]:
    if name.lower().endswith((".xlsx", ".xls")):
        import pandas as pd

        frame = pd.read_excel(io.BytesIO(data), dtype=str)
        yield from frame.where(frame.notna(), None).to_dict("records")
        return
    text = data.decode("utf-8-sig", errors="replace")
    yield from csv.DictReader(io.StringIO(text), delimiter=delimiter)


def newest_file(folder: Path) -> Path | None:
    files = [p for p in folder.glob("*") if p.suffix.lower() in (".csv", ".xlsx", ".xls")]
    return max(files, key=lambda p: p.stat().st_mtime, default=None)


async def price_list_records(config: SupplierConfig, fetcher: Fetcher,
                             environ: dict[str, str]) -> list[dict]:
    feed = config.feed
    if feed.drop_folder:
        path = newest_file(Path(feed.drop_folder))
        if path is None:
            raise FileNotFoundError(f"{config.id}: no price list in {feed.drop_folder}")
        return list(rows_from_table(path.read_bytes(), path.name, feed.delimiter))
    response = await fetcher.get(config.url(feed.path),
                                 headers=_headers(feed, environ, config.id))
    return list(rows_from_table(response.content, feed.path, feed.delimiter))
