"""/landscape: products × jurisdictions, the first approval in each with its date's precision, filtered by
target, product class and PIC/S participation on the decision date; unverified facts only when asked for."""

import csv
import io

import pytest
import yaml
from fastapi.testclient import TestClient

from api.app import create_app
from api.routes.landscape import NOT_PARTICIPANT, PARTICIPANT, UNKNOWN, participation
from api.timeline import period
from kg.vocab import ID

from ..conftest import ROOT

BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
FUCASO = str(ID["product/equecabtagene-autoleucel"])


def cells(client, **params) -> dict[tuple[str, str], dict]:
    """The landscape as CSV, by (product id, jurisdiction id)."""
    response = client.get("/landscape", params={**params, "format": "csv"})
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.text)))
    return {(r["product_iri"].rsplit("/", 1)[1], r["jurisdiction_iri"].rsplit("/", 1)[1]): r for r in rows}


def test_each_cell_is_the_first_approval_with_its_precision(client):
    found = cells(client)
    assert {j: (r["status"], r["date"], r["precision"]) for (_, j), r in found.items()} == {
        "mainland-china": ("approved", "2023-06", "month"),
        "macao-sar": ("approved", "2025-03", "month"),
        "hong-kong-sar": ("approved", "", ""),  # the article gives no date: none is made up
        "saudi-arabia": ("under-review", "", ""),
        "singapore": ("under-review", "", ""),
    }
    assert found[("equecabtagene-autoleucel", "hong-kong-sar")]["authority"] == "Department of Health (Hong Kong)"


def test_the_page_shows_status_in_colour_and_words(client):
    response = client.get("/landscape", headers={"Accept": BROWSER})
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/html")
    assert "script-src" not in response.headers["content-security-policy"]
    page = response.text
    assert '<a href="http://127.0.0.1:8000/id/product/equecabtagene-autoleucel">equecabtagene autoleucel</a>' in page
    assert ('data-status="approved" data-precision="month"><a href="http://127.0.0.1:8000/id/application/'
            'equecabtagene-autoleucel-mainland-china-bla" title="Approved, June 2023 (month), National Medical '
            'Products Administration"><span class="status status-approved">Approved</span><br>'
            '<span class="date">2023-06 (month)</span></a>') in page
    assert 'data-status="approved" data-precision="none">' in page and '<span class="date">undated</span>' in page
    assert '<option value="bcma">BCMA</option>' in page
    assert '<a href="http://127.0.0.1:8000/landscape?format=csv">this page (CSV)</a>' in page  # its page alone


def test_csv_by_accept(client):
    response = client.get("/landscape", headers={"Accept": "text/csv"})
    assert response.headers["content-type"].startswith("text/csv")
    assert response.text.splitlines()[0].startswith("product,product_iri,jurisdiction")


@pytest.mark.parametrize(("params", "jurisdictions"), [
    ({"target": "bcma"}, 5), ({"target": "cd19"}, 0), ({"class": "car-t"}, 5), ({"class": "cell-therapy"}, 5),
])
def test_filters_by_target_and_class(client, params, jurisdictions):
    assert len(cells(client, **params)) == jurisdictions


def test_filter_by_pics_participation_on_the_decision_date(client):
    # The seed article names PIC/S participants (PMDA, FDA) that decided nothing on Fucaso: every dated decision
    # is by an authority with no recorded membership, and an undated one cannot be judged.
    assert cells(client, pics="participant") == {}
    assert set(cells(client, pics="not-participant")) == {("equecabtagene-autoleucel", "mainland-china"),
                                                          ("equecabtagene-autoleucel", "macao-sar")}
    assert cells(client)[("equecabtagene-autoleucel", "hong-kong-sar")]["pics_on_decision_date"] == UNKNOWN


@pytest.mark.parametrize(("params", "status"), [({"class": "spaceship"}, 422), ({"target": "<b>"}, 422),
                                                ({"pics": "maybe"}, 422), ({"after": "../x"}, 422)])
def test_bad_parameters_are_refused(client, params, status):
    assert client.get("/landscape", params=params).status_code == status


def test_participation_on_the_decision_date():
    p = period
    assert participation(p("2023-06"), [p("2016-01-01")]) == PARTICIPANT
    assert participation(p("2016-01-01"), [p("2016-01-01")]) == PARTICIPANT  # on the day itself
    assert participation(p("2016-01"), [p("2016-01-15")]) == UNKNOWN  # the month may start before it
    assert participation(p("2015-12"), [p("2016-01-15")]) == NOT_PARTICIPANT
    assert participation(p("2020"), [None]) == UNKNOWN  # accession date unknown
    assert participation(None, [p("2000")]) == UNKNOWN  # decision date unknown
    assert participation(p("2020"), []) == NOT_PARTICIPANT  # no membership recorded


@pytest.fixture(scope="module")
def real_client(real_settings):
    with TestClient(create_app(real_settings.model_copy(update={"query_workers": 1}))) as test_client:
        yield test_client


def unverified_applications() -> set[str]:
    facts = yaml.safe_load((ROOT / "data" / "reference" / "cell-therapy-approvals-unverified.yaml").read_text())
    return {str(ID[f"application/{a['id']}"]) for a in facts["applications"]}


def test_unverified_facts_stay_out_unless_asked_for(real_client):
    unverified = unverified_applications()
    assert unverified
    shown = {r["application_iri"] for r in cells(real_client).values()}
    assert not shown & unverified
    assert {r["application_iri"] for r in cells(real_client, unverified="true").values()} & unverified


def test_on_all_data_hong_kong_relies_on_pics_participation_through_ppbhk(real_client):
    hong_kong = cells(real_client)[("equecabtagene-autoleucel", "hong-kong-sar")]
    assert hong_kong["status"] == "approved" and hong_kong["precision"] in ("day", "month", "year")
    # DH takes part in PIC/S through PPBHK, which joined on 2016-01-01 (the reference list)
    assert hong_kong["pics_on_decision_date"] == PARTICIPANT
    assert ("equecabtagene-autoleucel", "hong-kong-sar") in cells(real_client, pics="participant")


def test_pages_continue_after_the_last_product(real_client):
    first = cells(real_client)
    products = sorted({p for p, _ in first})
    after = cells(real_client, after=products[0])
    assert {p for p, _ in after} <= set(products) - {products[0]} or not after



def test_names_on_the_landscape_are_text(pages_client):
    page = pages_client.get("/landscape", headers={"Accept": BROWSER}).text
    body = page[page.index("<main>"):]
    for markup in ("<script>", "<b>", "<i>", "<svg onload", '" onmouseover', '"onmouseover'):
        assert markup not in body
    assert "&lt;script&gt;alert(&#34;ctkg&#34;)&lt;/script&gt; &#34;onmouseover=alert(7)" in body


@pytest.mark.parametrize("params", [{"after": "no-such-product"}, {"after": "no-such-product", "class": "car-t"}])
def test_a_page_after_an_unknown_product_is_404(client, params):
    assert client.get("/landscape", params=params).status_code == 404


def test_a_format_it_cannot_give_is_406(client):
    assert client.get("/landscape", headers={"Accept": "image/png"}).status_code == 406
