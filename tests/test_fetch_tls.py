"""TLS: every connection pool verifies certificates with aiohttp's one default context, built
when aiohttp is imported; a scrape builds none of its own (loading the CA store costs 80-190 ms
of CPU, and a scrape at concurrency 32 has four connection pools)."""

from __future__ import annotations

import asyncio
import ssl

from supplier_pipeline.lib.scraping.fetch import Fetcher
from supplier_pipeline.lib.suppliers.config import Politeness


def test_connection_pools_verify_tls_without_building_a_context(monkeypatch):
    def no_new_context(*args, **kwargs):
        raise AssertionError("a TLS context was built for a scrape")

    monkeypatch.setattr(ssl, "create_default_context", no_new_context)

    async def pools():
        async with Fetcher("a", Politeness(concurrency=32)) as fetcher:
            sessions = {fetcher._session() for _ in range(fetcher.shards)}
            return [s.connector for s in sessions]

    connectors = asyncio.run(pools())
    assert len(connectors) == 4  # the pool is sharded
    assert all(c._ssl is True for c in connectors)  # verified, with aiohttp's default context
