"""Deliver notifications over HTTP."""

from __future__ import annotations

import httpx


def post_json(url: str, payload: dict, timeout: float = 10.0) -> None:
    """POST `payload`; raises httpx.HTTPError when the endpoint does not accept it."""
    response = httpx.post(url, json=payload, timeout=timeout)
    response.raise_for_status()
