"""HTTP hygiene of a real `ctkg serve` on 127.0.0.1 (`api.headers`, the 405 answer, the proxy settings): Allow
on every 405, HEAD wherever GET, links from the configured address and never the Host header, security
headers, X-Forwarded-For believed from named proxies only, and Content-Length with Transfer-Encoding refused."""

import os
import re
import socket
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import pytest
from rdflib import Graph, URIRef
from rdflib.namespace import RDF

from tests.support.polling import wait_until
from tests.support.servers import ROOT, CtkgServer, free_port

from .conftest import ctkg_serve

SD = "http://www.w3.org/ns/sparql-service-description#"
PRODUCT = "/products/equecabtagene-autoleucel"
PAGE = "/id/product/equecabtagene-autoleucel"
PUBLIC = "https://ctkg.example.org/kg"
EVIL = "evil.example"
PROXY = "127.0.0.2"  # the proxy the public server trusts: a loopback address uvicorn would not trust by itself


@pytest.fixture(scope="module")
def plain(settings, tmp_path_factory) -> Iterator[CtkgServer]:
    """Development defaults: no BASE_URL, no trusted proxy; one request in progress per client."""
    with ctkg_serve(settings, tmp_path_factory.mktemp("plain") / "server.log", query_workers=1,
                    max_concurrent_per_client=1) as running:
        yield running


@pytest.fixture(scope="module")
def public(settings, tmp_path_factory) -> Iterator[CtkgServer]:
    """As in production behind a proxy: BASE_URL with a path, and the proxy's address trusted."""
    with ctkg_serve(settings, tmp_path_factory.mktemp("public") / "server.log", query_workers=1,
                    max_concurrent_per_client=1, base_url=PUBLIC, forwarded_allow_ips=PROXY) as running:
        yield running


def exchange(port: int, request: bytes, timeout: float = 5.0) -> tuple[bytes, bool]:
    """Send raw bytes; what came back until the server closed the connection or `timeout` passed, and
    whether it closed it."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as connection:
        connection.sendall(request)
        received = b""
        try:
            while chunk := connection.recv(65536):
                received += chunk
        except TimeoutError:
            return received, False
        return received, True


@contextmanager
def request_in_progress(server: CtkgServer, forwarded_for: str | None = None,
                        source: str = "127.0.0.1") -> Iterator[None]:
    """A POST whose body never comes, from `source` (saying it forwards `forwarded_for`): a request the server
    counts as in progress until the connection closes."""
    connection = socket.create_connection(("127.0.0.1", server.port), timeout=5, source_address=(source, 0))
    forwarded = f"X-Forwarded-For: {forwarded_for}\r\n" if forwarded_for else ""
    connection.sendall(f"POST /sparql HTTP/1.1\r\nHost: x\r\nContent-Type: application/sparql-query\r\n"
                       f"Content-Length: 100\r\n{forwarded}\r\n".encode())
    try:
        yield
    finally:
        connection.close()
        # until the server has seen it go, its request still counts against that client
        wait_until(lambda: status_from(server, forwarded_for, source) != 429, timeout=5, interval=0.05,
                   what="the held request ending")


def status_from(server: CtkgServer, forwarded_for: str | None = None, source: str = "127.0.0.1") -> int:
    with httpx.Client(transport=httpx.HTTPTransport(local_address=source), timeout=5) as http:
        return http.get(server.base + "/nowhere",
                        headers={"X-Forwarded-For": forwarded_for} if forwarded_for else {}).status_code


@pytest.mark.parametrize(("method", "path", "allow"), [
    ("DELETE", "/products", "GET, HEAD"),
    ("PUT", "/sparql", "GET, HEAD, POST"),
    ("POST", "/id/product/x", "GET, HEAD"),
    ("PATCH", "/health", "GET, HEAD"),
    ("DELETE", PRODUCT + "/timeline", "GET, HEAD"),
])
def test_every_405_says_which_methods_are_allowed(plain, method, path, allow):
    response = httpx.request(method, plain.base + path, timeout=10)
    assert response.status_code == 405 and response.headers["allow"] == allow


@pytest.mark.parametrize("path", [PRODUCT, "/products?limit=3", PAGE, "/sparql", "/sparql?query=ASK%7B%7D",
                                  "/authorities/fda", "/health"])
def test_head_answers_wherever_get_does(plain, path):
    with httpx.Client(base_url=plain.base, timeout=10) as http:
        got, head = http.get(path), http.head(path)
    assert got.status_code == head.status_code == 200, (got.status_code, head.status_code)
    assert head.content == b"" and head.headers["content-type"] == got.headers["content-type"]
    if path != "/health" and not path.startswith("/sparql"):  # whose answers change between two requests
        assert head.headers["content-length"] == got.headers["content-length"]


def _addresses(server: CtkgServer) -> dict[str, str]:
    """Where the server points a client that sent `Host: evil.example`: the service description's endpoint,
    the page's links and the redirect; the editor at `/` must not name that host either."""
    with httpx.Client(base_url=server.base, headers={"Host": EVIL}, timeout=10) as http:
        description = http.get("/sparql")
        page = http.get(PAGE, headers={"Accept": "text/html"})
        slash, home = http.get("/products/"), http.get("/")
    assert EVIL not in description.text + page.text + home.text
    graph = Graph().parse(data=description.content, format="turtle")
    (service,) = graph.subjects(RDF.type, URIRef(SD + "Service"))
    links = set(re.findall(r'href="([^"]+/id/[^"?]+)"', page.text))
    assert links, page.text[:500]
    return {"endpoint": str(graph.value(service, URIRef(SD + "endpoint"))), "page links": os.path.commonprefix(
        sorted(links)).rsplit("/id/", 1)[0], "slash redirect": slash.headers["location"]}


def test_links_and_redirects_use_the_servers_own_address_not_the_host_header(plain):
    assert _addresses(plain) == {"endpoint": plain.base + "/sparql", "page links": plain.base,
                                 "slash redirect": plain.base + "/products"}


def test_links_and_redirects_use_base_url(public):
    assert _addresses(public) == {"endpoint": PUBLIC + "/sparql", "page links": PUBLIC,
                                  "slash redirect": PUBLIC + "/products"}


def test_serving_beyond_loopback_needs_base_url(settings):
    env = {k: v for k, v in os.environ.items() if k != "CTKG_BASE_URL"}
    done = subprocess.run([sys.executable, "-m", "kg.cli", "serve", "--host", "0.0.0.0", "--port", str(free_port()),
                           "--store", str(settings.store_dir)], cwd=ROOT, env={**env, "PYTHONPATH": str(ROOT)},
                          capture_output=True, text=True, timeout=30)
    assert done.returncode == 2 and "CTKG_BASE_URL" in done.stderr, done.stderr[-2000:]


@pytest.mark.parametrize(("path", "accept"), [(PAGE, "text/html"), ("/docs", None), ("/redoc", None)])
def test_html_answers_cannot_be_framed(plain, path, accept):
    response = httpx.get(plain.base + path, headers={"Accept": accept} if accept else {}, timeout=10)
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/html")
    assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["referrer-policy"] == "no-referrer"
    assert response.headers["x-content-type-options"] == "nosniff"


@pytest.mark.parametrize(("method", "path", "status"), [
    ("GET", PRODUCT, 200),
    ("GET", "/products/no-such-product", 404),
    ("GET", "/products?limit=0", 422),
    ("GET", "/sparql?query=SELECT+%3Cscript%3Ealert(1)%3C/script%3E", 400),  # a plain-text error quoting the query
    ("GET", "/sparql?query=ASK%7B%7D&format=pdf", 406),
    ("DELETE", "/sparql", 405),
])
def test_every_answer_says_nosniff(plain, method, path, status):
    response = httpx.request(method, plain.base + path, timeout=10)
    assert response.status_code == status and response.headers["x-content-type-options"] == "nosniff"


def test_a_refused_client_is_told_nosniff_too(plain):
    with request_in_progress(plain):
        refused = wait_until(lambda: (r := httpx.get(plain.base + "/nowhere", timeout=5)).status_code == 429 and r,
                             timeout=5, interval=0.05, what="a 429")
    assert refused.headers["x-content-type-options"] == "nosniff"


def test_forwarded_for_is_ignored_by_default(plain):
    # The held request and the next one both come from 127.0.0.1; naming another address in X-Forwarded-For
    # must not make a second client with an allowance of its own.
    with request_in_progress(plain, forwarded_for="198.51.100.1"):
        wait_until(lambda: status_from(plain, forwarded_for="198.51.100.2") == 429, timeout=5, interval=0.05,
                   what="the second address counted as the same client")


def test_forwarded_for_is_believed_from_a_named_proxy(public):
    with request_in_progress(public, forwarded_for="198.51.100.1", source=PROXY):
        # the held request counts for the client the proxy named ...
        wait_until(lambda: status_from(public, "198.51.100.1", source=PROXY) == 429, timeout=5, interval=0.05,
                   what="the forwarded client's request counted")
        # ... and not for another client behind the same proxy, nor for the proxy itself
        assert status_from(public, "198.51.100.2", source=PROXY) == 404
        assert status_from(public, "198.51.100.1", source="127.0.0.1") == 404  # not a trusted proxy: its own


@pytest.mark.parametrize("request_bytes", [
    b"GET /health HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
    # a body that means one thing by its length and another by its chunks, smuggling a second request
    b"POST /sparql HTTP/1.1\r\nHost: x\r\nContent-Type: application/sparql-query\r\nContent-Length: 40\r\n"
    b"Transfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET /health HTTP/1.1\r\nHost: x\r\n\r\n",
])
def test_content_length_with_transfer_encoding_is_refused_and_the_connection_closed(plain, request_bytes):
    received, closed = exchange(plain.port, request_bytes)
    assert received.startswith(b"HTTP/1.1 400 "), received[:300]
    assert received.count(b"HTTP/1.1 ") == 1 and closed, received
