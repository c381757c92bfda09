"""Dates keep the text's precision; relative expressions are resolved only against a publication date."""

import pytest

from kg.intake.dates import find_dates, parse_published, resolve


@pytest.mark.parametrize("text, value", [
    ("on 5 October 2009", "2009-10-05"),
    ("On March 3rd, 2021", "2021-03-03"),
    ("Issued 14. October 2019", "2019-10-14"),
    ("2024-02-16", "2024-02-16"),
    ("in June 2023", "2023-06"),
    ("(June 2023)", "2023-06"),
    ("renewed in 2014.", "2014"),
])
def test_absolute_dates_at_the_texts_precision(text, value):
    (mention,) = find_dates(text)
    assert (mention.value, mention.relative) == (value, False)


@pytest.mark.parametrize("text", ["earlier in July", "in September", "Aug. 2", "Today’s decision", "last week",
                                  "on Friday", "(in April last year)", "yesterday"])
def test_relative_dates_have_no_value(text):
    (mention,) = find_dates(text)
    assert mention.relative and mention.value is None


def test_an_impossible_date_is_no_date():
    assert [m.value for m in find_dates("on 31 February 2020")] == []


@pytest.mark.parametrize("text", ["tested in 2000 patients", "enrolled in 2019 adults", "given in 1995 doses",
                                  "seen in 2010 people"])
def test_a_number_before_what_it_counts_is_no_year(text):
    assert find_dates(text) == []


@pytest.mark.parametrize("text", ["approved in 2014.", "approved in 2014, after a review", "in 2014 was renewed"])
def test_a_year_after_in_is_a_year(text):
    assert [m.value for m in find_dates(text)] == ["2014"]


@pytest.mark.parametrize("text, published, value", [
    ("today", "2023-05-30", "2023-05-30"),
    ("yesterday", "2023-05-30", "2023-05-29"),
    ("on Friday", "2024-03-13", "2024-03-08"),
    ("(in April last year)", "2021-06-15", "2020-04"),
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
