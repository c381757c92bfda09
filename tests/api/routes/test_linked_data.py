"""The instance IRIs served as linked data: RDF by content negotiation, an escaped HTML page for a browser."""

import pytest
from fastapi.testclient import TestClient
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import RDFS

from api.app import create_app
from kg.vocab import CTKG, ID

PRODUCT = URIRef(ID["product/equecabtagene-autoleucel"])
BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"


@pytest.mark.parametrize(("accept", "syntax"), [
    (None, "turtle"), ("text/turtle", "turtle"), ("application/ld+json", "json-ld"),
    ("application/n-triples", "nt"), ("application/rdf+xml", "xml"),
])
def test_description_by_content_negotiation(client, accept, syntax):
    response = client.get("/id/product/equecabtagene-autoleucel", headers={"Accept": accept} if accept else {})
    assert response.status_code == 200 and response.headers["vary"] == "Accept"
    graph = Graph().parse(data=response.content, format=syntax)
    assert (PRODUCT, RDFS.label, Literal("equecabtagene autoleucel")) in graph
    assert (PRODUCT, CTKG.sponsor, URIRef(ID["company/iaso-bio"])) in graph
    # neighbours come with their labels
    assert (URIRef(ID["company/iaso-bio"]), RDFS.label, Literal("IASO Biotherapeutics")) in graph
    assert set(graph.subjects()) <= {PRODUCT} | set(graph.objects(PRODUCT, None))


def test_page_for_a_browser_links_to_neighbours(client):
    response = client.get("/id/product/equecabtagene-autoleucel", headers={"Accept": BROWSER})
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/html")
    assert "script-src" not in response.headers["content-security-policy"]
    page = response.text
    assert "<h1>equecabtagene autoleucel</h1>" in page
    assert 'href="http://127.0.0.1:8000/id/company/iaso-bio">IASO Biotherapeutics</a>' in page
    assert 'href="http://127.0.0.1:8000/id/application/equecabtagene-autoleucel-hk-bla"' in page  # links to it
    assert client.get("/id/product/equecabtagene-autoleucel", params={"format": "html"}).text == page


@pytest.mark.parametrize("path", ["/id/product/no-such-product", "/id/spaceship/equecabtagene-autoleucel",
                                  "/id/product/Equecabtagene", "/id/product/a%27%3E%3Cb"])
def test_unknown_resources_are_404(client, path):
    assert client.get(path).status_code == 404
    assert client.get(path, headers={"Accept": BROWSER}).status_code == 404


def test_406_for_a_format_it_cannot_give(client):
    assert client.get("/id/product/equecabtagene-autoleucel", headers={"Accept": "image/png"}).status_code == 406


@pytest.fixture(scope="module")
def markup_client(marked_up):
    with TestClient(create_app(marked_up.model_copy(update={"query_workers": 1}))) as test_client:
        yield test_client


def test_every_value_on_the_page_is_escaped(markup_client):
    page = markup_client.get("/id/company/markup-corp", headers={"Accept": BROWSER}).text
    assert "<script>" not in page and "<img" not in page and "<b>bold" not in page
    assert "&lt;script&gt;alert(&#34;ctkg&#34;)&lt;/script&gt; &amp; Co" in page
    assert "&lt;img src=x onerror=alert(1)&gt;" in page
    source = markup_client.get("/id/source/markup-test-source", headers={"Accept": BROWSER}).text
    assert "<em>" not in source and "&lt;em&gt;with&lt;/em&gt;" in source


def test_markup_is_data_in_json_and_rdf(markup_client):
    company = markup_client.get("/companies/markup-corp").json()
    assert company["label"] == '<script>alert("ctkg")</script> & Co'
    hits = markup_client.get("/search", params={"q": '"} UNION { ?s ?p ?o } #'}).json()
    assert [h["id"] for h in hits["data"]] == ["markup-corp"]  # the alias is found as text, nothing more
    graph = Graph().parse(data=markup_client.get("/id/company/markup-corp").content, format="turtle")
    assert (URIRef(ID["company/markup-corp"]), RDFS.label, Literal('<script>alert("ctkg")</script> & Co')) in graph
