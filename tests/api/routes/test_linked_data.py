"""The instance IRIs served as linked data: RDF by content negotiation, an escaped HTML page for a browser."""

import xml.etree.ElementTree as ET
from html.parser import HTMLParser

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
    assert response.status_code == 200 and "Accept" in response.headers["vary"].split(", ")
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


# --- the entity pages of products, authorities and companies (api.entity_pages) ---

SVG = "{http://www.w3.org/2000/svg}"


def page_of(client, path: str) -> str:
    response = client.get(path, headers={"Accept": BROWSER})
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/html")
    csp = response.headers["content-security-policy"]
    assert "default-src 'none'" in csp and "style-src 'self'" in csp and "script-src" not in csp
    return response.text


def timeline_of(page: str) -> ET.Element:
    drawing = page[page.index("<svg"):page.index("</svg>") + len("</svg>")]
    return ET.fromstring(drawing)


def test_product_page_draws_its_decisions_by_jurisdiction(client):
    page = page_of(client, "/id/product/equecabtagene-autoleucel")
    drawing = timeline_of(page)
    drawn = {m.get("data-key").rsplit("/", 1)[1]: m for m in drawing.iter() if m.get("data-key")}
    # The seed article dates two decisions, both to the month; the others are listed apart.
    assert set(drawn) == {"equecabtagene-autoleucel-mainland-china-bla", "equecabtagene-autoleucel-macao-nda"}
    china = drawn["equecabtagene-autoleucel-mainland-china-bla"]
    assert (china.tag, china.get("data-precision"), china.get("data-start"), china.get("data-end")) == (
        f"{SVG}rect", "month", "2023-06-01", "2023-06-30")
    assert "status-approved" in china.get("class")
    assert "Approved, June 2023 (month)" in [t.text for t in drawing.iter(f"{SVG}text")]
    undated = page[page.index('id="undated"'):]
    for application in ("hk-bla", "saudi-arabia", "singapore"):
        assert f'id="decision-equecabtagene-autoleucel-{application}"' in undated
    # reliance: Hong Kong's approval relies on the NMPA's (undated, so written rather than drawn)
    assert ('relies on <a href="http://127.0.0.1:8000/id/application/equecabtagene-autoleucel-mainland-china-bla">'
            'National Medical Products Administration, June 2023 (month)</a>') in page


def test_product_page_names_sponsor_target_and_every_fact_with_its_source(client):
    page = page_of(client, "/id/product/equecabtagene-autoleucel")
    assert '<a href="http://127.0.0.1:8000/id/antigen/bcma">BCMA</a>' in page
    assert '<a href="http://127.0.0.1:8000/id/company/iaso-bio">IASO Biotherapeutics</a>' in page
    assert "Fucaso" in page
    source = ('<a href="http://127.0.0.1:8000/id/source/pharmaceutical-technology-fucaso-hong-kong-approval">'
              "Pharmaceutical Technology article on the Hong Kong approval of Fucaso</a>")
    # the product's own evidence, and each decision's
    assert page.count(source) == 1 + 5  # the product, and each of its five decisions
    assert "<q>BLA approvals in Mainland China (June 2023)</q>" in page
    assert "<q>with reviews ongoing in Saudi Arabia and Singapore</q>" in page
    for name in ("turtle", "jsonld"):
        assert f'href="http://127.0.0.1:8000/id/product/equecabtagene-autoleucel?format={name}"' in page


def test_the_alternates_a_page_offers_are_its_data(client):
    turtle = client.get("/id/product/equecabtagene-autoleucel", params={"format": "turtle"})
    assert turtle.headers["content-type"].startswith("text/turtle")
    graph = Graph().parse(data=client.get("/id/product/equecabtagene-autoleucel",
                                          params={"format": "jsonld"}).content, format="json-ld")
    assert (PRODUCT, RDFS.label, Literal("equecabtagene autoleucel")) in graph


def test_authority_page_has_its_decisions_newest_first_and_its_inspections(client):
    page = page_of(client, "/id/authority/hk-department-of-health")
    assert "<h1>Department of Health (Hong Kong)</h1>" in page
    assert "The graph records no PIC/S participation" in page  # the seed article alone names none for DH
    decisions = page[page.index('id="decisions"'):page.index('id="inspections"')]
    assert "equecabtagene-autoleucel-hk-bla" in decisions and "no date in the sources" in decisions
    inspections = page[page.index('id="inspections"'):]
    assert "IASO Biotherapeutics" in inspections and "compliant" in inspections


def test_authority_page_shows_pics_participation_with_its_accession_date(client):
    page = page_of(client, "/id/authority/pmda")
    pics = page[page.index('id="pics"'):page.index('id="decisions"')]
    assert "Pharmaceutical Inspection Co-operation Scheme" in pics
    assert "accession date not in the sources" in pics


def test_company_page_lists_its_products_and_inspections(client):
    page = page_of(client, "/id/company/iaso-bio")
    products = page[page.index('id="products"'):page.index('id="inspections"')]
    assert ('<a href="http://127.0.0.1:8000/id/product/equecabtagene-autoleucel">equecabtagene autoleucel</a>'
            in products)
    assert "sponsor, applied for its authorisation" in products
    assert "Department of Health (Hong Kong)" in page[page.index('id="inspections"'):]


def test_other_kinds_keep_the_generic_page(client):
    page = page_of(client, "/id/jurisdiction/japan")
    assert "<h1>Japan</h1>" in page and "About it" in page



class Markup(HTMLParser):
    """What a page makes of its text: the elements and attributes it opens, and the text it shows."""

    def __init__(self, page: str):
        super().__init__()
        self.tags: set[str] = set()
        self.attributes: set[str] = set()
        self.text: list[str] = []
        self.feed(page)

    def handle_starttag(self, tag, attrs):
        self.tags.add(tag)
        self.attributes.update(name for name, _ in attrs)

    def handle_data(self, data):
        self.text.append(data)


@pytest.mark.parametrize(("path", "shown"), [
    ("/id/product/markup-product", ['<script>alert("ctkg")</script> "onmouseover=alert(7)',
                                    '"><script>alert(8)</script>', "<svg onload=alert(6)>"]),
    ("/id/authority/markup-authority", ['<b>Authority</b> "onmouseover=alert(2)']),
    ("/id/company/markup-company", ['<i>Company</i> "onmouseover=alert(4)', "<img src=x onerror=alert(5)>"]),
    ("/id/jurisdiction/markup-land", ['<script>alert("land")</script> "onmouseover=alert(1)'])])
def test_every_name_on_an_entity_page_is_text(pages_client, path, shown):
    seen = Markup(page_of(pages_client, path))
    assert not seen.tags & {"script", "img", "b", "i"}, seen.tags
    assert not {a for a in seen.attributes if a.startswith("on")}, seen.attributes
    text = "".join(seen.text)
    for name in shown:
        assert name in text


def test_the_timeline_of_hostile_names_is_well_formed_text(pages_client):
    page = page_of(pages_client, "/id/product/markup-product")
    drawing = timeline_of(page)  # parses: no attribute or element was broken out of
    assert '<script>alert("land")</script> "onmouseover=alert(1)' in [t.text for t in drawing.iter(f"{SVG}text")]
    assert drawing.find(f"{SVG}title").text.startswith('Decisions on <script>alert("ctkg")</script>')
