"""Issue 5, items 11, 13 and 14: REST parameters that try to inject, what the project parses from files
(facts YAML, the ontology's and the shapes' Turtle), and what an error body may show.

Item 13 in short: the only input from outside the code that the project parses is a facts file (YAML,
read with a SafeLoader that also refuses aliases) and the Turtle of ontology/ and shapes/; the API takes
no upload (its only POST is a SPARQL query). These tests check that nothing in those files makes the
build fetch or read anything, and that files of other RDF syntaxes are not read at all.
"""

import json
import shutil
import subprocess
import sys
import time
import tracemalloc
from pathlib import Path
from urllib.parse import quote

import httpx
import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from kg.build import build
from kg.errors import FactsError
from kg.facts import read_facts
from kg.settings import Settings

from .conftest import LOCAL_STORE, ROOT, SEED, assert_no_leak

# --- 11. REST injection attempts -------------------------------------------------------------------

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


# --- 13. Facts files: YAML that executes, expands or nests ----------------------------------------------

def _billion_laughs() -> str:
    levels = ['&a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    levels += [f"&a{i} [" + ",".join([f"*a{i - 1}"] * 9) + "]" for i in range(1, 10)]
    return "source:\n  id: laughs\n  title: [" + ", ".join(levels) + "]\n"


def _python_tags(target: Path) -> list[str]:
    return [
        f'source:\n  id: tags\n  title: !!python/object/apply:os.system ["touch {target}"]\n',
        f'source:\n  id: tags\n  title: !!python/object/new:subprocess.Popen [["touch", "{target}"]]\n',
        "source:\n  id: tags\n  title: !!python/name:os.system\n",
        "source:\n  id: tags\n  title: !!python/module:os\n",
        f'source: !!python/object/apply:builtins.exec ["open(\'{target}\', \'w\')"]\n',
    ]


BAD_YAML = {
    "billion laughs": _billion_laughs(),
    "merge key": "defaults: &d {title: x}\nsource:\n  <<: *d\n  id: merged\n",
    "alias of a scalar": "source:\n  id: &i aliased\n  title: *i\n",
    "deep nesting": "source:\n  id: deep\n  title: " + "[" * 20_000 + "]" * 20_000 + "\n",
}


@pytest.mark.parametrize("name", BAD_YAML)
def test_expanding_or_deep_yaml_is_refused_at_once(tmp_path, name):
    path = tmp_path / "facts.yaml"
    path.write_text(BAD_YAML[name], encoding="utf-8")
    started = time.monotonic()
    with pytest.raises(FactsError) as refused:
        read_facts(path)
    assert time.monotonic() - started < 2.0
    assert "alias" in str(refused.value) or "nests too deeply" in str(refused.value)
    if name != "deep nesting":  # (tracing every allocation makes PyYAML's recursion slow)
        tracemalloc.start()
        try:
            with pytest.raises(FactsError):
                read_facts(path)
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
        assert peak < 5_000_000


def test_python_tags_are_refused_and_run_nothing(tmp_path):
    target = tmp_path / "pwned"
    for number, text in enumerate(_python_tags(target)):
        path = tmp_path / f"tags-{number}.yaml"
        path.write_text(text, encoding="utf-8")
        with pytest.raises(FactsError, match="invalid YAML"):
            read_facts(path)
    assert not target.exists()


def test_the_build_refuses_a_bomb_quickly_and_keeps_the_graph(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    shutil.copy(SEED, data / SEED.name)
    (data / "laughs.yaml").write_text(_billion_laughs(), encoding="utf-8")
    started = time.monotonic()
    done = subprocess.run([sys.executable, "-m", "kg.cli", "build", "--data", str(data), "--store",
                           str(tmp_path / "store")], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 1 and "aliases" in done.stderr and "Traceback" not in done.stderr
    assert time.monotonic() - started < 30
    assert not (tmp_path / "store" / "current").exists()


# --- 13. Ontology and shapes: nothing fetched, other syntaxes never read -------------------------------

def _outside_files(port: int) -> dict[str, str]:
    outside = f"http://127.0.0.1:{port}"
    return {
        # Turtle that names outside addresses every way it can: prefixes, a base, imports, a shapes graph
        "imports.ttl": f"""@base <{outside}/base/> .
@prefix owl: <http://www.w3.org/2002/07/owl#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix sh: <http://www.w3.org/ns/shacl#> .
@prefix ext: <{outside}/ns#> .
<urn:ctkg:test:outside> a owl:Ontology ; owl:imports <{outside}/ontology.ttl>, <relative.ttl> ;
    rdfs:seeAlso <{outside}/see-also> ; sh:shapesGraph <{outside}/shapes.ttl> ; sh:entailment ext:x .
""",
        # other syntaxes are not read at all: an entity bomb, an external entity, a remote JSON-LD context
        "bomb.rdf": """<?xml version="1.0"?>
<!DOCTYPE r [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">
<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;"><!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;">
<!ENTITY e "&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;"><!ENTITY f "&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;">
<!ENTITY g "&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;"><!ENTITY h "&g;&g;&g;&g;&g;&g;&g;&g;&g;&g;">]>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns:rdfs="http://www.w3.org/2000/01/rdf-schema#">
  <rdf:Description rdf:about="urn:ctkg:bomb"><rdfs:label>&h;</rdfs:label></rdf:Description>
</rdf:RDF>
""",
        "external.owl": f"""<?xml version="1.0"?>
<!DOCTYPE r [<!ENTITY x SYSTEM "{outside}/entity">]>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
  <rdf:Description rdf:about="urn:x">&x;</rdf:Description>
</rdf:RDF>
""",
        "context.jsonld": f'{{"@context": "{outside}/context.jsonld", "@id": "urn:ctkg:x", "name": "x"}}\n',
    }


def test_building_fetches_nothing_and_reads_only_turtle_and_yaml(tmp_path, listener):
    ontology, shapes, data = tmp_path / "ontology", tmp_path / "shapes", tmp_path / "data"
    shutil.copytree(ROOT / "ontology", ontology)
    shutil.copytree(ROOT / "shapes", shapes)
    data.mkdir()
    shutil.copy(SEED, data / SEED.name)
    for folder in (ontology, shapes, data):
        for name, text in _outside_files(listener.port).items():
            (folder / name).write_text(text, encoding="utf-8")
    (data / "facts-with-urls.yaml").write_text(
        f"source:\n  id: outside-urls\n  label: A source whose address is a listener\n"
        f"  url: http://127.0.0.1:{listener.port}/article\n", encoding="utf-8")
    settings = Settings(ontology_dir=ontology, shapes_dir=shapes, data_dir=data, store_dir=tmp_path / "store")
    started = time.monotonic()
    report = build(settings)
    assert time.monotonic() - started < 30
    assert report.sources == 2  # the two facts files; nothing else in data/ was read
    assert listener.received() == 0


def test_the_api_takes_no_rdf_upload(real_server, listener):
    bomb = _outside_files(listener.port)["bomb.rdf"].encode()
    for path in ("/sparql", "/products", "/id/authority/fda"):
        for media_type in ("application/rdf+xml", "application/ld+json", "text/turtle"):
            started = time.monotonic()
            response = httpx.post(f"{real_server.base}{path}", content=bomb, headers={"Content-Type": media_type})
            assert response.status_code in (405, 415) and time.monotonic() - started < 1.0
            assert "aaaa" not in response.text
    assert listener.received() == 0


# --- 14. Error bodies -------------------------------------------------------------------------------

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
        response = client.get("/products")
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
