"""/ (the SPARQL editor), its examples and prefixes, the static assets, /docs and /redoc served from them, and
the headers every page and endpoint gets: the Content-Security-Policy and CORS. What the pages do in a browser
is tests/browser/."""

import http.client
import re
from html.parser import HTMLParser
from urllib.parse import urlsplit

import pytest

from api.headers import PAGE_CSP
from kg.query import questions
from kg.vocab import PREFIXES

PRODUCT = "https://w3id.org/ctkg/id/product/equecabtagene-autoleucel"


class Assets(HTMLParser):
    """What an HTML page loads (scripts, style sheets, images) and the text of its inline scripts."""

    def __init__(self, html: str):
        super().__init__()
        self.loaded: list[str] = []
        self.inline_scripts: list[str] = []
        self._in_script = False
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "script":
            self._in_script = "src" not in attrs
            if "src" in attrs:
                self.loaded.append(attrs["src"])
        elif tag == "link" and attrs.get("rel") in ("stylesheet", "icon", "preload", "modulepreload"):
            self.loaded.append(attrs["href"])
        elif tag in ("img", "iframe", "source") and "src" in attrs:
            self.loaded.append(attrs["src"])

    def handle_endtag(self, tag):
        if tag == "script":
            self._in_script = False

    def handle_data(self, data):
        if self._in_script and data.strip():
            self.inline_scripts.append(data)


def directives(csp: str) -> dict[str, list[str]]:
    return {part.split()[0]: part.split()[1:] for part in csp.split(";") if part.strip()}


@pytest.mark.parametrize("path", ["/", "/docs", "/redoc"])
def test_pages_load_only_their_own_assets(client, path):
    page = client.get(path)
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assets = Assets(page.text)
    assert assets.loaded, f"{path} loads nothing: {page.text[:300]}"
    assert assets.inline_scripts == [], f"{path} has an inline script, which its CSP refuses"
    for url in assets.loaded:
        assert url.startswith("/static/") and "//" not in url, f"{path} loads {url}, not from the app's own assets"
        asset = client.get(url)
        assert asset.status_code == 200, f"{url}: {asset.status_code} (bash scripts/install.sh copies the vendor files)"
        kind = "javascript" if url.endswith(".js") else "css"
        assert kind in asset.headers["content-type"], (url, asset.headers["content-type"])
    assert "cdn" not in page.text.lower() and "fonts.googleapis" not in page.text


def test_every_page_allows_only_its_own_origin(client):
    csp = directives(client.get("/").headers["content-security-policy"])
    assert csp == directives(PAGE_CSP)
    for directive in ("script-src", "style-src", "connect-src", "font-src"):
        assert csp[directive] == ["'self'"], directive
    assert csp["frame-ancestors"] == ["'none'"] and csp["base-uri"] == ["'none'"]
    assert csp["img-src"] == ["'self'", "data:"]
    assert client.get("/docs").headers["content-security-policy"] == PAGE_CSP
    # Redoc writes its styles at run time: its page alone allows inline styles, never inline scripts.
    redoc = directives(client.get("/redoc").headers["content-security-policy"])
    assert redoc["script-src"] == ["'self'"] and redoc["connect-src"] == ["'self'"]
    # JSON answers need none, and get none.
    assert "content-security-policy" not in client.get("/examples").headers


def test_the_editor_lists_every_question_and_escapes_the_query_it_shows(client):
    page = client.get("/").text
    for name in questions():
        assert f'data-example="{name}"' in page
    shown = client.get("/", params={"query": '</textarea><script>alert(1)</script>"onmouseover='}).text
    assert "<script>alert(1)" not in shown and "&lt;/textarea&gt;&lt;script&gt;alert(1)&lt;/script&gt;" in shown


def test_examples_are_the_competency_questions_with_their_parameters(client):
    examples = client.get("/examples").json()
    assert examples["count"] == len(questions()) == len(examples["data"])
    by_name = {example["name"]: example for example in examples["data"]}
    assert set(by_name) == set(questions())
    assert by_name["approvals-by-pics-participants"]["title"] == "Approvals by PIC/S participants"
    assert by_name["decisions-by-product"]["question"] == questions()["decisions-by-product"].title
    assert [p["name"] for p in by_name["decisions-by-product"]["parameters"]] == ["product", "includeUnverified"]
    assert [p["input"] for p in by_name["approvals-as-of"]["parameters"]] == ["date", "boolean"]
    assert by_name["products-by-target"]["parameters"] == []


def test_an_example_with_its_value_bound_runs_through_sparql(client):
    example = client.get("/examples/decisions-by-product", params={"product": "id:product/equecabtagene-autoleucel",
                                                                   "unknown": "ignored"}).json()
    assert f"VALUES (?product) {{ (<{PRODUCT}>) }}" in example["query"]
    assert "PREFIX ctkg: <https://w3id.org/ctkg/ontology#>" in example["query"]
    answer = client.post("/sparql", data={"query": example["query"]},
                         headers={"Accept": "application/sparql-results+json"})
    assert answer.status_code == 200, answer.text
    jurisdictions = {row["jurisdictionLabel"]["value"] for row in answer.json()["results"]["bindings"]}
    assert jurisdictions == {"Mainland China", "Macao SAR", "Hong Kong SAR", "Saudi Arabia", "Singapore"}


def test_a_bound_value_never_becomes_query_text(client):
    hostile = '> } } SELECT * WHERE { ?s ?p ?o } #'
    example = client.get("/examples/decisions-by-product", params={"product": hostile}).json()
    answer = client.post("/sparql", data={"query": example["query"]},
                         headers={"Accept": "application/sparql-results+json"})
    assert answer.status_code == 200, answer.text
    assert answer.json()["results"]["bindings"] == []  # a literal that names no product


@pytest.mark.parametrize("value", ["<a b>", "https://x y", 'id:a"b', "<relative>", "<https://x{y}>"])
def test_a_value_that_is_no_iri_is_a_422_that_names_the_parameter(client, value):
    answer = client.get("/examples/decisions-by-product", params={"product": value})
    assert answer.status_code == 422, answer.text
    detail = answer.json()["detail"]
    assert "`product`" in detail and "not a valid one" in detail and "percent-encode" in detail


def test_an_unknown_example_is_a_404_that_says_where_to_look(client):
    answer = client.get("/examples/no-such-question")
    assert answer.status_code == 404 and "/examples" in answer.json()["detail"]


def test_prefixes_are_the_projects(client):
    assert client.get("/prefixes.json").json() == PREFIXES


def test_static_assets_are_served_with_their_type(client):
    assert "javascript" in client.get("/static/editor/editor.js").headers["content-type"]
    assert client.get("/static/editor/editor.css").headers["content-type"].startswith("text/css")
    assert client.get("/static/no-such-file.js").status_code == 404
    assert client.get("/static/vendor/axe-core/axe.min.js").status_code == 404  # the tests' tool, not the users'


@pytest.mark.parametrize("path", ["/static/../app.py", "/static/editor/../../app.py", "/static/%2e%2e/app.py",
                                  "/static/..%2fapp.py", "/static/%2E%2E%2Fapp.py"])
def test_static_files_stay_in_their_folder(real_server, path):
    """The path as sent, `..` and all (httpx would resolve it before sending), to the real server."""
    address = urlsplit(real_server.base)
    connection = http.client.HTTPConnection(address.hostname, address.port, timeout=30)
    try:
        connection.request("GET", path)
        answer = connection.getresponse()
        body = answer.read()
    finally:
        connection.close()
    assert answer.status == 404, body[:300]
    assert b"create_app" not in body  # api/app.py, one folder up from api/static/


@pytest.mark.parametrize("path", ["/sparql?query=ASK%7B%7D", "/products", "/search?q=fucaso"])
def test_cors_lets_any_origin_read_without_credentials(client, path):
    answer = client.get(path, headers={"Origin": "https://notebooks.example.org"})
    assert answer.status_code == 200
    assert answer.headers["access-control-allow-origin"] == "*"
    assert "access-control-allow-credentials" not in answer.headers


@pytest.mark.parametrize("path", ["/sparql", "/products"])
def test_cors_preflight_allows_get_and_post(client, path):
    answer = client.options(path, headers={"Origin": "https://yasgui.example.org",
                                           "Access-Control-Request-Method": "POST",
                                           "Access-Control-Request-Headers": "content-type"})
    assert answer.status_code == 200, answer.text
    assert answer.headers["access-control-allow-origin"] == "*"
    assert {"GET", "POST"} <= set(re.split(r",\s*", answer.headers["access-control-allow-methods"]))
    assert "content-type" in answer.headers["access-control-allow-headers"].lower()
    assert "access-control-allow-credentials" not in answer.headers
    refused = client.options(path, headers={"Origin": "https://x.example.org",
                                            "Access-Control-Request-Method": "DELETE"})
    assert refused.status_code == 400
