"""Dates as an article writes them: each kept at the precision the text gives (a day, a month or a year, never
more), and relative expressions ("today", "in May last year", "on Friday") kept as words, resolved only
against a publication date that comes with the article.

>>> [(m.text, m.value) for m in find_dates("Filed on March 3rd, 2021, accepted in July 2021, renewed in 2016.")]
[('on March 3rd, 2021', '2021-03-03'), ('in July 2021', '2021-07'), ('in 2016', '2016')]
>>> [(m.text, m.value, m.relative) for m in find_dates("the panel meets on Oct. 9 to vote")]
[('on Oct. 9', None, True)]
>>> resolve(find_dates("approved in April last year")[0], "2021-06-15")
'2020-04'
"""

import datetime as dt
import re
from dataclasses import dataclass

MONTHS = {name: i + 1 for i, names in enumerate([
    ("january", "jan"), ("february", "feb"), ("march", "mar"), ("april", "apr"), ("may",), ("june", "jun"),
    ("july", "jul"), ("august", "aug"), ("september", "sep", "sept"), ("october", "oct"),
    ("november", "nov"), ("december", "dec")]) for name in names}
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")

_MONTH = r"(?P<month>" + "|".join(sorted(MONTHS, key=len, reverse=True)) + r")\.?"
_DAY = r"(?P<day>[0-3]?\d)(?:st|nd|rd|th)?"
_YEAR = r"(?P<year>(?:19|20)\d\d)"
_LEAD = r"(?:(?:[Oo]n|[Ii]n|[Bb]y|[Ss]ince|[Ff]rom|[Uu]ntil)\s+)?"
_WEEKDAY = r"(?P<weekday>" + "|".join(WEEKDAYS) + r")"
_TAIL = r"(?![\w-])"
# A number followed by what it counts ("in 2000 patients", "in 2019 adults") is a count, not a year: a plural
# noun, or a word for people, after it. Common words that end in "s" and are no plural are left out.
_NOT_PLURAL = ("was", "is", "has", "his", "its", "this", "as", "us", "plus", "thus", "versus", "whereas", "across",
               "perhaps", "always", "afterwards", "besides")
_COUNTED = (r"(?!\s+(?:(?!(?:" + "|".join(_NOT_PLURAL) + r")\b)[a-z]+s\b|people|children|men|women|adults?"
            r"|patients?|persons?|subjects?|participants?|individuals?|cases?|doses?))")

# Each pattern: (regex, precision, relative). Earlier patterns win where two overlap.
PATTERNS: list[tuple[re.Pattern, str, bool]] = [(re.compile(p, re.IGNORECASE), precision, relative) for p, precision,
                                                relative in [
    (r"\b" + _YEAR + r"-(?P<nmonth>[01]\d)-(?P<nday>[0-3]\d)\b", "day", False),
    (r"\b" + _LEAD + _DAY + r"\.?\s+" + _MONTH + r",?\s+" + _YEAR + r"\b", "day", False),
    (r"\b" + _LEAD + _MONTH + r"\s+" + _DAY + r",?\s+" + _YEAR + r"\b", "day", False),
    (r"\b" + _LEAD + _MONTH + r"\s+(?P<rel>last|this|next)\s+year\b", "month", True),
    (r"\b" + _LEAD + _MONTH + r",?\s+" + _YEAR + r"\b", "month", False),
    (r"\b" + _LEAD + _MONTH + r"\s+" + _DAY + _TAIL, "day", True),
    (r"\b" + _LEAD + _DAY + r"\s+" + _MONTH + _TAIL, "day", True),
    (r"\b(?:(?:earlier|later|early|late|mid)[- ])?(?:in|since|until|by)\s+" + _MONTH + _TAIL, "month", True),
    (r"\b(?:[Ii]n|[Ss]ince|[Uu]ntil|[Bb]y)\s+" + _YEAR + r"\b" + _COUNTED, "year", False),
    (r"(?<=\()" + _YEAR + r"(?=\))", "year", False),
    (r"\b(?P<word>today|yesterday|tomorrow)(?:['’]s)?\b", "day", True),
    (r"\b(?P<rel>last|this|next)\s+(?P<unit>week|month|year)\b", "", True),
    (r"\b(?:(?:on|last|this|next)\s+)" + _WEEKDAY + r"\b", "day", True),
]]


@dataclass(frozen=True)
class DateMention:
    start: int
    end: int
    text: str
    value: str | None  # YYYY-MM-DD, YYYY-MM or YYYY as written; None for a relative expression
    precision: str  # "day", "month", "year", or "" when the words name no calendar unit (e.g. "last week")
    relative: bool
    groups: tuple[tuple[str, str], ...] = ()


def find_dates(text: str, offset: int = 0) -> list[DateMention]:
    """Every date expression in `text`, in order, with offsets shifted by `offset`."""
    found: list[DateMention] = []
    taken: list[tuple[int, int]] = []
    for pattern, precision, relative in PATTERNS:
        for m in pattern.finditer(text):
            if any(m.start() < e and s < m.end() for s, e in taken):
                continue
            groups = {k: v for k, v in m.groupdict().items() if v is not None}
            value = None if relative else _value(groups, precision)
            taken.append((m.start(), m.end()))
            if not relative and value is None:
                continue  # no calendar date ("31 February 2020"), nor is any part of it ("February 2020")
            found.append(DateMention(m.start() + offset, m.end() + offset, m.group(), value, precision, relative,
                                     tuple(sorted(groups.items()))))
    return sorted(found, key=lambda d: d.start)


def _value(groups: dict[str, str], precision: str) -> str | None:
    year = int(groups["year"])
    if precision == "year":
        return f"{year:04d}"
    month = int(groups["nmonth"]) if "nmonth" in groups else MONTHS[groups["month"].lower()]
    if precision == "month":
        return f"{year:04d}-{month:02d}"
    day = int(groups["nday"] if "nday" in groups else groups["day"])
    try:
        return dt.date(year, month, day).isoformat()
    except ValueError:
        return None


def parse_published(text: str | None) -> str | None:
    """A publication date as a header or the command line writes it, as YYYY-MM-DD (or YYYY-MM, YYYY)."""
    if not text:
        return None
    mentions = [m for m in find_dates(text) if not m.relative]
    return mentions[0].value if mentions else None


def resolve(mention: DateMention, published: str | None) -> str | None:
    """The calendar date a relative expression stands for, counted from the publication date, at the precision
    the words give; None when there is no publication date, it is too coarse, or the words name no date."""
    if not mention.relative or not published:
        return None
    g = dict(mention.groups)
    parts = [int(p) for p in published.split("-")]
    year = parts[0]
    month = parts[1] if len(parts) > 1 else None
    day = dt.date(*parts) if len(parts) == 3 else None
    rel = g.get("rel", "").lower()
    shift = {"last": -1, "this": 0, "next": 1}.get(rel, 0)
    if "word" in g:
        if day is None:
            return None
        return (day + dt.timedelta(days={"today": 0, "yesterday": -1, "tomorrow": 1}[g["word"].lower()])).isoformat()
    if "weekday" in g:
        if day is None:
            return None
        back = (day.weekday() - WEEKDAYS.index(g["weekday"].lower())) % 7
        return (day - dt.timedelta(days=back)).isoformat()
    if "unit" in g:
        if g["unit"].lower() == "year":
            return f"{year + shift:04d}"
        if g["unit"].lower() == "month" and month is not None:
            index = year * 12 + (month - 1) + shift
            return f"{index // 12:04d}-{index % 12 + 1:02d}"
        return None  # a week is no calendar date
    if "month" in g:
        named = MONTHS[g["month"].lower()]
        if rel:
            return f"{year + shift:04d}-{named:02d}"
        if month is None:
            return None
        # A month or day without a year: the last such month up to the publication.
        in_year = year if named <= month else year - 1
        if "day" in g:
            try:
                return dt.date(in_year, named, int(g["day"])).isoformat()
            except ValueError:
                return None
        return f"{in_year:04d}-{named:02d}"
    return None
