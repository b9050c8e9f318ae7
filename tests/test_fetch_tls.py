"""TLS: one verifying context for every connection of the process. Building one loads the CA
bundle (about 80 ms of CPU), and a scrape at concurrency 32 has four connection pools."""

from __future__ import annotations

import asyncio
import ssl

from supplier_pipeline.lib.scraping.fetch import Fetcher, tls_context
from supplier_pipeline.lib.suppliers.config import Politeness


def test_every_connection_pool_shares_one_verifying_tls_context():
    async def pools():
        async with Fetcher("a", Politeness(concurrency=32)) as first, \
                Fetcher("b", Politeness(concurrency=8)) as second:
            sessions = {first._session() for _ in range(first.shards)} | {second._session()}
            return [s.connector._ssl for s in sessions], len(sessions)

    contexts, pools_opened = asyncio.run(pools())
    assert pools_opened == 5  # the pool is sharded: several pools to share the context
    assert all(context is tls_context() for context in contexts)
    assert tls_context().verify_mode is ssl.CERT_REQUIRED and tls_context().check_hostname
