"""Entity pages in a real browser: the Fucaso timeline draws the June 2023 decision as the whole month, a
product page passes axe-core, and every page loads nothing from elsewhere and raises no console error."""

import datetime as dt

import pytest

from tests.support.browser import axe, console_errors, foreign_requests, screenshot

FUCASO = "/id/product/equecabtagene-autoleucel"
MAINLAND = "https://w3id.org/ctkg/id/application/equecabtagene-autoleucel-mainland-china-bla"


def test_fucaso_timeline_draws_june_2023_as_a_month(site):
    _, open_page = site
    page = open_page(FUCASO)
    screenshot(page, "test_entity_pages_fucaso")
    month = page.locator(f'svg.timeline rect[data-key="{MAINLAND}"][data-precision="month"]')
    assert month.count() == 1 and month.is_visible()
    assert (month.get_attribute("data-start"), month.get_attribute("data-end")) == ("2023-06-01", "2023-06-30")
    # Drawn over the whole month: its width on screen is June's 30 days' share of the axis, from the first year
    # tick to the last (the mark's outline adds at most a pixel).
    width = month.bounding_box()["width"]
    ticks = sorted(page.eval_on_selector_all("svg.timeline line.tick",
                                             "lines => lines.map(l => l.getBoundingClientRect().x)"))
    years = [int(y) for y in page.locator("svg.timeline text.year").all_text_contents()]
    days = (dt.date(max(years) + 1, 1, 1) - dt.date(min(years), 1, 1)).days
    assert width == pytest.approx((ticks[-1] - ticks[0]) * 30 / days, abs=1.0)
    said = page.locator("svg.timeline text.mark-text", has_text="June 2023 (month)")
    assert said.count() == 1 and said.is_visible()
    # Hong Kong's approval relies on the NMPA's: an arrow from the later decision to the earlier one.
    arrow = page.locator(f'svg.timeline path.reliance[data-to="{MAINLAND}"]')
    assert arrow.count() == 1
    assert arrow.get_attribute("data-from").endswith("/equecabtagene-autoleucel-hk-bla")
    # Every decision is listed with its status in words, undated ones apart.
    assert page.locator("table.decisions tr.decision").count() >= 5
    assert page.locator("#undated").is_visible()
    assert foreign_requests(page) == [] and console_errors(page) == []


def test_product_page_passes_axe(site):
    _, open_page = site
    page = open_page(FUCASO)
    assert axe(page) == []


def test_a_result_link_leads_from_page_to_page(site):
    _, open_page = site
    page = open_page(FUCASO)
    page.get_by_role("link", name="IASO Biotherapeutics").first.click()
    page.wait_for_load_state("load")
    assert page.locator("h1").inner_text() == "IASO Biotherapeutics"
    assert page.locator("#products").is_visible()
    screenshot(page, "test_entity_pages_company")
    page.get_by_role("link", name="Department of Health (Hong Kong)").first.click()
    page.wait_for_load_state("load")
    assert page.locator("h1").inner_text() == "Department of Health (Hong Kong)"
    assert "accession 1 January 2016" in page.locator("ul.memberships").inner_text()
    screenshot(page, "test_entity_pages_authority")
    assert axe(page) == []
    assert foreign_requests(page) == [] and console_errors(page) == []
