"""When a back-ordered offer is expected at the supplier, from what the shop shows: a date
("In arrivo il 15/12/2026", "Lieferbar ab 12.01.2027", "Available from 12 January 2027",
schema.org `availabilityStarts`) or a delay counted from the observation ("spedizione in 5-7
giorni", "Lieferzeit 3-5 Werktage", "ships in 2 weeks"), in the shops' languages (it, en, de,
fr, es).

The answer is a date, not a number of days: "in 5-7 days" seen on Monday still means the
following Monday when purchasing reads it on Thursday. Ordering needs the worst case, so a
range counts at its upper end, a month without a day at its last day, and of several dates
the latest. A date before the observation or more than a year after it is a stale page or a
placeholder ("31/12/2099"), not a plan: it is refused with the reason, never stored.
"""

from __future__ import annotations

import calendar
import math
import re
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime, timedelta

FURTHEST_DAYS = 365

# Month names and the abbreviations shops print, lower case without accents.
MONTH_NAMES = {
    1: ("gennaio", "gen", "january", "jan", "januar", "janner", "janvier", "janv", "enero",
        "ene"),
    2: ("febbraio", "feb", "february", "februar", "fevrier", "fevr", "fev", "febrero"),
    3: ("marzo", "mar", "march", "marz", "mrz", "mars"),
    4: ("aprile", "apr", "april", "avril", "avr", "abril", "abr"),
    5: ("maggio", "mag", "may", "mai", "mayo"),
    6: ("giugno", "giu", "june", "jun", "juni", "juin", "junio"),
    7: ("luglio", "lug", "july", "jul", "juli", "juillet", "juil", "julio"),
    8: ("agosto", "ago", "august", "aug", "aout"),
    9: ("settembre", "sett", "set", "september", "sept", "sep", "septembre", "septiembre",
        "setiembre"),
    10: ("ottobre", "ott", "october", "oct", "oktober", "okt", "octobre", "octubre"),
    11: ("novembre", "nov", "november", "noviembre"),
    12: ("dicembre", "dic", "december", "dec", "dezember", "dez", "decembre", "diciembre"),
}
MONTH_OF = {name: number for number, names in MONTH_NAMES.items() for name in names}
_MONTH = (r"(?<![a-z])(?P<month>" + "|".join(sorted(MONTH_OF, key=len, reverse=True))
          + r")\.?(?![a-z])")
_YEAR = r"(?P<year>\d{4})"
ISO_DATE = re.compile(r"(?<!\d)(?P<year>\d{4})-(?P<month>\d{1,2})-(?P<day>\d{1,2})(?!\d)")
# 15/12/2026, 12.01.2027, 15-12-26; without a year only 15/12 or 12.01. ("5-7" is a range)
NUMERIC_DATE = re.compile(
    r"(?<![\d.,/])(?P<a>\d{1,2})(?P<sep>[./-])(?P<b>\d{1,2})"
    r"(?:(?P=sep)(?P<year>\d{4}|\d{2})(?!\d)|(?P<dot>\.)(?!\d)|(?![\d/.,]))")
DAY_MONTH = re.compile(rf"(?<!\d)(?P<day>\d{{1,2}})(?:\.|°|o|er|st|nd|rd|th)?\s*(?:de\s+)?"
                       rf"{_MONTH}(?:\s*(?:de\s+|,\s*)?{_YEAR})?")
MONTH_DAY = re.compile(rf"{_MONTH}\s+(?P<day>\d{{1,2}})(?:st|nd|rd|th)?(?![\d])"
                       rf"(?:,?\s*{_YEAR})?")
MONTH_YEAR = re.compile(rf"{_MONTH}\s*(?:de\s+)?{_YEAR}")

# Small numbers shops write in words ("in a week", "entro due settimane"); an article is one.
NUMBER_WORDS = {
    **dict.fromkeys(("a", "an", "one", "un", "una", "uno", "ein", "eine", "einer", "einem",
                     "une"), 1),
    **dict.fromkeys(("two", "due", "zwei", "deux", "dos"), 2),
    **dict.fromkeys(("three", "tre", "drei", "trois", "tres"), 3),
    **dict.fromkeys(("four", "quattro", "vier", "quatre", "cuatro"), 4),
}
# unit -> its words; working days are tried before days ("giorni lavorativi" before "giorni")
UNIT_WORDS = {
    "working_days": ("giorni lavorativi", "gg lavorativi", "giorni feriali", "working days",
                     "working day", "business days", "business day", "werktagen", "werktage",
                     "werktag", "arbeitstagen", "arbeitstage", "jours ouvres", "jours ouvrables",
                     "dias habiles", "dias laborables"),
    "days": ("giorni", "giorno", "gg", "days", "day", "tagen", "tage", "tag", "jours", "jour",
             "dias", "dia"),
    "weeks": ("settimane", "settimana", "weeks", "week", "wks", "wk", "wochen", "woche",
              "semaines", "semaine", "semanas", "semana"),
    "months": ("mesi", "mese", "months", "month", "monaten", "monate", "monat", "mois",
               "meses", "mes"),
    "hours": ("ore", "hours", "hour", "hrs", "h", "stunden", "std", "heures", "heure",
              "horas", "hora"),
}
UNIT_OF = {word: unit for unit, words in UNIT_WORDS.items() for word in words}
_NUMBER = (r"(?:(?<![\d.,])\d{1,3}|(?<![a-z])(?:"
           + "|".join(sorted(NUMBER_WORDS, key=len, reverse=True)) + "))")
_TO = r"\s*(?:-|–|—|/|to|a|à|bis|e|y|et|und|and|o|or|oder|ou)\s*"
# "5-7 giorni", "3 bis 5 Werktage", "24/48h", "2 weeks", "una settimana"
DELAY = re.compile(rf"(?:(?P<low>{_NUMBER}){_TO})?(?P<high>{_NUMBER})\s*(?P<unit>"
                   + "|".join(sorted(UNIT_OF, key=len, reverse=True)) + r")(?![a-z])")


@dataclass(frozen=True)
class ExpectedDate:
    on: date | None
    problem: str | None = None


def expected_date(text: str | None, observed_at: datetime, locale: str = "en") -> ExpectedDate:
    """The day a back-order is expected at the supplier, from a stated date or a delay
    counted from `observed_at`; None (with a problem when one was refused) when none is
    shown. Numeric dates are day first (15/12/2026) except for locale en_US."""
    plain = _plain(text or "")
    if not plain:
        return ExpectedDate(None)
    observed = observed_at.date()
    delays = list(DELAY.finditer(plain))
    dates = _dates(plain, observed, locale, [m.span() for m in delays])
    if dates:
        return _within_a_year(max(dates), observed, "date")
    ends = [_after_delay(m, observed) for m in delays]
    return _within_a_year(max(ends), observed, "delay") if ends else ExpectedDate(None)


def _plain(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.lower().replace("ß", "ss"))
    return " ".join("".join(c for c in decomposed if not unicodedata.combining(c)).split())


def _within_a_year(on: date, observed: date, kind: str) -> ExpectedDate:
    if on < observed:
        return ExpectedDate(None, f"back-order {kind} {on} is before the observation "
                                  f"({observed}): ignored")
    if (on - observed).days > FURTHEST_DAYS:
        return ExpectedDate(None, f"back-order {kind} {on} is more than {FURTHEST_DAYS} "
                                  "days ahead: ignored")
    return ExpectedDate(on)


def _dates(plain: str, observed: date, locale: str,
           taken: list[tuple[int, int]]) -> list[date]:
    """Every date the text states, in order of precedence; a match overlapping one found
    earlier (or a delay: "5/7 giorni" is a range of days) is not another date."""
    month_first = locale.replace("-", "_").lower() == "en_us"
    found: list[date] = []
    for pattern in (ISO_DATE, DAY_MONTH, MONTH_DAY, MONTH_YEAR, NUMERIC_DATE):
        for match in pattern.finditer(plain):
            start, end = match.span()
            if any(start < other_end and other_start < end for other_start, other_end in taken):
                continue
            day = _date_of(match, pattern, observed, month_first)
            if day is not None:
                found.append(day)
                taken.append((start, end))
    return found


def _date_of(match: re.Match, pattern: re.Pattern, observed: date,
             month_first: bool) -> date | None:
    parts = match.groupdict()
    year = int(parts["year"]) if parts.get("year") else None
    if year is not None and year < 100:
        year += 2000
    if pattern is NUMERIC_DATE:
        if year is None and parts["sep"] == "-" or (
                year is None and parts["sep"] == "." and not parts["dot"]):
            return None  # "5-7" is a range, "12.50" a number
        a, b = int(parts["a"]), int(parts["b"])
        readings = [(b, a), (a, b)] if month_first else [(a, b), (b, a)]
        return next((d for day, month in readings
                     if (d := _on(year, month, day, observed)) is not None), None)
    month = int(parts["month"]) if pattern is ISO_DATE else MONTH_OF[parts["month"]]
    if pattern is MONTH_YEAR:  # "ab Januar 2027": by the end of the month at the latest
        return date(year, month, calendar.monthrange(year, month)[1])
    return _on(year, month, int(parts["day"]), observed)


def _on(year: int | None, month: int, day: int, observed: date) -> date | None:
    """The date, or None when there is no such day; without a year, the one nearest the
    observation (15 January seen in December is next year's, 15 December seen on the 20th is
    five days ago)."""
    try:
        if year is not None:
            return date(year, month, day)
        candidates = [date(observed.year + shift, month, day) for shift in (-1, 0, 1)
                      if (month, day) != (2, 29) or calendar.isleap(observed.year + shift)]
    except ValueError:
        return None
    return min(candidates, key=lambda d: abs((d - observed).days), default=None)


def _number(word: str) -> int:
    return int(word) if word.isdigit() else NUMBER_WORDS[word]


def _after_delay(match: re.Match, observed: date) -> date:
    """The end of the delay (its upper end: "5-7 giorni" is 7 days) counted from the day
    it was seen."""
    count = max(_number(match["high"]), _number(match["low"]) if match["low"] else 0)
    unit = UNIT_OF[match["unit"]]
    if unit == "working_days":
        return _add_working_days(observed, count)
    if unit == "months":
        month = observed.month - 1 + count
        year, month = observed.year + month // 12, month % 12 + 1
        return date(year, month, min(observed.day, calendar.monthrange(year, month)[1]))
    days = {"days": count, "weeks": 7 * count, "hours": math.ceil(count / 24)}[unit]
    return observed + timedelta(days=days)


def _add_working_days(start: date, count: int) -> date:
    day = start
    while count > 0:
        day += timedelta(days=1)
        count -= day.weekday() < 5
    return day
