"""A local webhook endpoint that keeps what it receives (stands in for Slack or a chat bot)."""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route


def build_app(received: list[dict]) -> Starlette:
    async def receive(request: Request) -> JSONResponse:
        received.append(await request.json())
        return JSONResponse({"ok": True})

    return Starlette(routes=[Route("/hook", receive, methods=["POST"])])
