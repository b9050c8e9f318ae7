"""Supplier feeds: a paginated JSON API with a bearer token, and CSV / XLSX price lists
fetched from a URL or picked up from a drop folder.

An answer that is not what the feed promised (HTML instead of JSON, no `items_key`, a price
list that is not a table) is a `parse_error` with what was found instead; pagination stops
with an error when a `next_page` repeats or the feed runs past `feed.max_pages`.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from pathlib import Path

import httpx

from supplier_pipeline.lib.scraping.fetch import Fetcher, FetchFailed
from supplier_pipeline.lib.scraping.normalise import FeedNumber
from supplier_pipeline.lib.scraping.records import Outcome
from supplier_pipeline.lib.scraping.safety import redact_text
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


def _parse_error(fetcher: Fetcher, response: httpx.Response, problem: str) -> FetchFailed:
    """The latest fetch (this answer's) becomes a parse error with `problem` as its error."""
    fetcher.log[-1].outcome = Outcome.PARSE_ERROR
    fetcher.log[-1].error = redact_text(problem)
    return FetchFailed(Outcome.PARSE_ERROR, str(response.url), problem)


def _page_items(fetcher: Fetcher, response: httpx.Response, feed: Feed) -> tuple[list, object]:
    """(records, next page) of one answer, or a parse error saying what came instead."""
    try:
        body = response.json()
    except ValueError:
        kind = response.headers.get("content-type", "no content type")
        start = " ".join(response.text[:60].split())
        raise _parse_error(fetcher, response,
                           f"not JSON ({kind}, starting {start!r})") from None
    if not isinstance(body, dict) or feed.items_key not in body:
        keys = ", ".join(map(str, list(body)[:10])) if isinstance(body, dict) else type(
            body).__name__
        raise _parse_error(fetcher, response, f"no {feed.items_key!r} in the answer (found: "
                           f"{keys}); check feed.items_key")
    items = body[feed.items_key]
    if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
        raise _parse_error(fetcher, response, f"{feed.items_key!r} is not a list of records")
    following = body.get(feed.next_key)
    if following is not None and (isinstance(following, bool)
                                  or not isinstance(following, int | str)):
        raise _parse_error(fetcher, response, f"{feed.next_key!r} is {following!r}, not a page")
    return items, following


async def json_api_records(config: SupplierConfig, fetcher: Fetcher,
                           environ: dict[str, str]) -> list[dict]:
    feed = config.feed
    headers = _headers(feed, environ, config.id)
    records, page, seen = [], 1, set()
    while page is not None:
        if len(seen) >= feed.max_pages:
            raise FetchFailed(Outcome.PARSE_ERROR, config.url(feed.path),
                              f"more than {feed.max_pages} pages; raise feed.max_pages if the "
                              "feed is really this long")
        seen.add(page)
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
        items, page = _page_items(fetcher, response, feed)
        records.extend(items)
        if page in seen:
            raise _parse_error(fetcher, response, f"the feed's pagination loops: "
                               f"{feed.next_key} {page!r} was already read")
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
            raise FetchFailed(Outcome.NOT_FOUND, feed.drop_folder, "no price list there")
        return list(rows_from_table(path.read_bytes(), path.name, feed.delimiter))
    response = await fetcher.get(config.url(feed.path),
                                 headers=_headers(feed, environ, config.id))
    try:
        return list(rows_from_table(response.content, feed.path, feed.delimiter))
    except Exception as exc:  # pandas and csv raise many types for a file that is no table
        raise _parse_error(fetcher, response, f"not a price list ({type(exc).__name__}: "
                           f"{str(exc)[:100]})") from None
