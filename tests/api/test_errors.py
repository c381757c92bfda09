"""What the API answers to bad input, and what an error body may show: REST parameters that try to inject
SPARQL find nothing; no upload of RDF is taken, and one is refused before its body is read; an error body
shows no trace, no file of the server and no file's contents; an unexpected failure is a bare 500.

The API takes no upload (its only POST is a SPARQL query); what the project parses from files (facts YAML,
the Turtle of ontology/ and shapes/) is tested in tests/kg/test_facts.py and tests/kg/test_build.py.
"""

import http.client
import json
import socket
from urllib.parse import quote

import httpx
import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from tests.support.hostile import outside_files

from .conftest import LOCAL_STORE, assert_no_leak

# --- REST parameters that try to inject ------------------------------------------------------------

PAYLOADS = [
    'fda" } UNION { ?s ?p ?o } #',
    "fda' || true || '",
    "fda> ?p ?o . ?s ?p ?o . <x",
    "equecabtagene-autoleucel> <https://w3id.org/ctkg/ontology#sponsor> ?x . <",
    "fda} } ; DROP ALL ; { {",
    'fda" . ?s ?p ?o FILTER(true) #',
    "fda fda",
    " fda",
    "fda\\u0022 || 1",
    "fda%22%20||",
    "../../../etc/passwd",
    "fda\nUNION { ?s ?p ?o }",
    "${jndi:ldap://127.0.0.1/x}",
    ".*",
    "fda\t?s ?p ?o",
]
# What a record of the graph shows, and no message does: labels, and the fields of a record.
GRAPH_DATA = ("Food and Drug", "IASO Biotherapeutics", "Fucaso", '"iri"', '"label"')
ID_ROUTES = ["/products/{}", "/products/{}/timeline", "/authorities/{}", "/companies/{}", "/sources/{}",
             "/id/authority/{}", "/id/{}/fda"]
QUERY_ROUTES = [("/search", "q"), ("/applications", "product"), ("/applications", "regulator"),
                ("/applications", "jurisdiction"), ("/applications", "status"), ("/applications", "from"),
                ("/applications", "to"), ("/authorities", "pics_member"), ("/products", "limit"),
                ("/products", "offset")]


def _without_echo(value, payload: str):
    """A JSON body less the client's own input, which a validation message quotes back."""
    if isinstance(value, dict):
        return {k: _without_echo(v, payload) for k, v in value.items() if v != payload}
    if isinstance(value, list):
        return [_without_echo(v, payload) for v in value]
    return value.replace(payload, "") if isinstance(value, str) else value


def _assert_found_nothing(response: httpx.Response, payload: str) -> None:
    assert response.status_code in (200, 404, 422), (response.status_code, response.text[:300])
    assert_no_leak(response, echoed=payload)
    body = response.json()
    if response.status_code == 200:
        assert body["count"] == 0 and body["data"] == [], body
    else:  # a message about the request, never data of the graph
        text = json.dumps(_without_echo(body, payload))
        assert not any(data in text for data in GRAPH_DATA), text


@pytest.mark.parametrize("payload", PAYLOADS)
def test_injection_in_ids_finds_nothing(real_server, payload):
    with httpx.Client(base_url=real_server.base) as http:
        for route in ID_ROUTES:
            response = http.get(route.format(quote(payload, safe="")))
            _assert_found_nothing(response, payload)


@pytest.mark.parametrize("payload", PAYLOADS)
def test_injection_in_filters_and_names_finds_nothing(real_server, payload):
    with httpx.Client(base_url=real_server.base) as http:
        for route, name in QUERY_ROUTES:
            _assert_found_nothing(http.get(route, params={name: payload}), payload)
        _assert_found_nothing(http.get("/search", params={"q": payload, "format": "jsonld"}), payload)


# --- uploads ---------------------------------------------------------------------------------------------

def answer_without_the_body(port: int, path: str, media_type: str, length: int) -> tuple[int, bytes]:
    """POST headers announcing a body of `length` bytes and send none of it: the server's answer (status and
    body), which it can only give if it does not wait for the body. A server that waits times the socket out."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as raw:
        raw.sendall(f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: {media_type}\r\n"
                    f"Content-Length: {length}\r\n\r\n".encode())
        response = http.client.HTTPResponse(raw)
        response.begin()
        return response.status, response.read()


def test_the_api_takes_no_rdf_upload(real_server, listener):
    bomb = outside_files(listener.port)["bomb.rdf"].encode()
    for path in ("/sparql", "/products", "/id/authority/fda"):
        for media_type in ("application/rdf+xml", "application/ld+json", "text/turtle"):
            response = httpx.post(f"{real_server.base}{path}", content=bomb, headers={"Content-Type": media_type})
            assert response.status_code in (405, 415), (path, media_type, response.status_code)
            assert "aaaa" not in response.text
            # refused before the body is read: the same answer comes with none of the body sent
            status, body = answer_without_the_body(real_server.port, path, media_type, len(bomb))
            assert status == response.status_code and b"aaaa" not in body, (path, media_type, status)
    assert listener.received() == 0


# --- error bodies ------------------------------------------------------------------------------------

BAD_REQUESTS = [
    (400, "GET", "/sparql", {"params": {"query": "SELECT * WHERE { ?s ?p }"}}),
    (400, "GET", "/sparql", {"params": {"query": "SELECT * FROM <file:///etc/passwd> WHERE { ?s ?p ?o }"}}),
    (400, "GET", "/sparql", {"params": {"query": "SELECT * WHERE { SERVICE <file:///etc/passwd> { ?s ?p ?o } }"}}),
    (400, "GET", "/sparql", {"params": {"query": "SELECT * WHERE " + "{" * 200 + "}" * 200}}),
    (400, "POST", "/sparql", {"content": b"\xff\xfe", "headers": {"Content-Type": "application/sparql-query"}}),
    (403, "POST", "/sparql", {"data": {"update": "LOAD <file:///etc/passwd>"}}),
    (404, "GET", "/products/etc-passwd", {}),
    (404, "GET", "/id/..%2F..%2Fetc/passwd", {}),
    (404, "GET", "/no/such/route", {}),
    (405, "DELETE", "/products", {}),
    (406, "GET", "/products", {"headers": {"Accept": "image/png"}}),
    (406, "GET", "/sparql", {"params": {"query": "ASK {}", "format": "pdf"}}),
    (413, "GET", "/sparql", {"params": {"query": "#" * 20_000}}),
    (413, "POST", "/sparql", {"content": b"query=" + b"x" * 100_000,
                              "headers": {"Content-Type": "application/x-www-form-urlencoded"}}),
    (415, "POST", "/sparql", {"content": b"<x/>", "headers": {"Content-Type": "application/xml"}}),
    (422, "GET", "/applications", {"params": {"from": "2023-02-30"}}),
    (422, "GET", "/products", {"params": {"limit": "/etc/passwd"}}),
    (422, "GET", "/sparql", {"params": {"query": "SELECT * WHERE { ?a ?b ?c . ?d ?e ?f }"}}),
]


@pytest.mark.parametrize(("status", "method", "path", "kwargs"), BAD_REQUESTS,
                         ids=[f"{s}-{m}-{p}" for s, m, p, _ in BAD_REQUESTS])
def test_error_bodies_show_no_trace_path_or_file(real_server, real_settings, status, method, path, kwargs):
    response = httpx.request(method, f"{real_server.base}{path}", timeout=10, **kwargs)
    assert response.status_code == status, response.text[:300]
    assert_no_leak(response, str(real_settings.store_dir))


def test_an_unexpected_failure_is_a_bare_500(settings, monkeypatch):
    from api.lookups import Lookups

    async def broken(*_args, **_kwargs):
        raise OSError(f"[Errno 13] Permission denied: '{settings.store_dir}/secret.txt'")

    with TestClient(create_app(settings.model_copy(update={"query_workers": 1})),
                    raise_server_exceptions=False) as client:
        monkeypatch.setattr(Lookups, "rows", broken)
        response = client.get("/companies")  # a list the build does not write: read by a query
    assert response.status_code == 500 and response.text == "Internal Server Error"
    assert_no_leak(response, str(settings.store_dir), "Permission denied")


@pytest.mark.embedded_only(LOCAL_STORE)
def test_no_graph_is_503_without_the_store_path(settings, tmp_path):
    store = tmp_path / "never-built"
    with TestClient(create_app(settings.model_copy(update={"store_dir": store, "query_workers": 1}))) as client:
        for path in ("/products", "/stats", "/sparql?query=ASK%20%7B%7D", "/health"):
            response = client.get(path)
            assert response.status_code == 503
            assert_no_leak(response, str(store), str(tmp_path))
