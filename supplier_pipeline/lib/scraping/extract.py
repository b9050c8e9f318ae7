"""Read configured fields from HTML with CSS selectors tried in order (first match wins)."""

from __future__ import annotations

import re
import threading
from collections import deque
from dataclasses import dataclass, field
from functools import lru_cache

import lxml.html
from lxml import etree
from parsel import Selector
from parsel.csstranslator import HTMLTranslator

from supplier_pipeline.lib.scraping.transport import PageText
from supplier_pipeline.lib.suppliers.config import FieldRule


@dataclass(frozen=True)
class Extracted:
    value: str | None
    matched: str | None  # the selector that produced the value, None when none did
    # The element its first text or attribute was read from: what a page writes beside a
    # value (a price's VAT label) is looked for from there, without a second search.
    element: etree._Element | None = field(default=None, compare=False, repr=False)


def clean(text: str) -> str:
    return " ".join(text.split())


# cssselect tests an attribute (a class, an id, an href) on every element a step reaches
# (`*[@class and contains(@class, 'x') and contains(concat(' ', normalize-space(@class), ' '),
# ' x ')]`, `a[@href and contains(@href, 'x')]`), and libxml2 spends some 3,000 instructions
# on each: a millisecond a 60 KB page for a product page's few rules. Reached through the
# attribute instead (`*/@class[contains(., 'x')]/parent::*[the same test]`,
# `a/@href[contains(., 'x')]/parent::*`), the test runs only on elements that carry the
# attribute, and the full one only where it holds the text: the same elements in the same
# order, in half the time. A step with more to it (several tests, a position) is left as
# cssselect wrote it.
_STEP = r"(?P<step>[\w-]+|\*)\["
_ATTRIBUTE = r"@(?P<name>[\w-]+)"
_WORD_STEP = re.compile(_STEP + _ATTRIBUTE + r" and contains\(@(?P=name), '(?P<text>[^']+)'\) and "
                        r"(?P<word>contains\(concat\(' ', normalize-space\(@(?P=name)\), ' '\), "
                        r"' (?P=text) '\))\](?!\[)")
_TEXT_STEP = re.compile(_STEP + _ATTRIBUTE + r" and (?P<test>contains|starts-with)\(@(?P=name), "
                        r"(?P<text>'[^']+')\)\](?!\[)")
_EQUAL_STEP = re.compile(_STEP + _ATTRIBUTE + r" = (?P<text>'[^']*')\](?!\[)")


def _by_attribute(xpath: str) -> str:
    xpath = _WORD_STEP.sub(r"\g<step>/@\g<name>[contains(., '\g<text>')]/parent::*[\g<word>]",
                           xpath)
    xpath = _TEXT_STEP.sub(r"\g<step>/@\g<name>[\g<test>(., \g<text>)]/parent::*", xpath)
    return _EQUAL_STEP.sub(r"\g<step>/@\g<name>[. = \g<text>]/parent::*", xpath)


@lru_cache(maxsize=1024)
def _compiled(css: str) -> etree.XPath:
    """A selector (with parsel's ::text and ::attr()) compiled once: every listing row and
    product page runs the same few, and parsel would build a Selector for every match."""
    return etree.XPath(_by_attribute(HTMLTranslator().css_to_xpath(css)))


_local = threading.local()  # each thread's HTML parser and last few (text, tree) pairs


def html_tree(html: str | bytes) -> Selector:
    """A page's tree, always read as HTML: parsel would take a page that opens with an `<?xml`
    prolog (XHTML) for XML, where no selector finds an element in the XHTML namespace, and
    would try every page as JSON first.

    One parser per thread (lxml's parsers are not shared between threads), without the table
    of `id` attributes that only XPath's id() reads (cssselect writes `#x` as `@id = 'x'`): a
    sixth less CPU than parsel's own parse of a 60 KB page. NUL bytes are dropped and an empty
    page is an empty document, as parsel does."""
    parser = getattr(_local, "parser", None)
    if parser is None:
        parser = _local.parser = lxml.html.HTMLParser(recover=True, encoding="utf-8",
                                                      huge_tree=True, collect_ids=False)
    body = html.encode("utf-8", "replace") if isinstance(html, str) else html
    root = etree.fromstring(body.replace(b"\x00", b"").strip() or b"<html/>", parser=parser)
    if root is None:  # what lxml makes of a document of nothing but a comment, say
        root = etree.fromstring(b"<html/>", parser=parser)
    return Selector(root=root, type="html")


def parsed(html: str) -> Selector:
    """The page's tree (html_tree), parsed once for all who read it: a product page's text
    goes from the session's logged-in check to its layered fields and its variations, and a
    60 KB page takes a millisecond to parse. Readers never change the tree. A response's text
    (transport.PageText) keeps its tree, parsed from the UTF-8 bytes it was decoded from
    rather than from the text encoded again; any other text is recognised by identity among
    the thread's last few (hashing 60 KB of text would cost a tenth of the parse)."""
    if isinstance(html, PageText):
        if html.tree is None:
            html.tree = html_tree(html.utf8 or html)
        return html.tree
    recent = getattr(_local, "pages", None)
    if recent is None:
        recent = _local.pages = deque(maxlen=4)
    for text, page in recent:
        if text is html:
            return page
    page = html_tree(html)
    recent.append((html, page))
    return page


def _text(item: str | etree._Element) -> str:
    return item if isinstance(item, str) else Selector(root=item).get()


def _element(item: str | etree._Element) -> etree._Element | None:
    """The element a match is or belongs to (a text or an attribute is lxml's smart string,
    which knows it; a tail text belongs to its element's parent)."""
    if not isinstance(item, str):
        return item
    parent = item.getparent()
    return parent.getparent() if item.is_tail and parent is not None else parent


def _texts(node: Selector, css: str) -> list[str]:
    return [_text(item) for item in _compiled(css)(node.root)]


def first_match(node: Selector, css: str) -> str | None:
    """The selector's first match, as parsel's `.css(css).get()` gives it, but compiled once."""
    found = _texts(node, css)
    return found[0] if found else None


def extract_field(node: Selector, rule: FieldRule) -> Extracted:
    for css in rule.css:
        found = _compiled(css)(node.root)
        texts = [clean(_text(item)) for item in found]
        value = clean(" ".join(t for t in texts if t))
        if not value:
            continue
        if rule.regex:
            match = re.search(rule.regex, value)
            if not match:
                continue
            value = match.group(1) if match.groups() else match.group(0)
        first = next(item for item, text in zip(found, texts, strict=True) if text)
        return Extracted(value, css, _element(first))
    return Extracted(None, None)


def extract_fields(node: Selector, rules: dict[str, FieldRule]) -> dict[str, Extracted]:
    return {name: extract_field(node, rule) for name, rule in rules.items()}
