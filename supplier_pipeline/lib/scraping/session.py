"""Logged-in sessions: form login with CSRF, cookies kept between runs, one re-login when
the session is gone, and a clear `login_failed` for wrong credentials.

The login form is posted as a browser posts it: the form that holds the password input, its
hidden and pre-filled inputs, its checked boxes, the name=value of its submit button (shops such
as WooCommerce ignore a post without it) and the supplier's `login.extra_fields`. When that
fails, the error says whether the form was not understood (no form with the configured inputs)
or the credentials were refused. A session is gone when the shop redirects to its login
page, or, for shops that silently show guest prices instead, when a page lacks
`login.logged_in_marker`; it is renewed once, and a page still without the marker ends
the scrape (`SessionLost`), so that guest prices are never stored.

Credentials go to the supplier's base URL's origin only (the form's action is resolved like a
browser would and refused when it leads elsewhere, `off_site`), and over https unless the
supplier's file gives `login.allow_plain_http_reason` or the shop is on a loopback address
(`insecure` otherwise).
"""

from __future__ import annotations

import asyncio
import fnmatch
import json
import os
import time
from pathlib import Path
from urllib.parse import urljoin

import httpx
from parsel import Selector

from supplier_pipeline.lib import settings
from supplier_pipeline.lib.scraping.extract import extract_field, parsed
from supplier_pipeline.lib.scraping.fetch import Fetcher, FetchFailed
from supplier_pipeline.lib.scraping.records import Outcome
from supplier_pipeline.lib.scraping.safety import host_of, is_loopback, origin_of
from supplier_pipeline.lib.suppliers.config import Login


class LoginFailed(RuntimeError):
    """The shop refused our credentials: stop, never retry in a loop."""


class SessionLost(FetchFailed):
    """Still logged out after logging in again: the run ends rather than store what a guest
    sees (retail prices, no stock)."""

    def __init__(self, url: str, detail: str):
        super().__init__(Outcome.SESSION_EXPIRED, url, detail)


# What a browser sends of a form besides the inputs the user types in.
_POSTED_INPUTS = ".//input[@name and not(@disabled) and (not(@type) or not(contains("
_POSTED_INPUTS += "'submit image button reset file checkbox radio', translate(@type, "
_POSTED_INPUTS += "'ABCDEFGHIJKLMNOPQRSTUVWXYZ', 'abcdefghijklmnopqrstuvwxyz'))))]"
_SUBMIT = (".//button[not(@type) or @type='submit'] | .//input[@type='submit' or "
           "@type='image']")


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
        self.not_understood: str | None = None  # why the last login form was not understood

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

    def logged_out(self, response: httpx.Response) -> bool:
        """Redirected to the login page, or an HTML page without the logged-in marker."""
        if self.expired(response):
            return True
        marker = self.login_rule.logged_in_marker
        if marker is None or "html" not in response.headers.get("content-type", "text/html"):
            return False
        return extract_field(parsed(response.text), marker).value is None

    def session_cookies(self) -> dict[str, str]:
        """The cookies named by `session_cookie`, which may be a pattern
        (`wordpress_logged_in_*`: WordPress adds a hash of the site's address)."""
        return {name: value for name, value in self.fetcher.cookie_values().items()
                if fnmatch.fnmatchcase(name, self.login_rule.session_cookie)}

    def _form_data(self, page: Selector, url: str, username: str, password: str
                   ) -> tuple[Selector, dict[str, str]]:
        """The login form and what a browser would post when its submit button is clicked."""
        rule = self.login_rule
        forms = [f for f in page.xpath("//form[.//input[@name=$name]]", name=rule.password_field)
                 if f.xpath(".//*[@name=$name]", name=rule.username_field)]
        names = sorted(set(page.css("form input::attr(name)").getall()))
        self.not_understood = None if forms else (
            f"no form on the login page has inputs {rule.username_field!r} and "
            f"{rule.password_field!r} (inputs seen: {', '.join(names) or 'none'}); check "
            "login.username_field and login.password_field")
        forms = forms or page.css("form")  # posted as configured all the same
        if not forms:
            self.fetcher.log[-1].outcome = Outcome.PARSE_ERROR
            raise FetchFailed(Outcome.PARSE_ERROR, url, "the login form was not understood: "
                              "the login page has no form")
        form = forms[0]
        data = {i.attrib["name"]: i.attrib.get("value", "") for i in form.xpath(_POSTED_INPUTS)}
        for box in form.xpath(".//input[(@type='checkbox' or @type='radio') and @checked]"):
            if box.attrib.get("name"):
                data[box.attrib["name"]] = box.attrib.get("value", "on")
        submit = form.xpath(_SUBMIT)
        if submit and submit[0].attrib.get("name"):
            data[submit[0].attrib["name"]] = submit[0].attrib.get("value", "")
        data.update(rule.extra_fields)
        data.update({rule.username_field: username, rule.password_field: password})
        return form, data

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
        if rule.submit_path:
            self.check_destination(self.base_url + rule.submit_path)
        self.fetcher.clear_cookies()
        form_page = await self.fetcher.get(self.base_url + rule.form_path)
        page = Selector(text=form_page.text)
        if not rule.submit_path:  # the form's action, resolved as a browser would
            action = page.xpath("//form[.//input[@name=$name]]/@action",
                                name=rule.password_field).get()
            self.check_destination(urljoin(str(form_page.url),
                                           action or page.css("form::attr(action)").get() or ""))
        form, data = self._form_data(page, str(form_page.url), username, password)
        if rule.csrf_field and not data.get(rule.csrf_field):
            self.fetcher.log[-1].outcome = Outcome.PARSE_ERROR
            raise FetchFailed(Outcome.PARSE_ERROR, str(form_page.url),
                              f"no CSRF field {rule.csrf_field!r} on the login form")
        target = (self.base_url + rule.submit_path if rule.submit_path
                  else urljoin(str(form_page.url), form.attrib.get("action") or ""))
        response = await self.fetcher.request("POST", target, data=data)
        self.logins += 1
        session = self.session_cookies()
        if not session or self.expired(response):
            self.fetcher.log[-1].outcome = Outcome.LOGIN_FAILED
            self.store.clear()
            if self.not_understood:
                raise LoginFailed(f"{self.fetcher.supplier_id}: login failed, the form was "
                                  f"not understood: {self.not_understood}")
            raise LoginFailed(f"{self.fetcher.supplier_id}: login refused: credentials "
                              f"refused (the shop set no {rule.session_cookie!r} cookie); "
                              f"check {rule.username_env} and {rule.password_env}")
        self.store.save(session)
        self.generation += 1

    async def get(self, url: str) -> httpx.Response:
        """GET behind the login; a session found expired is renewed once, then retried."""
        generation = self.generation
        response = await self.fetcher.get(url)
        if not self.logged_out(response):
            return response
        self.fetcher.log[-1].outcome = Outcome.SESSION_EXPIRED
        async with self.lock:
            if self.generation == generation:
                await self.login()
        response = await self.fetcher.get(url)
        if self.expired(response):
            self.fetcher.log[-1].outcome = Outcome.SESSION_EXPIRED
            raise SessionLost(url, "session lost again after re-login")
        if self.logged_out(response):
            self.fetcher.log[-1].outcome = Outcome.SESSION_EXPIRED
            raise SessionLost(url, "the page lacks login.logged_in_marker even after logging "
                              "in again: the shop shows it as to a guest (guest prices are "
                              "not stored); check the marker and the account")
        return response
