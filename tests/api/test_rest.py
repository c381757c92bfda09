"""The REST lookups, in-process: each endpoint on the seed article's facts, 404 and 422, pagination,
JSON-LD, and parameters that try to inject SPARQL."""

import pytest
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import RDFS

from kg.vocab import CTKG, ID

PRODUCT = "equecabtagene-autoleucel"
SOURCE = "pharmaceutical-technology-fucaso-hong-kong-approval"


def ids(items: list[dict]) -> list[str]:
    return [item["id"] for item in items]


@pytest.mark.parametrize("path", ["/products", "/authorities", "/companies", "/applications", "/inspections",
                                  "/sources", "/search?q=a"])
def test_lists_are_pages_with_a_total(client, path):
    body = client.get(path).json()
    assert set(body) == {"data", "count"}
    assert body["count"] >= len(body["data"]) >= 1
    for item in body["data"]:
        assert item["iri"].startswith(str(ID)) and item["id"]


def test_pagination_walks_the_whole_list(client):
    everything = client.get("/applications", params={"limit": 1000}).json()
    assert everything["count"] == len(everything["data"]) == 5
    pages = [client.get("/applications", params={"limit": 2, "offset": offset}).json() for offset in (0, 2, 4)]
    assert [p["count"] for p in pages] == [5, 5, 5]
    assert sum((ids(p["data"]) for p in pages), []) == ids(everything["data"])
    assert client.get("/applications", params={"offset": 50}).json() == {"data": [], "count": 5}


def test_product(client):
    product = client.get(f"/products/{PRODUCT}").json()
    assert product["iri"] == str(ID[f"product/{PRODUCT}"])
    assert product["label"] == "equecabtagene autoleucel"
    assert product["inn"] == "equecabtagene autoleucel"
    assert product["brand_names"] == ["Fucaso"] and "Fucaso" in product["aliases"]
    assert ids(product["sponsors"]) == ["iaso-bio"] and product["sponsors"][0]["label"] == "IASO Biotherapeutics"
    assert ids(product["targets"]) == ["bcma"]
    assert str(CTKG.CARTCellTherapy) in {t["iri"] for t in product["types"]}
    assert len(product["applications"]) == 5
    assert ids(product["sources"]) == [SOURCE]


def test_product_timeline_is_in_date_order_with_sources(client):
    timeline = client.get(f"/products/{PRODUCT}/timeline").json()
    assert timeline["product"]["label"] == "equecabtagene autoleucel"
    dates = [entry["decision_date"] for entry in timeline["data"]]
    assert dates[:2] == ["2023-06", "2025-03"] and dates[2:] == [None, None, None]
    assert timeline["count"] == 5
    china = timeline["data"][0]
    assert china["regulator"]["id"] == "nmpa" and china["regulator"]["jurisdiction"]["id"] == "mainland-china"
    assert china["status"] == "approved" and china["application_type"] == "BLA"
    (citation,) = china["cited_by"]
    assert citation["id"] == SOURCE and citation["quotes"] == ["BLA approvals in Mainland China (June 2023)"]


def test_authorities_filtered_by_pics_membership(client):
    members = client.get("/authorities", params={"pics_member": "true"}).json()
    assert sorted(ids(members["data"])) == ["fda", "pmda"]
    assert all(a["pics_member"] for a in members["data"])
    others = client.get("/authorities", params={"pics_member": "false"}).json()
    assert "fda" not in ids(others["data"]) and "nmpa" in ids(others["data"])
    assert others["count"] + members["count"] == client.get("/authorities").json()["count"]


def test_authority(client):
    fda = client.get("/authorities/fda").json()
    assert fda["label"] == "U.S. Food and Drug Administration"
    assert fda["jurisdiction"]["id"] == "united-states"
    assert fda["pics_member"] is True
    (membership,) = fda["pics_memberships"]
    assert membership["scheme"]["id"] == "pics" and membership["accession_date"] is None
    nmpa = client.get("/authorities/nmpa").json()
    assert nmpa["pics_member"] is False
    assert [d["decision_date"] for d in nmpa["decisions"]] == ["2023-06"]


def test_company(client):
    company = client.get("/companies/iaso-bio").json()
    assert ids(company["sponsored_products"]) == [PRODUCT]
    assert sorted(ids(company["applications_filed"])) == [
        "equecabtagene-autoleucel-hk-bla", "equecabtagene-autoleucel-macao-nda"]
    assert ids(company["inspections"]) == ["equecabtagene-autoleucel-hk-gmp-inspection"]
    assert ids(company["people"]) == ["jinhua-zhang"]
    assert client.get("/companies").json()["data"][0]["product_count"] == 1


@pytest.mark.parametrize(("params", "expected"), [
    ({"product": PRODUCT}, 5),
    ({"regulator": "nmpa"}, 1),
    ({"jurisdiction": "macao-sar"}, 1),
    ({"status": "under-review"}, 2),
    ({"status": "rejected"}, 0),
    ({"from": "2024"}, 1),
    ({"from": "2023-06-15"}, 2),  # June 2023 overlaps
    ({"to": "2023-06"}, 1),
    ({"to": "2023-05-31"}, 0),
    ({"from": "2023-07", "to": "2025-02"}, 0),
    ({"product": "no-such-product"}, 0),
])
def test_application_filters(client, params, expected):
    body = client.get("/applications", params=params).json()
    assert body["count"] == len(body["data"]) == expected


def test_inspections(client):
    (inspection,) = client.get("/inspections").json()["data"]
    assert inspection["inspecting_authority"]["id"] == "hk-department-of-health"
    assert inspection["inspected_organization"]["id"] == "iaso-bio"
    assert ids(inspection["inspected_products"]) == [PRODUCT]
    assert inspection["outcome"] == "compliant" and inspection["standards"] == ["PIC/S GMP"]


def test_source_and_what_it_contributed(client):
    (listed,) = client.get("/sources").json()["data"]
    source = client.get(f"/sources/{SOURCE}").json()
    assert source["triples"] == listed["triples"] > 100
    assert source["publisher"] == "Pharmaceutical Technology"
    contributed = {e["id"]: e for e in source["entities"]}
    assert {"iaso-bio", PRODUCT, "fda-pics"} <= set(contributed)
    counts = {c["iri"]: c["entities"] for c in source["classes"]}
    assert counts[str(CTKG.RegulatoryApplication)] == 5


def test_search_is_case_insensitive_over_labels_and_aliases(client):
    hits = client.get("/search", params={"q": "FUCASO"}).json()["data"]
    assert hits[0]["id"] == PRODUCT and hits[0]["matched"] == "Fucaso" and hits[0]["kind"] == "product"
    assert "pmda" in ids(client.get("/search", params={"q": "pharmaceutical and medical"}).json()["data"])


def test_search_answers_the_resources_named_by_the_text_when_there_are_some(client):
    """`hong kong` is an alias of the jurisdiction, in title case: found by an index lookup on that spelling,
    and then the names that merely contain it are not listed, unless match=contains asks for them."""
    named = client.get("/search", params={"q": "hong kong"}).json()
    assert ids(named["data"]) == ["hong-kong-sar"] and named["count"] == 1
    assert named["data"][0]["matched"] == "Hong Kong" and named["data"][0]["kind"] == "jurisdiction"
    containing = client.get("/search", params={"q": "hong kong", "match": "contains"}).json()
    assert {"hong-kong-sar", "hk-department-of-health", SOURCE} <= set(ids(containing["data"]))
    assert containing["count"] == len(containing["data"]) == 3


def test_search_falls_back_to_names_containing_the_text(client):
    """No name is spelt `iaso BIO` in any of the looked-up spellings: every name containing it, ignoring
    case, is the answer, the one equal to it ignoring case first."""
    hits = client.get("/search", params={"q": "iaso BIO"}).json()
    assert ids(hits["data"]) == ["iaso-bio"] and hits["data"][0]["matched"] == "IASO Bio"
    everything = client.get("/search", params={"q": "medical"}).json()
    assert {"pmda", "nmpa"} <= set(ids(everything["data"]))


def test_search_match_takes_two_values(client):
    assert client.get("/search", params={"q": "fda", "match": "prefix"}).status_code == 422
    exact = client.get("/search", params={"q": "fda", "match": "exact-first"}).json()
    assert ids(exact["data"]) == ["fda"]


def test_stats_and_health(client, settings):
    stats = client.get("/stats").json()
    assert stats["sources"] == 1 and stats["triples"] > 0
    counts = {c["iri"]: c["entities"] for c in stats["classes"]}
    assert counts[str(CTKG.MedicinalProduct)] == 1 and counts[str(CTKG.RegulatoryAuthority)] == 7
    health = client.get("/health").json()
    assert health["status"] == "ok" and health["workers"] == settings.query_workers


@pytest.mark.parametrize("path", [
    "/products/no-such-product", "/products/no-such-product/timeline", "/products/iaso-bio",
    "/authorities/no-such-authority", "/companies/fda", "/sources/no-such-source",
])
def test_unknown_ids_are_404_with_a_message(client, path):
    response = client.get(path)
    assert response.status_code == 404
    assert "id" in response.json()["detail"]


@pytest.mark.parametrize(("path", "params"), [
    ("/products", {"limit": 0}),
    ("/products", {"limit": 100_000}),
    ("/products", {"offset": -1}),
    ("/authorities", {"pics_member": "maybe"}),
    ("/applications", {"status": "approvedish"}),
    ("/applications", {"from": "June 2023"}),
    ("/applications", {"from": "2023-02-30"}),
    ("/applications", {"to": "2023-13"}),
    ("/applications", {"regulator": "NMPA"}),
    ("/search", {}),
    ("/search", {"q": ""}),
    ("/search", {"q": "x" * 201}),
])
def test_bad_parameters_are_422(client, path, params):
    assert client.get(path, params=params).status_code == 422


def test_json_ld_reads_as_the_graph_says(client):
    response = client.get(f"/products/{PRODUCT}", headers={"Accept": "application/ld+json"})
    assert response.headers["content-type"].startswith("application/ld+json")
    graph = Graph().parse(data=response.text, format="json-ld")
    product, company = URIRef(ID[f"product/{PRODUCT}"]), URIRef(ID["company/iaso-bio"])
    china = URIRef(ID["application/equecabtagene-autoleucel-mainland-china-bla"])
    assert (product, RDFS.label, Literal("equecabtagene autoleucel")) in graph
    assert (product, CTKG.sponsor, company) in graph
    assert (company, RDFS.label, Literal("IASO Biotherapeutics")) in graph
    assert (china, CTKG.product, product) in graph
    assert (china, CTKG.status, CTKG.Approved) in graph
    assert (china, CTKG.applicationType, CTKG.BiologicsLicenseApplication) in graph
    assert (URIRef(ID["authority/nmpa"]), CTKG.jurisdiction, URIRef(ID["jurisdiction/mainland-china"])) in graph


def test_json_ld_of_a_list(client):
    response = client.get("/authorities", params={"format": "jsonld"})
    graph = Graph().parse(data=response.text, format="json-ld")
    assert (URIRef(ID["authority/fda"]), RDFS.label, Literal("U.S. Food and Drug Administration")) in graph


def test_json_is_the_default_and_406_for_what_it_cannot_give(client):
    assert client.get("/products", headers={"Accept": "*/*"}).headers["content-type"] == "application/json"
    assert client.get("/products", headers={"Accept": "text/csv"}).status_code == 406


INJECTIONS = ['x" } UNION { ?s ?p ?o } #', "x> } UNION { ?s ?p ?o", "'; DROP ALL; '", "a\\u0022b", "}}}}", "a || true",
              "<http://example.org/>", "%27%22", "a b"]


@pytest.mark.parametrize("text", INJECTIONS)
def test_injection_in_search_finds_nothing(client, text):
    response = client.get("/search", params={"q": text})
    assert response.status_code == 200
    assert response.json() == {"data": [], "count": 0}


@pytest.mark.parametrize("text", INJECTIONS)
@pytest.mark.parametrize("path", ["/products/{}", "/products/{}/timeline", "/authorities/{}", "/companies/{}",
                                  "/sources/{}", "/id/product/{}"])
def test_injection_in_ids_is_404(client, path, text):
    assert client.get(path.format(text.replace("/", "%2F").replace("#", "%23").replace("?", "%3F"))).status_code in (
        404, 422)


@pytest.mark.parametrize("text", INJECTIONS)
@pytest.mark.parametrize("name", ["product", "regulator", "jurisdiction", "status", "from", "to"])
def test_injection_in_filters_is_422(client, name, text):
    assert client.get("/applications", params={name: text}).status_code == 422


def test_an_application_dated_by_two_sources_shows_the_most_precise_date(real_server):
    """The seed says June 2023 for the NMPA approval of Fucaso, the reference list 2023-06-30: the API
    shows one date, picked as the competency questions pick it (most precise, then earliest)."""
    import httpx

    real_server.wait_ready()
    response = httpx.get(f"{real_server.base}/applications",
                         params={"product": "equecabtagene-autoleucel", "regulator": "nmpa"}, timeout=10)
    assert response.status_code == 200, response.text
    (application,) = response.json()["data"]
    assert application["decision_date"] == "2023-06-30"
