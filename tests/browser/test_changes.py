"""What's new in a real browser: the page lists a decision, the feed it links to parses as Atom with it."""

import feedparser

from tests.support.browser import axe, console_errors, foreign_requests, screenshot


def test_the_page_and_its_feed_list_a_decision(site):
    _, open_page = site
    page = open_page("/changes?since=2023-01-01")
    screenshot(page, "test_changes")
    decisions = page.locator("tr.change-decision")
    assert decisions.count() >= 1
    listed = page.locator("table.changes").inner_text()
    assert "Approved: equecabtagene autoleucel in Macao SAR (March 2025 (month))" in listed
    feed_url = page.get_by_role("link", name="Atom feed").first.get_attribute("href")
    feed = feedparser.parse(page.request.get(feed_url + "?since=2023-01-01").body())
    assert not feed.bozo and feed.version == "atom10"
    assert any(entry.title.startswith("Approved: equecabtagene autoleucel") for entry in feed.entries)
    assert axe(page) == []
    assert foreign_requests(page) == [] and console_errors(page) == []
