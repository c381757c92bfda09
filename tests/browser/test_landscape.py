"""/landscape in a real browser: the cell for Fucaso in Hong Kong SAR, the filters, and axe-core."""

from tests.support.browser import axe, console_errors, foreign_requests, screenshot

FUCASO = "equecabtagene autoleucel"


def cell(page, product: str, jurisdiction: str) -> dict | None:
    """The landscape's cell in the row of `product` and the column of `jurisdiction`: its text and status."""
    return page.evaluate(r"""([product, jurisdiction]) => {
        const table = document.querySelector("table.landscape");
        const column = [...table.tHead.rows[0].cells].findIndex(c => c.innerText.trim() === jurisdiction);
        const row = [...table.tBodies[0].rows].find(r => r.cells[0].innerText.trim() === product);
        if (column < 0 || !row) return null;
        const cell = row.cells[column];
        return {text: cell.innerText.trim().replace(/\s+/g, " "), status: cell.dataset.status || null};
    }""", [product, jurisdiction])


def test_fucaso_in_hong_kong(site):
    _, open_page = site
    page = open_page("/landscape")
    screenshot(page, "test_landscape")
    # data/reference/cell-therapy-approvals.yaml, equecabtagene-autoleucel-hk-bla: approved, dated to the month of
    # its announcement (2025-11-27); the seed article gives no date.
    assert cell(page, FUCASO, "Hong Kong SAR") == {"text": "Approved 2025-11 (month)", "status": "approved"}
    assert foreign_requests(page) == [] and console_errors(page) == []


def test_filters_by_form(site):
    _, open_page = site
    page = open_page("/landscape")
    page.select_option("#target", label="BCMA")
    page.select_option("#pics", value="participant")
    page.get_by_role("button", name="Show").click()
    page.wait_for_load_state("load")
    assert "target=bcma" in page.url and "pics=participant" in page.url
    assert cell(page, FUCASO, "Hong Kong SAR")["status"] == "approved"  # DH, through PPBHK since 2016
    china = cell(page, FUCASO, "Mainland China")  # NMPA takes no part in PIC/S: no column, or an empty cell
    assert china is None or china["status"] is None
    screenshot(page, "test_landscape_filtered")


def test_landscape_passes_axe(site):
    _, open_page = site
    page = open_page("/landscape")
    assert axe(page) == []
