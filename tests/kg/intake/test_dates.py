"""Dates keep the text's precision; relative expressions are resolved only against a publication date."""

import pytest

from kg.intake.dates import find_dates, parse_published, resolve


@pytest.mark.parametrize("text, value", [
    ("on 5 October 2009", "2009-10-05"),
    ("On November 8th, 2023", "2023-11-08"),
    ("Published 11. September 2018", "2018-09-11"),
    ("2024-02-16", "2024-02-16"),
    ("in June 2023", "2023-06"),
    ("(June 2023)", "2023-06"),
    ("renewed in 2014.", "2014"),
])
def test_absolute_dates_at_the_texts_precision(text, value):
    (mention,) = find_dates(text)
    assert (mention.value, mention.relative) == (value, False)


@pytest.mark.parametrize("text", ["earlier in July", "in September", "Aug. 2", "Today’s submission", "last week",
                                  "on Friday", "[in May last year]", "yesterday"])
def test_relative_dates_have_no_value(text):
    (mention,) = find_dates(text)
    assert mention.relative and mention.value is None


def test_an_impossible_date_is_no_date():
    assert find_dates("on 31 February 2020") == [] or all(m.value != "2020-02-31" for m in find_dates(
        "on 31 February 2020"))


@pytest.mark.parametrize("text, published, value", [
    ("today", "2023-05-30", "2023-05-30"),
    ("yesterday", "2023-05-30", "2023-05-29"),
    ("on Friday", "2024-03-13", "2024-03-08"),
    ("[in May last year]", "2023-05-30", "2022-05"),
    ("earlier in July", "2018-09-11", "2018-07"),
    ("in September", "2018-03-01", "2017-09"),
    ("last year", "2023-05-30", "2022"),
    ("last month", "2023-01-15", "2022-12"),
    ("last week", "2023-05-30", None),
    ("on Friday", None, None),
    ("on Friday", "2023-05", None),  # a month's date cannot place a weekday
])
def test_resolving_against_the_publication_date(text, published, value):
    (mention,) = find_dates(text)
    assert resolve(mention, published) == value


def test_publication_dates_as_headers_write_them():
    assert parse_published("30 May 2023") == "2023-05-30"
    assert parse_published("not shown") is None
    assert parse_published(None) is None
