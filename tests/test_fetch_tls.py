"""TLS: one verifying context for every connection of the process. Building one loads the CA
bundle (about 80 ms of CPU), and a scrape at concurrency 32 has four clients."""

from __future__ import annotations

import asyncio
import ssl

from supplier_pipeline.lib.scraping.fetch import Fetcher, tls_context
from supplier_pipeline.lib.suppliers.config import Politeness


def test_every_client_shares_one_verifying_tls_context():
    async def transports():
        async with Fetcher("a", Politeness(concurrency=32)) as first, \
                Fetcher("b", Politeness(concurrency=8)) as second:
            found = [c._transport for c in (*first.clients, *second.clients)]
            session = found[0].get_client()  # what the transport connects with
            try:
                return found, len(first.clients), session.connector._ssl
            finally:
                await session.close()

    found, shards, connecting = asyncio.run(transports())
    assert shards > 1  # the pool is sharded: several transports to share it
    assert {id(t.ssl_context) for t in found} == {id(tls_context())}
    assert connecting is tls_context()
    assert tls_context().verify_mode is ssl.CERT_REQUIRED and tls_context().check_hostname
