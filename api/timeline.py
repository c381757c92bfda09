"""A product's decisions as a timeline: the model (the decisions by jurisdiction, each date as the period it
stands for) and its drawing as SVG.

A date is as precise as its source: `2023-06-30` is drawn as that day, `2023-06` as the whole of June 2023
and labelled "June 2023 (month)", `2023` as the whole year. A decision with no date has no place on a time
axis, so it is listed apart (`Timeline.undated`), never placed at a guessed date. A reliance decision is
joined to the decision it relies on by an arrow from the later to the earlier, when both are dated. Status
is carried by colour (a CSS class of the page's stylesheet) and by text beside each mark.

The SVG is written with `xml.etree.ElementTree`, which escapes every text and attribute value.

    >>> period("2023-06").label
    'June 2023 (month)'
    >>> period("2023-06").end
    datetime.date(2023, 6, 30)
"""

import calendar
import datetime as dt
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field

MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
          "November", "December")
STATUS_TEXT = {"approved": "Approved", "under-review": "Under review", "rejected": "Rejected",
               "withdrawn": "Withdrawn"}

# Geometry, in SVG user units.
LABEL_WIDTH = 200  # the jurisdiction names on the left
PLOT_WIDTH = 560
TEXT_ROOM = 220  # right of the plot, for the text of a mark near the end of the axis
CHAR_WIDTH = 6.6  # about the width of a character of the 12px sans-serif the stylesheet sets
AXIS_HEIGHT = 34
ROW_HEIGHT = 30
BAR_HEIGHT = 14
DAY_MARK = 5  # half the width of the diamond that marks a day


@dataclass(frozen=True)
class Period:
    """What a date stands for: its first and last day (inclusive) and its precision."""

    text: str  # as the source gives it: YYYY, YYYY-MM or YYYY-MM-DD
    start: dt.date
    end: dt.date
    precision: str  # "day", "month" or "year"

    @property
    def label(self) -> str:
        """'30 June 2023', 'June 2023 (month)' or '2023 (year)': the precision said in words."""
        if self.precision == "day":
            return f"{self.start.day} {MONTHS[self.start.month - 1]} {self.start.year}"
        if self.precision == "month":
            return f"{MONTHS[self.start.month - 1]} {self.start.year} (month)"
        return f"{self.start.year} (year)"


    @property
    def compact(self) -> str:
        """'2023-06-30', '2023-06 (month)' or '2023 (year)': short, its precision said."""
        return self.text if self.precision == "day" else f"{self.text} ({self.precision})"


def period(text: str | None) -> Period | None:
    """The period a decision date stands for; None for no date. ValueError for text that is no date.

    >>> period("2023").start, period("2023").end
    (datetime.date(2023, 1, 1), datetime.date(2023, 12, 31))
    """
    if text is None:
        return None
    if re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", text):
        day = dt.date.fromisoformat(text)
        return Period(text, day, day, "day")
    if re.fullmatch(r"[0-9]{4}-[0-9]{2}", text):
        year, month = int(text[:4]), int(text[5:])
        first = dt.date(year, month, 1)
        return Period(text, first, first.replace(day=calendar.monthrange(year, month)[1]), "month")
    if re.fullmatch(r"[0-9]{4}", text):
        return Period(text, dt.date(int(text), 1, 1), dt.date(int(text), 12, 31), "year")
    raise ValueError(f"{text!r} is not a date written YYYY, YYYY-MM or YYYY-MM-DD")


@dataclass(frozen=True)
class Decision:
    """One application's decision as the timeline shows it."""

    key: str  # the application's IRI
    jurisdiction: str
    authority: str
    status: str  # approved, under-review, rejected or withdrawn
    date: Period | None
    relies_on: str | None = None  # the key of the decision this one relies on
    kind: str | None = None  # the application's type (BLA, NDA...)
    stated: tuple[Period, ...] = ()  # every date the sources give it, when they differ in precision

    @property
    def periods(self) -> tuple[Period, ...]:
        """The dates drawn for it: each date a source gives, the most precise first (its `date` alone when the
        sources agree)."""
        given = {p.text: p for p in (*self.stated, *((self.date,) if self.date else ()))}
        return tuple(sorted(given.values(), key=lambda p: (p.end - p.start, p.start)))

    @property
    def status_text(self) -> str:
        return STATUS_TEXT.get(self.status, self.status)

    @property
    def when(self) -> str:
        """Its dates in words, the most precise first: '30 June 2023 / June 2023 (month)'."""
        return " / ".join(p.label for p in self.periods) or "no date"

    @property
    def short(self) -> str:
        """What the text beside the mark says: status, and the dates with their precision."""
        return f"{self.status_text}, {self.when}"

    @property
    def summary(self) -> str:
        """What the mark says: status, dates with their precision, authority."""
        return f"{self.status_text}, {self.when}, {self.authority}"


@dataclass(frozen=True)
class Lane:
    jurisdiction: str
    decisions: tuple[Decision, ...]  # dated, in date order


@dataclass(frozen=True)
class Timeline:
    lanes: tuple[Lane, ...]  # jurisdictions in the order of their first decision
    undated: tuple[Decision, ...]  # decisions no source dates, listed apart
    by_key: dict[str, Decision] = field(default_factory=dict)

    @property
    def dated(self) -> list[Decision]:
        return [d for lane in self.lanes for d in lane.decisions]

    def reliances(self) -> list[tuple[Decision, Decision]]:
        """(later decision, the decision it relies on), for each reliance whose two ends are dated."""
        return [(d, self.by_key[d.relies_on]) for d in self.dated
                if d.relies_on in self.by_key and self.by_key[d.relies_on].date is not None]


def timeline(decisions: list[Decision]) -> Timeline:
    """The decisions laid out: dated ones by jurisdiction, in date order; undated ones apart."""
    dated = sorted((d for d in decisions if d.date), key=lambda d: (d.date.start, d.date.end, d.key))
    lanes: dict[str, list[Decision]] = {}
    for decision in dated:
        lanes.setdefault(decision.jurisdiction, []).append(decision)
    undated = sorted((d for d in decisions if not d.date), key=lambda d: (d.jurisdiction, d.authority, d.key))
    return Timeline(tuple(Lane(j, tuple(ds)) for j, ds in lanes.items()), tuple(undated),
                    {d.key: d for d in decisions})


@dataclass(frozen=True)
class Axis:
    """Years from the first decision's to the last one's, mapped onto the plot."""

    first: dt.date  # 1 January of the first year
    after: dt.date  # 1 January of the year after the last

    @classmethod
    def of(cls, decisions: list[Decision]) -> "Axis":
        periods = [p for d in decisions for p in d.periods]
        return cls(dt.date(min(p.start.year for p in periods), 1, 1),
                   dt.date(max(p.end.year for p in periods) + 1, 1, 1))

    def x(self, day: dt.date) -> float:
        """The x of the start of `day`."""
        return LABEL_WIDTH + PLOT_WIDTH * (day - self.first).days / (self.after - self.first).days

    def span(self, p: Period) -> tuple[float, float]:
        """The x range a period covers: from the start of its first day to the end of its last."""
        return self.x(p.start), self.x(p.end + dt.timedelta(days=1))

    def years(self) -> range:
        return range(self.first.year, self.after.year)


def _number(value: float) -> str:
    return f"{value:.2f}".rstrip("0").rstrip(".")


def svg(line: Timeline, title: str) -> str:
    """The dated decisions as an SVG image: a row per decision, grouped by jurisdiction, a mark per date (a
    diamond for a day, a bar over the whole month or year otherwise), the status in colour and in words,
    and an arrow from each reliance decision to the one it relies on. Empty text when nothing is dated."""
    decisions = line.dated
    if not decisions:
        return ""
    axis = Axis.of(decisions)
    height = AXIS_HEIGHT + ROW_HEIGHT * len(decisions) + 8
    width = LABEL_WIDTH + PLOT_WIDTH + TEXT_ROOM
    root = ET.Element("svg", {"xmlns": "http://www.w3.org/2000/svg", "class": "timeline", "role": "img",
                              "viewBox": f"0 0 {width} {height}", "width": str(width), "height": str(height),
                              "aria-labelledby": "timeline-title timeline-desc"})
    ET.SubElement(root, "title", {"id": "timeline-title"}).text = title
    ET.SubElement(root, "desc", {"id": "timeline-desc"}).text = "; ".join(
        f"{d.jurisdiction}: {d.summary}" for d in decisions)
    defs = ET.SubElement(root, "defs")
    marker = ET.SubElement(defs, "marker", {"id": "arrow", "viewBox": "0 0 10 10", "refX": "9", "refY": "5",
                                            "markerWidth": "7", "markerHeight": "7", "orient": "auto-start-reverse"})
    ET.SubElement(marker, "path", {"d": "M 0 0 L 10 5 L 0 10 z", "class": "arrow-head"})

    axis_group = ET.SubElement(root, "g", {"class": "axis"})
    for year in axis.years():
        x = _number(axis.x(dt.date(year, 1, 1)))
        ET.SubElement(axis_group, "line", {"x1": x, "x2": x, "y1": str(AXIS_HEIGHT - 6), "y2": str(height),
                                           "class": "tick"})
        ET.SubElement(axis_group, "text", {"x": _number(axis.x(dt.date(year, 7, 1))), "y": str(AXIS_HEIGHT - 12),
                                           "class": "year"}).text = str(year)
    end = _number(axis.x(axis.after))
    ET.SubElement(axis_group, "line", {"x1": end, "x2": end, "y1": str(AXIS_HEIGHT - 6), "y2": str(height),
                                       "class": "tick"})

    centre: dict[str, tuple[float, float, float]] = {}  # key -> (left, right, y) of its mark
    row = 0
    for index, lane in enumerate(line.lanes):
        top = AXIS_HEIGHT + ROW_HEIGHT * row
        group = ET.SubElement(root, "g", {"class": f"lane lane-{index % 2}"})
        ET.SubElement(group, "rect", {"x": "0", "y": str(top), "width": str(LABEL_WIDTH + PLOT_WIDTH),
                                      "height": str(ROW_HEIGHT * len(lane.decisions)), "class": "band"})
        ET.SubElement(group, "text", {"x": "6", "y": str(top + ROW_HEIGHT // 2 + 5),
                                      "class": "jurisdiction"}).text = lane.jurisdiction
        for decision in lane.decisions:
            y = AXIS_HEIGHT + ROW_HEIGHT * row + ROW_HEIGHT / 2
            spans = [_mark(group, axis, decision, period, y) for period in reversed(decision.periods)]
            left, right = min(a for a, _ in spans), max(b for _, b in spans)
            centre[decision.key] = (left, right, y)
            # Right of the mark where it fits in the image, else left of it.
            text = ET.SubElement(group, "text", {"x": _number(right + 6), "y": _number(y + 4), "class": "mark-text"})
            text.text = decision.short
            if right + 6 + CHAR_WIDTH * len(decision.short) > width:
                text.set("x", _number(left - 6))
                text.set("text-anchor", "end")
            row += 1
    for later, earlier in line.reliances():
        x1, _, y1 = centre[later.key]
        _, x2, y2 = centre[earlier.key]
        bend = _number(min(x1, x2) - 24)
        path = ET.SubElement(root, "path", {
            "d": f"M {_number(x1)} {_number(y1)} C {bend} {_number(y1)}, {bend} {_number(y2)}, "
                 f"{_number(x2)} {_number(y2)}",
            "class": "reliance", "marker-end": "url(#arrow)",
            "data-from": later.key, "data-to": earlier.key})
        ET.SubElement(path, "title").text = f"{later.summary} relies on {earlier.summary}"
    return ET.tostring(root, encoding="unicode")


def _mark(parent: ET.Element, axis: Axis, decision: Decision, date: Period, y: float) -> tuple[float, float]:
    """Draw one date of a decision (a bar behind, for a month or year; a diamond for a day); returns the x range
    the mark covers."""
    attributes = {"class": f"mark status-{decision.status} precision-{date.precision}",
                  "data-key": decision.key, "data-precision": date.precision,
                  "data-start": date.start.isoformat(), "data-end": date.end.isoformat()}
    left, right = axis.span(date)
    if date.precision == "day":
        middle = (left + right) / 2
        left, right = middle - DAY_MARK, middle + DAY_MARK
        points = [(middle, y - DAY_MARK - 2), (right, y), (middle, y + DAY_MARK + 2), (left, y)]
        mark = ET.SubElement(parent, "polygon", {**attributes,
                                                 "points": " ".join(f"{_number(a)},{_number(b)}" for a, b in points)})
    else:
        mark = ET.SubElement(parent, "rect", {**attributes, "x": _number(left), "y": _number(y - BAR_HEIGHT / 2),
                                              "width": _number(right - left), "height": str(BAR_HEIGHT)})
    ET.SubElement(mark, "title").text = f"{decision.status_text}, {date.label}, {decision.authority}"
    return left, right
