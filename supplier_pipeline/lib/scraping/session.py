"""Logged-in sessions: form login with CSRF, cookies kept between runs, one re-login when
the shop says the session is gone, and a clear `login_failed` for wrong credentials.

Credentials go to the supplier's base URL's origin only (the form's action is resolved like a
browser would and refused when it leads elsewhere, `off_site`), and over https unless the
supplier's file gives `login.allow_plain_http_reason` or the shop is on a loopback address
(`insecure` otherwise).
"""

from __future__ import annotations

import asyncio
import json
import os
import time
from pathlib import Path
from urllib.parse import urljoin

import httpx
from parsel import Selector

from supplier_pipeline.lib import settings
from supplier_pipeline.lib.scraping.fetch import Fetcher, FetchFailed
from supplier_pipeline.lib.scraping.records import Outcome
from supplier_pipeline.lib.scraping.safety import host_of, is_loopback, origin_of
from supplier_pipeline.lib.suppliers.config import Login


class LoginFailed(RuntimeError):
    """The shop refused our credentials: stop, never retry in a loop."""


def state_dir() -> Path:
    return settings.current().state_dir


class CookieStore:
    """A supplier's session cookies on disk, readable by the owner only."""

    def __init__(self, supplier_id: str, folder: Path | None = None):
        self.path = (folder or state_dir() / "sessions") / f"{supplier_id}.json"

    def load(self) -> dict[str, str]:
        try:
            return json.loads(self.path.read_text())
        except (FileNotFoundError, json.JSONDecodeError):
            return {}

    def save(self, cookies: dict[str, str]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        temporary = self.path.with_suffix(".tmp")
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as handle:
            json.dump(cookies, handle)
        os.replace(temporary, self.path)

    def clear(self) -> None:
        self.path.unlink(missing_ok=True)


class Session:
    """Wraps a Fetcher with the supplier's login."""

    def __init__(self, fetcher: Fetcher, login: Login, base_url: str,
                 environ: dict[str, str], store: CookieStore):
        self.fetcher = fetcher
        self.login_rule = login
        self.base_url = base_url.rstrip("/")
        self.environ = environ
        self.store = store
        self.generation = 0
        self.lock = asyncio.Lock()
        self.logins = 0

    def _credentials(self) -> tuple[str, str]:
        missing = [n for n in (self.login_rule.username_env, self.login_rule.password_env)
                   if not self.environ.get(n)]
        if missing:
            raise LoginFailed(f"{self.fetcher.supplier_id}: set {', '.join(missing)} in the "
                              "environment to log in")
        return (self.environ[self.login_rule.username_env],
                self.environ[self.login_rule.password_env])

    def _refuse(self, url: str, outcome: Outcome, reason: str) -> None:
        self.fetcher.record(url, outcome, None, time.monotonic(), 0, 0, reason)
        raise LoginFailed(f"{self.fetcher.supplier_id}: login refused before sending "
                          f"credentials: {reason}")

    def check_destination(self, url: str) -> None:
        """Credentials may go to `url` only on the base URL's origin, and only over https
        unless the supplier's file says why not (loopback shops need no reason)."""
        if origin_of(url) != origin_of(self.base_url):
            self._refuse(url, Outcome.OFF_SITE, f"the login form sends to {host_of(url)!r} "
                         f"({origin_of(url)[0]}://...), not to {self.base_url}")
        if (origin_of(url)[0] != "https" and not is_loopback(host_of(url))
                and not self.login_rule.allow_plain_http_reason):
            self._refuse(url, Outcome.INSECURE, "the password would travel over plain http; "
                         "use an https base_url or set login.allow_plain_http_reason")

    def expired(self, response: httpx.Response) -> bool:
        return self.login_rule.login_path_marker in response.url.path

    async def start(self) -> None:
        """Reuse the stored session when there is one; otherwise log in."""
        stored = self.store.load()
        if stored:
            self.fetcher.set_cookies(stored, self.base_url)
        else:
            await self.login()

    async def login(self) -> None:
        username, password = self._credentials()
        rule = self.login_rule
        self.check_destination(self.base_url + rule.form_path)
        self.fetcher.clear_cookies()
        form_page = await self.fetcher.get(self.base_url + rule.form_path)
        data = {rule.username_field: username, rule.password_field: password}
        page = Selector(text=form_page.text)
        for hidden in page.css("form input[type=hidden]"):
            name = hidden.attrib.get("name")
            if name and name not in data:
                data[name] = hidden.attrib.get("value", "")
        if rule.csrf_field and not data.get(rule.csrf_field):
            self.fetcher.log[-1].outcome = Outcome.PARSE_ERROR
            raise FetchFailed(Outcome.PARSE_ERROR, str(form_page.url),
                              f"no CSRF field {rule.csrf_field!r} on the login form")
        if rule.submit_path:
            target = self.base_url + rule.submit_path
        else:  # the page's action, resolved against the page as a browser would
            target = urljoin(str(form_page.url), page.css("form::attr(action)").get() or "")
        self.check_destination(target)
        response = await self.fetcher.request("POST", target, data=data)
        self.logins += 1
        session_id = self.fetcher.cookie(rule.session_cookie)
        if session_id is None or self.expired(response):
            self.fetcher.log[-1].outcome = Outcome.LOGIN_FAILED
            self.store.clear()
            raise LoginFailed(f"{self.fetcher.supplier_id}: login refused; check "
                              f"{rule.username_env} and {rule.password_env}")
        self.store.save({rule.session_cookie: session_id})
        self.generation += 1

    async def get(self, url: str) -> httpx.Response:
        """GET behind the login; a session found expired is renewed once, then retried."""
        generation = self.generation
        response = await self.fetcher.get(url)
        if not self.expired(response):
            return response
        self.fetcher.log[-1].outcome = Outcome.SESSION_EXPIRED
        async with self.lock:
            if self.generation == generation:
                await self.login()
        response = await self.fetcher.get(url)
        if self.expired(response):
            self.fetcher.log[-1].outcome = Outcome.SESSION_EXPIRED
            raise FetchFailed(Outcome.SESSION_EXPIRED, url, "session lost again after re-login")
        return response
