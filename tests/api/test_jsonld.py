"""JSON-LD of the REST answers (`api.jsonld`): it reads as the graph says, for one resource and for a list;
JSON is the default, and a format the API cannot give is 406."""

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import RDFS

from kg.vocab import CTKG, ID

from .conftest import PRODUCT


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
