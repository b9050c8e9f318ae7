"""Render pages that need JavaScript in the system's Chromium through Playwright."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from collections.abc import Mapping
from datetime import UTC, datetime
from functools import cache

from supplier_pipeline.lib import settings
from supplier_pipeline.lib.scraping.fetch import outcome_of
from supplier_pipeline.lib.scraping.records import Fetch, Outcome
from supplier_pipeline.lib.scraping.safety import SupplierHosts, host_of, redact_text, redact_url

CHROMIUM_FLAGS = ["--headless", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run"]
SANDBOX_VARIABLE = "CHROMIUM_SANDBOX"  # auto (default), on, off


def chromium_path() -> str:
    return settings.current().chromium_path


def chromium_sandbox(environ: Mapping[str, str] = os.environ) -> bool:
    """Whether Chromium runs in its sandbox (a hostile page's exploit stays in a process that
    can do nothing): yes unless it cannot work: as root, which Chromium refuses, with
    CHROMIUM_SANDBOX=off, or when `auto` finds the kernel gives this user no user namespaces
    (a container under Docker's default seccomp profile)."""
    setting = (environ.get(SANDBOX_VARIABLE) or "auto").strip().lower()
    if setting not in {"auto", "on", "off"}:
        raise ValueError(f"{SANDBOX_VARIABLE} is {setting!r}: use auto, on or off")
    return os.geteuid() != 0 and setting != "off" and (
        setting == "on" or user_namespaces_available())


def chromium_flags(sandbox: bool) -> list[str]:
    return CHROMIUM_FLAGS + ([] if sandbox else ["--no-sandbox"])


@cache
def user_namespaces_available() -> bool:
    """Whether this user may create a user namespace, Chromium's sandbox's first need: asked of
    the kernel by trying (sysctls differ between distributions, seccomp hides behind them)."""
    unshare = shutil.which("unshare")
    if unshare is None:
        return False
    try:
        return subprocess.run([unshare, "--user", "true"], capture_output=True,
                              timeout=10).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


class Browser:
    """One headless Chromium per scrape; pages share the fetcher's cookies and User-Agent."""

    def __init__(self, supplier_id: str, user_agent: str, timeout_seconds: float,
                 hosts: SupplierHosts | None = None):
        self.supplier_id = supplier_id
        self.hosts = hosts  # a page that redirected elsewhere is not the supplier's page
        self.user_agent = user_agent
        self.timeout_ms = timeout_seconds * 1000
        self._playwright = self._browser = self._context = None

    async def __aenter__(self) -> Browser:
        from playwright.async_api import async_playwright  # only runs that render pay for it

        self._playwright = await async_playwright().start()
        sandbox = chromium_sandbox()  # Playwright turns it off unless told
        self._browser = await self._playwright.chromium.launch(
            executable_path=chromium_path(), args=chromium_flags(sandbox),
            chromium_sandbox=sandbox)
        self._context = await self._browser.new_context(user_agent=self.user_agent)
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self._browser.close()
        await self._playwright.stop()

    async def add_cookies(self, url: str, cookies: dict[str, str]) -> None:
        if cookies:
            await self._context.add_cookies(
                [{"name": k, "value": v, "url": url} for k, v in cookies.items()])

    async def render(self, url: str, wait_for: str | None, log: list[Fetch],
                     attempt: int = 1) -> str | None:
        """The page's HTML after its scripts ran, or None (the failure is logged). Scrapes go
        through Fetcher.render, which applies the supplier's politeness around this."""
        page = await self._context.new_page()
        started = time.monotonic()
        status, outcome, error, html = None, Outcome.OK, None, None
        try:
            response = await page.goto(url, timeout=self.timeout_ms)
            status = response.status if response else None
            if self.hosts is not None and not self.hosts.allows(page.url):
                outcome = Outcome.OFF_SITE
                error = f"redirected to {host_of(page.url)!r}, not one of the supplier's hosts"
            elif status is not None and status >= 400:
                outcome = outcome_of(status)
            else:
                if wait_for:
                    await page.wait_for_selector(wait_for, state="attached",
                                                 timeout=self.timeout_ms)
                html = await page.content()
        except Exception as exc:  # playwright raises its own TimeoutError and Error types
            timed_out = type(exc).__name__ == "TimeoutError"
            outcome = Outcome.TIMEOUT if timed_out else Outcome.HTTP_ERROR
            error = redact_text(str(exc).splitlines()[0][:200])
        finally:
            await page.close()
        log.append(Fetch(self.supplier_id, redact_url(url), outcome, status,
                         round((time.monotonic() - started) * 1000, 1),
                         len(html or ""), attempt, datetime.now(UTC), error))
        return html
