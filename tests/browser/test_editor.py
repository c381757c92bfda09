"""The SPARQL editor at / in a real browser (headless Chromium) against a real `ctkg serve` of all of data/: it
loads with nothing from elsewhere, an example runs and shows its rows, a result links to its entity page, the
keyboard alone reaches Run, the API's message is shown for a bad query and for a bad value, the URL reproduces
the query, the answer downloads as CSV and JSON (a graph as Turtle), and axe-core finds no serious or critical
violation."""

import csv
import io
import json
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
from rdflib import Graph

from tests.support.browser import axe, console_errors, foreign_requests, screenshot

PRODUCT = "id:product/equecabtagene-autoleucel"
PRODUCT_IRI = "https://w3id.org/ctkg/id/product/equecabtagene-autoleucel"
# The seed article's decisions on Fucaso (README, competency questions): one row each.
FUCASO_JURISDICTIONS = {"Mainland China", "Macao SAR", "Hong Kong SAR", "Saudi Arabia", "Singapore"}
MAX_TABS = 80  # more stops than the page has before Run: a keyboard trap fails the test instead of looping


def editor_text(page) -> str:
    return page.evaluate("() => document.querySelector('.CodeMirror').CodeMirror.getValue()")


def opened(open_page, path: str = "/"):
    page = open_page(path)
    page.wait_for_selector(".CodeMirror")  # YASQE has replaced the textarea
    return page


def column(page, name: str) -> list[str]:
    """The texts of one column of the results table."""
    return page.evaluate("""name => {
        const names = [...document.querySelectorAll('#results-table thead th')].map(th => th.textContent);
        const at = names.indexOf(name);
        return [...document.querySelectorAll('#results-table tbody tr')].map(tr => tr.children[at].textContent);
    }""", name)


def run_fucaso_decisions(page) -> None:
    """Load the question "Decisions by product", bind Fucaso through its form, and run it."""
    page.click("button[data-example='decisions-by-product']")
    page.wait_for_selector("#parameter-product")
    page.fill("#parameter-product", PRODUCT)
    page.click("#bind")
    # The bound text names the product's IRI; the unbound one does not (it may say VALUES, in a comment).
    page.wait_for_function("iri => document.querySelector('.CodeMirror').CodeMirror.getValue().includes(iri)",
                           arg=f"<{PRODUCT_IRI}>")
    page.click("#run")
    page.wait_for_selector("#results-table tbody tr")


def test_the_editor_loads_from_this_origin_alone(site, request):
    server, open_page = site
    page = opened(open_page)
    assert page.title() == "SPARQL editor · CTKG"
    examples = page.locator("button.example")
    assert examples.count() == httpx.get(server.base + "/examples").json()["count"] > 10
    assert "SELECT" in editor_text(page)
    # Syntax highlighting: YASQE has tokenised the query.
    assert page.locator(".CodeMirror .cm-keyword").count() > 0
    screenshot(page, request.node.name)
    assert foreign_requests(page) == []
    assert console_errors(page) == []


def test_an_example_runs_and_its_iris_open_their_entity_pages(site, request):
    _, open_page = site
    page = opened(open_page)
    run_fucaso_decisions(page)
    assert set(column(page, "jurisdictionLabel")) == FUCASO_JURISDICTIONS
    assert page.inner_text("#results-table caption").startswith("5 rows in ")
    assert page.inner_text("#status").startswith("5 rows in ")
    screenshot(page, request.node.name)
    link = page.locator("#results-table tbody a", has_text=PRODUCT).first
    assert link.get_attribute("href") == "id/product/equecabtagene-autoleucel"
    with page.expect_navigation():
        link.click()
    assert urlsplit(page.url).path == "/id/product/equecabtagene-autoleucel"
    assert "equecabtagene autoleucel" in page.title()
    assert foreign_requests(page) == []


def test_the_keyboard_alone_reaches_and_presses_run(site, request):
    _, open_page = site
    page = opened(open_page)
    for _ in range(MAX_TABS):
        page.keyboard.press("Tab")
        focused = page.evaluate("() => document.activeElement.id || document.activeElement.className")
        if focused == "run":
            break
        if page.evaluate("() => !!document.activeElement.closest('.CodeMirror')"):
            page.keyboard.press("Escape")  # YASQE's way out of the editor, where Tab indents
    else:
        raise AssertionError(f"{MAX_TABS} presses of Tab never reached Run")
    page.keyboard.press("Enter")
    page.wait_for_selector("#results-table tbody tr")
    assert len(column(page, "label")) > 10
    screenshot(page, request.node.name)


def test_ctrl_enter_runs_the_query_as_in_yasqe(site):
    _, open_page = site
    page = opened(open_page)
    page.click(".CodeMirror-lines")
    page.keyboard.press("Control+Enter")
    page.wait_for_selector("#results-table tbody tr")
    assert len(column(page, "label")) > 10


def test_a_bad_query_shows_the_apis_message(site, request):
    server, open_page = site
    bad = "SELECT ?x WHERE { ?x ?y }"
    expected = httpx.post(server.base + "/sparql", data={"query": bad})
    assert expected.status_code == 400
    page = opened(open_page, "/?" + str(httpx.QueryParams({"query": bad})))  # a link runs its query
    page.wait_for_selector("#error:not([hidden])")
    shown = page.inner_text("#error")
    assert shown.startswith("400 ") and expected.text.strip() in shown
    assert "Traceback" not in shown
    assert page.locator("#results").is_hidden()
    screenshot(page, request.node.name)


def test_a_value_that_is_no_iri_shows_the_apis_message(site):
    server, open_page = site
    expected = httpx.get(server.base + "/examples/decisions-by-product", params={"product": "<a b>"})
    assert expected.status_code == 422
    page = opened(open_page)
    page.click("button[data-example='decisions-by-product']")
    page.wait_for_selector("#parameter-product")
    page.fill("#parameter-product", "<a b>")
    page.click("#bind")
    page.wait_for_selector("#error:not([hidden])")
    assert page.inner_text("#error") == "422: " + expected.json()["detail"]  # the message, not its JSON


def test_markup_in_an_answer_is_shown_as_text(site):
    _, open_page = site
    markup = '<script>document.title="owned"</script><img src=x onerror=alert(1)> "onmouseover=alert(2)'
    literal = markup.replace('"', '\\"')
    query = f'SELECT ?text WHERE {{ BIND("{literal}" AS ?text) }}'
    page = opened(open_page, "/?" + str(httpx.QueryParams({"query": query})))
    page.wait_for_selector("#results-table tbody tr")
    assert column(page, "text") == [markup]
    assert page.locator("#results-table img, #results-table script").count() == 0
    assert page.title() == "SPARQL editor · CTKG"


def test_the_url_keeps_the_query_and_reproduces_it(site):
    _, open_page = site
    page = opened(open_page)
    run_fucaso_decisions(page)
    query = editor_text(page)
    assert parse_qs(urlsplit(page.url).query)["query"] == [query]
    again = opened(open_page, urlsplit(page.url)._replace(scheme="", netloc="").geturl())
    assert editor_text(again) == query
    again.wait_for_selector("#results-table tbody tr")
    assert set(column(again, "jurisdictionLabel")) == FUCASO_JURISDICTIONS


def test_the_answer_downloads_as_csv_and_json(site, tmp_path: Path):
    _, open_page = site
    page = opened(open_page)
    run_fucaso_decisions(page)
    with page.expect_download() as csv_download:
        page.click("#download-csv")
    rows = list(csv.DictReader(io.StringIO(Path(csv_download.value.path()).read_text(encoding="utf-8"))))
    assert {row["jurisdictionLabel"] for row in rows} == FUCASO_JURISDICTIONS
    assert rows[0]["product"] == PRODUCT_IRI
    with page.expect_download() as json_download:
        page.click("#download-json")
    answer = json.loads(Path(json_download.value.path()).read_text(encoding="utf-8"))
    assert len(answer["results"]["bindings"]) == 5


def test_a_construct_answer_downloads_as_turtle(site):
    _, open_page = site
    query = ("CONSTRUCT { ?product rdfs:label ?label } WHERE { BIND(<https://w3id.org/ctkg/id/product/"
             "equecabtagene-autoleucel> AS ?product) ?product rdfs:label ?label }")
    page = opened(open_page, "/?" + str(httpx.QueryParams({"query": query})))
    page.wait_for_selector("#results:not([hidden])")
    assert page.inner_text("#download-json") == "Turtle" and page.locator("#download-csv").is_hidden()
    with page.expect_download() as download:
        page.click("#download-json")
    assert download.value.suggested_filename == "ctkg-results.ttl"
    graph = Graph().parse(download.value.path(), format="turtle")
    assert {str(label) for label in graph.objects()} >= {"equecabtagene autoleucel"}


def test_axe_finds_no_serious_violation_on_the_editor(site, request):
    _, open_page = site
    page = opened(open_page)
    assert axe(page) == []
    run_fucaso_decisions(page)  # the form and the results table too
    assert axe(page) == []
    screenshot(page, request.node.name)
