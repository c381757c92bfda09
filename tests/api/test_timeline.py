"""The timeline of a product's decisions: each date drawn as the period it stands for, undated decisions apart,
reliance as an arrow from the later decision to the earlier, status in colour and words, every text escaped."""

import datetime as dt
import xml.etree.ElementTree as ET

import pytest

from api.timeline import LABEL_WIDTH, PLOT_WIDTH, Decision, period, svg, timeline

SVG = "{http://www.w3.org/2000/svg}"


def decision(key: str, date: str | None, jurisdiction: str = "Mainland China", status: str = "approved",
             **fields) -> Decision:
    return Decision(key=key, jurisdiction=jurisdiction, authority="NMPA", status=status, date=period(date), **fields)


def marks(drawing: str) -> dict[str, list[ET.Element]]:
    root = ET.fromstring(drawing)
    found: dict[str, list[ET.Element]] = {}
    for element in root.iter():
        if element.get("data-key"):
            found.setdefault(element.get("data-key"), []).append(element)
    return found


@pytest.mark.parametrize(("text", "start", "end", "precision", "label"), [
    ("2023-06-30", dt.date(2023, 6, 30), dt.date(2023, 6, 30), "day", "30 June 2023"),
    ("2023-06", dt.date(2023, 6, 1), dt.date(2023, 6, 30), "month", "June 2023 (month)"),
    ("2024-02", dt.date(2024, 2, 1), dt.date(2024, 2, 29), "month", "February 2024 (month)"),
    ("2023", dt.date(2023, 1, 1), dt.date(2023, 12, 31), "year", "2023 (year)"),
])
def test_a_date_stands_for_its_whole_period(text, start, end, precision, label):
    found = period(text)
    assert (found.start, found.end, found.precision, found.label, found.text) == (start, end, precision, label, text)


@pytest.mark.parametrize("text", ["2023-13", "2023-02-30", "June 2023", "23", ""])
def test_text_that_is_no_date_is_refused(text):
    with pytest.raises(ValueError):
        period(text)


def test_a_month_is_drawn_over_the_whole_month_and_labelled_so():
    line = timeline([decision("china", "2023-06"), decision("macao", "2025-03-14", jurisdiction="Macao SAR")])
    drawing = svg(line, "Decisions")
    (china,) = marks(drawing)["china"]
    assert china.tag == f"{SVG}rect" and china.get("data-precision") == "month"
    # The axis runs from 1 January 2023 to 1 January 2026: June is 30 of its 1,096 days, from day 151.
    assert float(china.get("width")) == pytest.approx(PLOT_WIDTH * 30 / 1096, abs=0.01)
    assert float(china.get("x")) == pytest.approx(LABEL_WIDTH + PLOT_WIDTH * 151 / 1096, abs=0.01)
    texts = [t.text for t in ET.fromstring(drawing).iter(f"{SVG}text")]
    assert "Approved, June 2023 (month)" in texts and "Approved, 14 March 2025" in texts
    (macao,) = marks(drawing)["macao"]
    assert macao.tag == f"{SVG}polygon" and macao.get("data-precision") == "day"


def test_a_year_is_drawn_over_the_whole_year():
    (mark,) = marks(svg(timeline([decision("kymriah", "2018")]), "Decisions"))["kymriah"]
    assert float(mark.get("x")) == pytest.approx(LABEL_WIDTH) and float(mark.get("width")) == pytest.approx(PLOT_WIDTH)
    assert mark.find(f"{SVG}title").text == "Approved, 2018 (year), NMPA"


def test_each_precision_a_source_gives_is_drawn():
    both = decision("china", "2023-06-30", stated=(period("2023-06"), period("2023-06-30")))
    assert both.when == "30 June 2023 / June 2023 (month)"
    drawn = marks(svg(timeline([both]), "Decisions"))["china"]
    assert sorted(m.get("data-precision") for m in drawn) == ["day", "month"]


def test_undated_decisions_are_listed_apart_not_drawn():
    line = timeline([decision("china", "2023-06"), decision("hong-kong", None, jurisdiction="Hong Kong SAR"),
                     decision("singapore", None, jurisdiction="Singapore", status="under-review")])
    assert [d.key for d in line.undated] == ["hong-kong", "singapore"]
    assert [d.key for d in line.dated] == ["china"]
    assert set(marks(svg(line, "Decisions"))) == {"china"}
    assert svg(timeline([decision("hong-kong", None)]), "Decisions") == ""


def test_lanes_are_jurisdictions_in_the_order_of_their_first_decision():
    line = timeline([decision("b", "2024-01-01", jurisdiction="Japan"), decision("a", "2020", jurisdiction="EU"),
                     decision("c", "2019-05", jurisdiction="Japan")])
    assert [(lane.jurisdiction, [d.key for d in lane.decisions]) for lane in line.lanes] == [
        ("Japan", ["c", "b"]), ("EU", ["a"])]


def test_reliance_is_an_arrow_from_the_later_decision_to_the_one_it_relies_on():
    line = timeline([decision("china", "2023-06"),
                     decision("hong-kong", "2025-11", jurisdiction="Hong Kong SAR", relies_on="china"),
                     decision("macao", None, jurisdiction="Macao SAR", relies_on="china")])
    root = ET.fromstring(svg(line, "Decisions"))
    (arrow,) = [p for p in root.iter(f"{SVG}path") if p.get("class") == "reliance"]
    assert (arrow.get("data-from"), arrow.get("data-to")) == ("hong-kong", "china")
    assert arrow.get("marker-end") == "url(#arrow)"
    assert "relies on" in arrow.find(f"{SVG}title").text
    # The path starts at the later decision's mark and ends at the earlier one's.
    start_x = float(arrow.get("d").split()[1])
    end_x = float(arrow.get("d").split()[-2])
    (hong_kong,) = marks(ET.tostring(root, encoding="unicode"))["hong-kong"]
    assert start_x == pytest.approx(float(hong_kong.get("x"))) and end_x < start_x


def test_status_is_in_colour_and_in_words():
    drawing = svg(timeline([decision("x", "2020-01-01", status="rejected")]), "Decisions")
    (mark,) = marks(drawing)["x"]
    assert "status-rejected" in mark.get("class").split()
    assert any(t.text == "Rejected, 1 January 2020" for t in ET.fromstring(drawing).iter(f"{SVG}text"))


def test_every_text_is_escaped():
    hostile = '<script>alert(1)</script> "onmouseover=alert(2)'
    drawing = svg(timeline([decision("x", "2020", jurisdiction=hostile)]), hostile)
    assert "<script>" not in drawing and "&lt;script&gt;" in drawing
    root = ET.fromstring(drawing)  # well-formed: no attribute was broken out of
    assert root.find(f"{SVG}title").text == hostile
    assert hostile in [t.text for t in root.iter(f"{SVG}text")]
