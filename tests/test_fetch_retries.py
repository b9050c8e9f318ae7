"""Retries: a 429 that says when to come back is waited out without using up a retry; a
shop that answers 429 for ever still ends the request."""

from __future__ import annotations

import asyncio

import pytest
from starlette.applications import Starlette
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from supplier_pipeline.demo.server import BackgroundServer
from supplier_pipeline.lib.scraping.fetch import Fetcher, FetchFailed
from supplier_pipeline.lib.scraping.records import Outcome
from supplier_pipeline.lib.suppliers.config import Politeness


def scripted_shop(answers: list[int]) -> Starlette:
    """Answers /page with the statuses in `answers`, then 200s; a 429 says Retry-After: 0."""
    left = list(answers)

    async def page(_):
        status = left.pop(0) if left else 200
        headers = {"Retry-After": "0"} if status == 429 else {}
        return PlainTextResponse(str(status), status, headers)

    return Starlette(routes=[Route("/page", page)])


def fetch_page(answers: list[int], max_retries: int):
    server = BackgroundServer(scripted_shop(answers)).start()

    async def run():
        politeness = Politeness(max_retries=max_retries, rate_limit_per_second=1000)
        async with Fetcher("shop", politeness, backoff_base=0.001) as fetcher:
            try:
                return await fetcher.get(f"{server.url}/page"), fetcher.log
            except FetchFailed as failed:
                return failed, fetcher.log

    try:
        return asyncio.run(run())
    finally:
        server.stop()


def test_a_paced_request_keeps_its_retries_for_failures():
    answer, log = fetch_page([500, 429, 500, 429, 500], max_retries=3)
    assert answer.status_code == 200
    assert [f.status for f in log] == [500, 429, 500, 429, 500, 200]
    assert [f.attempt for f in log] == [1, 2, 3, 4, 5, 6]


@pytest.mark.parametrize("max_retries", [0, 2])
def test_a_shop_that_always_answers_429_ends_the_request(max_retries):
    failed, log = fetch_page([429] * 50, max_retries=max_retries)
    assert isinstance(failed, FetchFailed) and failed.outcome is Outcome.RATE_LIMITED
    # max_retries + 1 waits as the shop asked, then the attempt and retries of any request
    assert len(log) == 2 * (max_retries + 1)


def test_redirects_turn_a_post_into_a_get_and_keep_credentials_on_their_origin():
    """As a browser (and httpx) does: the form's body is not posted again after its 302, and
    an Authorization header is not sent to another origin a redirect points to."""
    from starlette.requests import Request
    from starlette.responses import JSONResponse, RedirectResponse

    seen: list[dict] = []

    async def record(request: Request):
        seen.append({"method": request.method, "path": request.url.path,
                     "authorization": request.headers.get("authorization"),
                     "body": (await request.body()).decode()})
        return JSONResponse(seen[-1])

    other = BackgroundServer(Starlette(routes=[Route("/landing", record)])).start()

    async def login(request: Request):
        await record(request)
        return RedirectResponse("/account", 302)

    async def away(request: Request):
        await record(request)
        return RedirectResponse(f"{other.url}/landing", 302)

    shop = BackgroundServer(Starlette(routes=[
        Route("/login", login, methods=["POST"]), Route("/account", record),
        Route("/away", away)])).start()

    async def run():
        politeness = Politeness(rate_limit_per_second=1000)
        async with Fetcher("shop", politeness) as fetcher:
            posted = await fetcher.request("POST", f"{shop.url}/login", data={"user": "u"})
            moved = await fetcher.get(f"{shop.url}/away",
                                      headers={"Authorization": "Bearer t0ken"})
            return posted, moved

    try:
        posted, moved = asyncio.run(run())
    finally:
        shop.stop()
        other.stop()
    assert str(posted.url) == f"{shop.url}/account"
    assert seen[0] == {"method": "POST", "path": "/login", "authorization": None,
                       "body": "user=u"}
    assert seen[1] == {"method": "GET", "path": "/account", "authorization": None, "body": ""}
    assert seen[2]["authorization"] == "Bearer t0ken"  # its own origin
    assert moved.json()["path"] == "/landing" and seen[3]["authorization"] is None
