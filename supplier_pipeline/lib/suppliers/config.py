"""Supplier configuration: one YAML file per supplier, validated with errors that name the
file, the field and what is wrong.

String values may refer to the environment as `${NAME}` or `${NAME:-default}`, so that
addresses differ per deployment; credentials are never values, only names of variables.

One broken file must not stop the others: reading SUPPLIERS_DIR returns the suppliers that
load and, beside them, every file that was skipped with its field and reason. The code
location, the schedules and the runs all read the folder that way, so a typo in one shop's
file costs that shop's scrapes only.
"""

from __future__ import annotations

import logging
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

# The documented starting point for a new supplier (a disabled template); never loaded unless
# a deployment copies it into its SUPPLIERS_DIR.
TEMPLATE_DIR = Path(__file__).parent
_ENV_REF = re.compile(r"\$\{([A-Z0-9_]+)(?::-([^}]*))?\}")


log = logging.getLogger(__name__)


@dataclass(frozen=True)
class FileProblem:
    """Why one supplier file was skipped; `field` is None when the whole file is at fault."""

    file: Path
    field: str | None
    reason: str

    @property
    def supplier_id(self) -> str:
        return self.file.stem  # a file's id must equal its name

    def __str__(self) -> str:
        return f"{self.file}: field `{self.field}`: {self.reason}" if self.field else (
            f"{self.file}: {self.reason}")


class SupplierConfigError(ValueError):
    """A supplier file that cannot be used, with the file and field that are wrong."""

    def __init__(self, problems: list[FileProblem]):
        self.problems = problems
        fields = "; ".join(f"field `{p.field}`: {p.reason}" if p.field else p.reason
                           for p in problems)
        super().__init__(f"{problems[0].file}: {fields}")


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


Selectors = list[str]  # CSS selectors (parsel syntax, ::text / ::attr()), tried in order


Prefer = Literal["structured", "selectors"]


def _compiles(value: str | None) -> str | None:
    """A regex setting, refused when the file is loaded rather than at the first scrape."""
    if value is not None:
        re.compile(value)
    return value


class FieldRule(Strict):
    """How to read one field: selectors tried in order, then an optional regex on the text."""

    css: Selectors
    regex: str | None = None
    # On a product page that also states this field in structured data (JSON-LD, microdata):
    # which one is stored. Unset: the page's `prefer`.
    prefer: Prefer | None = None

    @field_validator("css", mode="before")
    @classmethod
    def one_or_many(cls, value: object) -> object:
        return [value] if isinstance(value, str) else value

    _regex = field_validator("regex")(_compiles)


def _rules(value: object) -> object:
    """Accept `field: ".css::text"` and `field: [a, b]` as shorthands for `{css: ...}`."""
    if isinstance(value, dict):
        return {k: v if isinstance(v, dict) else {"css": v} for k, v in value.items()}
    return value


class Login(Strict):
    form_path: str
    submit_path: str | None = None  # default: the form's action
    username_field: str
    password_field: str
    csrf_field: str | None = None  # hidden input whose value is sent back
    username_env: str
    password_env: str
    session_cookie: str  # present after a successful login
    login_path_marker: str  # a redirect to a URL containing this means the session is gone
    # Credentials go over https only: the form's action must be on the base URL's origin and
    # the base URL must be https. A shop on plain http needs this reason written down (an
    # intranet supplier, say); loopback addresses (127.0.0.1, ::1, localhost: the demo shops
    # and tests) need none, since their traffic never leaves the machine.
    allow_plain_http_reason: str | None = Field(None, min_length=3)
    # Fields a browser would post besides the form's own (its hidden inputs and the submit
    # button's name=value are posted already), e.g. `{rememberme: forever}`.
    extra_fields: dict[str, str] = {}
    # Present only on a logged-in page (a "Logout"/"Esci" link, the account name, a B2B price
    # label): a page without it means the session is gone even when the shop does not say
    # so (guests see retail prices). Renewed once; still missing, the scrape fails.
    logged_in_marker: FieldRule | None = None

    @field_validator("logged_in_marker", mode="before")
    @classmethod
    def marker_shorthand(cls, value: object) -> object:
        return {"css": value} if isinstance(value, str | list) else value


class PageRules(Strict):
    engine: Literal["http", "browser"] = "http"
    fields: dict[str, FieldRule]
    wait_for: str | None = None  # browser: CSS selector that shows the page is complete
    # Product pages: what wins when a configured selector and the page's structured data
    # both give a field. `structured` (the default) keeps the shop's JSON-LD / microdata;
    # `selectors` stores what the selectors checked with `probe` read. A field's own
    # `prefer` overrides it; every field rule carries the outcome.
    prefer: Prefer = "structured"

    _fields = field_validator("fields", mode="before")(_rules)

    @model_validator(mode="before")
    @classmethod
    def fields_inherit_prefer(cls, data: object) -> object:
        if not (isinstance(data, dict) and data.get("prefer") and isinstance(
                rules := _rules(data.get("fields")), dict)):
            return data
        return {**data, "fields": {
            name: {**rule, "prefer": rule.get("prefer") or data["prefer"]}
            if isinstance(rule, dict) else rule for name, rule in rules.items()}}


class Categories(Strict):
    """Category discovery: the listings a shop's menu links to, read like start_paths, so that a
    category the shop adds is scraped without editing the supplier's file."""

    links: str  # CSS selector of the menu's category links, e.g. "#menu a::attr(href)"
    page: str = "/"  # the page whose menu is read
    match: str | None = None  # a regex the links must match (e.g. '/\d+-[a-z-]+$')

    _match = field_validator("match")(_compiles)


class Listing(PageRules):
    start_path: str | None = None
    # More listings of the same supplier (one per category), read like start_path; a product
    # seen in several is one offer.
    start_paths: list[str] = []
    categories: Categories | None = None
    # Product sitemaps (index files followed, .gz read) as a source of product URLs: each is
    # read on its product page, in both scrapes. `sitemap_match`: a regex the URLs must match.
    # `sitemaps_from_robots`: also the sitemaps robots.txt names (`Sitemap:` lines).
    sitemap: list[str] = []
    sitemap_match: str | None = None
    sitemaps_from_robots: bool = False

    _sitemap_match = field_validator("sitemap_match")(_compiles)
    # "Showing 1-24 of 440" / "Mostrando 1-24 di 440 articoli": the page count is computed from
    # it. Unset: the usual places (.woocommerce-result-count, .showing, .toolbar-amount, ...).
    result_count: FieldRule | None = None
    item: str  # CSS selector of one product on a listing page
    next_page: str | None = None  # CSS selector of the next page's link
    product_link: str | None = None  # CSS selector (::attr(href)) of the product page
    # When the first page says how many pages there are, the rest are fetched concurrently.
    page_url: str | None = None  # path with `{page}`, e.g. /catalogo?pagina={page}
    page_count: FieldRule | None = None

    @field_validator("page_count", "result_count", mode="before")
    @classmethod
    def rule_shorthand(cls, value: object) -> object:
        return {"css": value} if isinstance(value, str | list) else value

    @field_validator("sitemap", mode="before")
    @classmethod
    def one_or_many(cls, value: object) -> object:
        return [value] if isinstance(value, str) else value

    @model_validator(mode="after")
    def has_a_start(self) -> Listing:
        if not (self.start_path or self.start_paths or self.categories or self.sitemap
                or self.sitemaps_from_robots):
            raise ValueError("a listing needs start_path, start_paths, categories, sitemap or "
                             "sitemaps_from_robots")
        return self

    @model_validator(mode="after")
    def page_url_has_placeholder(self) -> Listing:
        if self.page_url and "{page}" not in self.page_url:
            raise ValueError("page_url must contain {page}")
        return self


class Feed(Strict):
    kind: Literal["json_api", "csv"]
    path: str | None = None  # URL path on base_url
    drop_folder: str | None = None  # csv: read the newest file here instead of a URL
    token_env: str | None = None  # sent as `Authorization: Bearer <token>`
    page_param: str = "page"
    page_size_param: str | None = None
    page_size: int = 100
    items_key: str = "items"
    next_key: str = "next_page"
    # A feed that asks for more pages than this ends with an error instead of running on.
    max_pages: int = Field(1000, ge=1)
    delimiter: str = ","
    columns: dict[str, str]  # our field -> the feed's key / column header

    @model_validator(mode="after")
    def has_source(self) -> Feed:
        if not (self.path or self.drop_folder):
            raise ValueError("a feed needs `path` (URL on base_url) or `drop_folder`")
        return self


class PriceRule(Strict):
    locale: str = "en"  # decides the decimal separator when a price is ambiguous
    currency: str = "EUR"
    vat_included: bool
    vat_rate: float = Field(ge=0, le=50)  # percent

    @field_validator("vat_rate", mode="before")
    @classmethod
    def decimal_comma(cls, value: object) -> object:
        # Written by people who write "22,0": a comma here can only be the decimal mark.
        return value.strip().replace(",", ".", 1) if isinstance(value, str) else value


class StockRule(Strict):
    """Stock text -> state. Texts are matched case-insensitively as substrings, in order."""

    in_stock: list[str] = []
    out_of_stock: list[str] = []
    low: list[str] = []
    quantity_pattern: str | None = None  # regex whose first group is the quantity
    low_below: int = 4  # a known quantity under this is `low`
    # The shop's own words for "orderable, not on the shelf"; besides these, the usual
    # phrases ("su ordinazione", "auf Bestellung", "pre-order", ...) are known already.
    backorder: list[str] = []


class Politeness(Strict):
    respect_robots: bool = True
    robots_override_reason: str | None = None
    rate_limit_per_second: float = Field(2.0, gt=0)
    concurrency: int = Field(4, ge=1, le=64)
    timeout_seconds: float = Field(20.0, gt=0)
    max_retries: int = Field(3, ge=0, le=10)
    circuit_breaker_blocks: int = Field(5, ge=1)  # stop the run after this many blocks

    @model_validator(mode="after")
    def override_has_reason(self) -> Politeness:
        if not self.respect_robots and not self.robots_override_reason:
            raise ValueError("respect_robots: false needs robots_override_reason")
        return self


class Limits(Strict):
    """What one answer may cost us, so that a broken or hostile server cannot take the run's
    memory or time: a bigger or slower answer is refused with its reason in the fetch log."""

    max_body_mb: float = Field(20.0, gt=0)  # counted after decompression (gzip bombs)
    total_seconds: float = Field(60.0, gt=0)  # one request from connect to last byte
    max_redirects: int = Field(10, ge=0, le=30)


class OrderTerms(Strict):
    """How a line may be ordered: at least `min_order_quantity` units, in multiples of
    `order_multiple` listings (a listing's own pack size is counted on top)."""

    min_order_quantity: int = Field(1, ge=1)
    order_multiple: int = Field(1, ge=1)


class Purchasing(Strict):
    lead_time_days: int = Field(3, ge=0)
    shipping_fee: float = Field(0.0, ge=0)
    free_shipping_above: float | None = None
    min_order_value: float = Field(0.0, ge=0)
    handling_fee: float = Field(0.0, ge=0)  # per order, shipped free or not
    # every line, unless its part's category (the shop's part type) has its own terms
    order_terms: OrderTerms = OrderTerms()
    category_order_terms: dict[str, OrderTerms] = {}
    # A PO up to this total (net) is approved without a person when its quantities and prices
    # are usual; unset, every PO to this supplier waits for someone to approve it.
    auto_approve_up_to: float | None = Field(None, ge=0)
    max_quantity_factor: float = Field(3.0, gt=1)  # a line above this x the usual order waits
    max_price_factor: float = Field(1.5, gt=1)  # a price above this x the recent price waits


class Schedule(Strict):
    prices_cron: str = "0 */4 * * *"
    catalog_cron: str = "0 2 * * *"

    @field_validator("prices_cron", "catalog_cron")
    @classmethod
    def dagster_accepts(cls, value: str) -> str:
        # Checked here, by the scheduler that will run it, so that a bad cron skips its
        # supplier instead of failing the code location when its schedule is built.
        import dagster as dg

        try:
            dg.ScheduleDefinition(name="cron_check", cron_schedule=value, job_name="cron_check")
        except dg.DagsterInvalidDefinitionError:
            raise ValueError(f"{value!r} is not a 5-field cron expression") from None
        return value


class SupplierConfig(Strict):
    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    name: str
    enabled: bool = True
    base_url: str
    engine: Literal["html", "feed"]
    contact: str | None = None
    login: Login | None = None
    listing: Listing | None = None
    product: PageRules | None = None
    feed: Feed | None = None
    price: PriceRule
    stock: StockRule = StockRule()
    politeness: Politeness = Politeness()
    limits: Limits = Limits()
    # Hosts besides base_url's that links and redirects may lead to (a CDN for price lists,
    # a second shop domain); `*.example.com` covers its sub-domains. Any other host is
    # refused, so credentials and cookies never go elsewhere.
    allowed_hosts: list[str] = []
    purchasing: Purchasing = Purchasing()
    schedule: Schedule = Schedule()
    # An importable module for what configuration cannot express. It may define
    # `transform(observation) -> observation | None` (None drops the offer).
    hook: str | None = None

    @model_validator(mode="after")
    def engine_has_its_parts(self) -> SupplierConfig:
        if self.engine == "html" and self.listing is None:
            raise ValueError("engine html needs a `listing` section")
        if self.engine == "feed" and self.feed is None:
            raise ValueError("engine feed needs a `feed` section")
        return self

    def url(self, path: str) -> str:
        return path if path.startswith("http") else self.base_url.rstrip("/") + path


def _expand(value: object, environ: dict[str, str], where: str = "") -> object:
    """`${NAME}` references replaced; an unset one without a default raises
    KeyError(name, field)."""
    if isinstance(value, str):
        def sub(match: re.Match) -> str:
            name, default = match.group(1), match.group(2)
            if name in environ:
                return environ[name]
            if default is None:
                raise KeyError(name, where)
            return default
        return _ENV_REF.sub(sub, value)
    if isinstance(value, dict):
        return {k: _expand(v, environ, f"{where}.{k}" if where else str(k))
                for k, v in value.items()}
    if isinstance(value, list):
        return [_expand(v, environ, f"{where}.{i}" if where else str(i))
                for i, v in enumerate(value)]
    return value


def _read(path: Path) -> dict:
    def problem(reason: str) -> SupplierConfigError:
        return SupplierConfigError([FileProblem(path, None, reason)])

    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise problem(f"not valid YAML: {' '.join(str(exc).split())}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise problem(f"cannot be read: {exc}") from None
    if not isinstance(raw, dict):
        raise problem("expected a mapping of settings at the top level")
    return raw


def _validate(path: Path, raw: dict, environ: dict[str, str]) -> SupplierConfig:
    try:
        expanded = _expand(raw, environ)
    except KeyError as exc:
        name, where = exc.args
        raise SupplierConfigError([FileProblem(
            path, where or None, f"environment variable {name} is referenced but not set")]
        ) from None
    try:
        config = SupplierConfig.model_validate(expanded)
    except ValidationError as exc:
        raise SupplierConfigError([
            FileProblem(path, ".".join(str(p) for p in err["loc"]) or "(top)", err["msg"])
            for err in exc.errors()]) from None
    if config.id != path.stem:
        raise SupplierConfigError([FileProblem(
            path, "id", f"is {config.id!r} but must match the file name {path.stem!r}")])
    return config


def load_supplier(path: Path, environ: dict[str, str] | None = None) -> SupplierConfig:
    """One file, enabled or not, with the environment expanded; raises SupplierConfigError."""
    environ = dict(os.environ) if environ is None else environ
    return _validate(path, _read(path), environ)


def supplier_dirs() -> list[Path]:
    """The folders of SUPPLIERS_DIR (several separated by `:`): a deployment's suppliers, and
    only those. The product ships no supplier of its own; the demo points this at its shops."""
    from supplier_pipeline.lib.settings import current

    return list(current().suppliers_dirs)


@dataclass(frozen=True)
class SupplierFiles:
    """What SUPPLIERS_DIR holds: the suppliers that load, and every file skipped with why."""

    configs: dict[str, SupplierConfig]
    problems: list[FileProblem]

    def problems_of(self, supplier_id: str) -> list[FileProblem]:
        return [p for p in self.problems if p.supplier_id == supplier_id]

    def problems_table(self) -> str:
        """The skipped files as a Markdown table, for the UI; `none` when nothing is skipped."""
        if not self.problems:
            return "none"
        rows = [(str(p.file), p.field or "(whole file)", p.reason) for p in self.problems]
        return "| file | field | reason |\n|---|---|---|\n" + "\n".join(
            "| " + " | ".join(cell.replace("|", "\\|") for cell in row) + " |" for row in rows)


# Problems already logged by this process: the code location reads the folder once per
# definition that needs it (partitions, schedules, freshness), and sensors read it every tick.
_logged: set[str] = set()


def read_supplier_files(include_disabled: bool = False,
                        environ: dict[str, str] | None = None) -> SupplierFiles:
    """Every supplier file of SUPPLIERS_DIR, each on its own: a file that cannot be used is
    reported and skipped, never raised, so that it costs only its own supplier."""
    environ = dict(os.environ) if environ is None else environ
    by_name: dict[str, list[Path]] = {}
    for folder in supplier_dirs():
        for path in sorted(folder.glob("*.yaml")):
            by_name.setdefault(path.stem, []).append(path)
    configs: dict[str, SupplierConfig] = {}
    problems: list[FileProblem] = []
    for name, paths in by_name.items():
        if len(paths) > 1:  # which one is meant is a person's decision, so neither runs
            problems.extend(FileProblem(path, "id", f"{name!r} is also the id of "
                                        f"{', '.join(str(p) for p in paths if p != path)}; "
                                        "each is skipped until only one is left")
                            for path in paths)
            continue
        try:
            raw = _read(paths[0])
            # A disabled file is not expanded: its variables may be unset on purpose.
            if raw.get("enabled", True) is False and not include_disabled:
                continue
            config = _validate(paths[0], raw, environ)
        except SupplierConfigError as exc:
            problems.extend(exc.problems)
            continue
        if config.enabled or include_disabled:
            configs[config.id] = config
    for problem in problems:
        if str(problem) not in _logged:
            _logged.add(str(problem))
            log.warning("supplier file skipped: %s", problem)
    return SupplierFiles(configs, problems)


def load_suppliers(include_disabled: bool = False,
                   environ: dict[str, str] | None = None) -> dict[str, SupplierConfig]:
    """The suppliers that load; the skipped files are in `read_supplier_files`."""
    return read_supplier_files(include_disabled, environ).configs


def supplier_schedules() -> list[tuple[str, str, str]]:
    """(id, prices cron, catalog cron) of the enabled suppliers that load."""
    return [(c.id, c.schedule.prices_cron, c.schedule.catalog_cron)
            for c in load_suppliers().values()]


def supplier_ids() -> list[str]:
    """Enabled supplier ids that load (the static partitions)."""
    return [supplier_id for supplier_id, _, _ in supplier_schedules()]
