"""The screen: size and nesting before any parser, then the tokens where their reading is certain, else
the parse tree, for updates, SERVICE and FROM.

Then the same on the real server (`ctkg serve` on 127.0.0.1, all of data/), by each of the protocol's three
ways: SERVICE in every spelling, FROM and the dataset parameters naming anything to fetch or read, updates in
any form, and deep nesting are refused; a listener on 127.0.0.1 stands in for an outside host and records
any connection, and a marker file for a local file the server could read."""

from pathlib import Path

import httpx
import pytest

from api.errors import QueryError, QuerySyntaxError, QueryTooDeep, QueryTooLarge, ServiceRefused, UpdateRefused
from api.screen import (
    _read,
    _skim,
    check_size_and_nesting,
    explain_syntax_error,
    has_service_keyword,
    inspect,
    nesting_depth,
    parsed_shape,
    quick_shape,
)
from kg.vocab import ONTOLOGY_IRI, PREFIXES
from tests.support.queries import SERVICE_QUERIES, count, run
from tests.support.w3c import SUITES, read_suites

from .conftest import ROOT, assert_no_leak

COUNT_GRAPHS = "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }"


def test_nesting_ignores_strings_and_comments():
    assert nesting_depth('SELECT * { ?s ?p "{{{{" } # {{{{{') == 1


def test_nesting_counts_what_reads_as_an_iri():
    # `<((1))>` is an IRI to a lexer, a comparison of parenthesised 1 to the engine
    assert nesting_depth("SELECT * { FILTER(?a<((1))>?b) }") == 4


def test_nesting_counts_decoded_escapes():
    query = "SELECT * WHERE " + "\\u007B" * 100 + " ?s ?p ?o " + "\\u007D" * 100
    with pytest.raises(QueryTooDeep):
        check_size_and_nesting(query, 10_000, 64)


def _texts() -> list[tuple[str, str]]:
    """Every query the repository holds, each with the project's prologue too, and the W3C syntax suites'."""
    from kg.vocab import sparql_prologue

    texts = []
    for path in sorted(ROOT.glob("*/**/*.rq")):
        if ".venv" not in path.parts:
            text = path.read_text(encoding="utf-8")
            texts += [(str(path.relative_to(ROOT)), text), (f"{path.relative_to(ROOT)} + prologue",
                                                              sparql_prologue() + text)]
    if SUITES.is_dir():
        for test in read_suites().queries:
            texts.append((test.name, test.query().decode("utf-8", "replace")))
    return texts


SKIM_CASES = [
    "SELECT * { ?s ?p ?o } # FROM here",  # a keyword in a comment: not skimmed
    "PREFIX from: <http://e/> SELECT * { ?s from:p ?o }",
    "SELECT * { ?s <http://e/from> 1from }",
    "SELECT ?from { ?from ?p 'service' }",
    'SELECT * { ?s ?p "x"@from }',
    "SELECT * { ?s ?p ?o } VALUES ?o { 1 }",
    "# only a comment",
    "PREFIX ex: <http://e/>",
    "select*{?s ?p ?o}",
    "ASK{}",
    "SELECT * { " + "{" * 64 + "}" * 64 + " }",  # 65 brackets: past the bound, read in full
    "SELECT * { ?s ?p '{{{{' }",
    "SELECT * { ?s ?p ?o FILTER(?o<((1))>?b) }",
    "SELECT * { ?s ?p ?o } # wasDerivedFrom, FROMAGE, servicedesk",
]


TEXTS = _texts()  # read once, for the tests below


@pytest.mark.parametrize("text", [pytest.param(text, id=f"case-{i}") for i, text in enumerate(SKIM_CASES)]
                         + [pytest.param(text, id=name) for name, text in TEXTS])
def test_the_skim_reads_as_the_full_pass(text):
    full = _read(text)
    skimmed = _skim(text, 64)
    if skimmed is not None:
        assert (skimmed.empty, skimmed.service, skimmed.first, skimmed.exact) == (
            full.empty, full.service, full.first, full.exact)
        assert full.deepest <= skimmed.deepest <= 64


def test_most_queries_are_skimmed():
    """The skim is what most queries take: the competency questions, with their comments, and the API's own."""
    texts = [text for name, text in TEXTS if name.startswith(("kg/queries", "api/queries"))]
    skimmed = sum(_skim(text, 64) is not None for text in texts)
    assert skimmed >= 0.75 * len(texts)
    assert _skim("SELECT * FROM <http://e/g> { ?s ?p ?o }", 64) is None
    assert _skim("SELECT * { SERVICE <http://e/> { ?s ?p ?o } }", 64) is None
    assert _skim("SELECT * { ?s ?p '\\u0053' }", 64) is None


def test_a_text_of_many_words_spelt_from_is_read_once_not_word_by_word():
    # A reviewer's find: each word spelt FROM that is no keyword had its line read again, and one 10 kB line of
    # `?from` took 490 ms instead of 0.75. Past a few such words, the full pass reads the text instead.
    assert _skim("ASK { ?from ?service 'from' } # from", 64).first == "ASK"
    assert _skim("ASK {" + " ?from" * 1995 + " }", 64) is None


def test_thousands_of_braces_never_reach_a_parser():
    query = "SELECT * WHERE " + "{" * 5000 + "}" * 5000
    with pytest.raises(QueryTooDeep):
        check_size_and_nesting(query, 20_000, 64)


def test_size_limit_in_bytes():
    with pytest.raises(QueryTooLarge):
        check_size_and_nesting("SELECT * { ?s ?p 'é' }" + " " * 10_000, 10_000, 64)


@pytest.mark.parametrize("query", [
    "SELECT * WHERE { SERVICE <http://127.0.0.1:9/> { ?s ?p ?o } }",
    "select * where { sErViCe SILENT <http://127.0.0.1:9/> { ?s ?p ?o } }",
    "SELECT * WHERE { \\u0053ERVICE <http://127.0.0.1:9/> { ?s ?p ?o } }",
    "SELECT * WHERE { ?s ?p ?o FILTER EXISTS { SERVICE <http://127.0.0.1:9/> { ?s ?p ?o } } }",
    "SELECT * WHERE { { SELECT ?s WHERE { SERVICE <http://127.0.0.1:9/> { ?s ?p ?o } } } }",
    "ASK { SERVICE <http://127.0.0.1:9/> { ?s ?p ?o } }",
    "CONSTRUCT WHERE { SERVICE <http://127.0.0.1:9/> { ?s ?p ?o } }",
])
def test_service_is_refused(query):
    with pytest.raises(ServiceRefused):
        inspect(query, PREFIXES)


SERVICE = "SERVICE <http://127.0.0.1:9/> { ?s ?p ?o }"


@pytest.mark.parametrize("query", [
    f"SELECT * {{ {SERVICE} }}",
    f"SELECT * {{ OPTIONAL {{ {SERVICE} }} }}",
    f"SELECT * {{ {{ ?a ?b ?c }} UNION {{ {SERVICE} }} }}",
    f"SELECT * {{ ?a ?b ?c MINUS {{ {SERVICE} }} }}",
    f"SELECT * {{ GRAPH ?g {{ {SERVICE} }} }}",
    f"SELECT * {{ ?a ?b ?c FILTER NOT EXISTS {{ {SERVICE} }} }}",
    f"SELECT (EXISTS {{ {SERVICE} }} AS ?x) {{ }}",
    f"SELECT * {{ BIND(EXISTS {{ {SERVICE} }} AS ?x) }}",
    f"SELECT * {{ {{ SELECT * {{ {{ SELECT * {{ {SERVICE} }} }} }} }} }}",
    f"ASK {{ ?a ?b ?c FILTER(?a || EXISTS {{ {SERVICE} }}) }}",
    f"SELECT ?a {{ ?a ?b ?c }} GROUP BY ?a HAVING (EXISTS {{ {SERVICE} }})",
    f"SELECT * {{ ?a ?b ?c }} ORDER BY (EXISTS {{ {SERVICE} }})",
    f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ {SERVICE} }}",
    f"DESCRIBE ?s WHERE {{ {SERVICE} }}",
])
def test_the_parse_tree_alone_finds_service_anywhere(query, monkeypatch):
    monkeypatch.setattr("api.screen.has_service_keyword", lambda text: False)
    with pytest.raises(ServiceRefused):
        parsed_shape(query, PREFIXES)
    with pytest.raises(ServiceRefused):  # and the tokens alone find it too
        quick_shape(query)
    with pytest.raises(ServiceRefused):  # and rdflib's reading of escapes is covered too
        inspect(query.replace("SERVICE", "\\u0053ERVICE"), PREFIXES)


@pytest.mark.parametrize("query", [
    'SELECT ?service WHERE { ?service ?p "SERVICE" } # SERVICE',
    "PREFIX service: <http://example.org/> SELECT * WHERE { ?s service:p ?o }",
    "PREFIX ex: <http://example.org/> SELECT * WHERE { ?s ex:SERVICE ?o }",
])
def test_the_word_elsewhere_is_not_service(query):
    assert not has_service_keyword(query)
    inspect(query, PREFIXES)


@pytest.mark.parametrize("update", [
    "INSERT DATA { <http://a> <http://b> <http://c> }",
    "LOAD <http://127.0.0.1:9/data.ttl>",
    "DROP ALL",
    "DELETE WHERE { ?s ?p ?o }",
    "CLEAR DEFAULT",
])
def test_updates_are_refused(update):
    with pytest.raises(UpdateRefused):
        inspect(update, PREFIXES)


def test_syntax_error_says_where():
    with pytest.raises(QuerySyntaxError) as caught:
        parsed_shape("SELECT * WHERE {\n  ?s ?p ?o .\n  FILTER(?o = ) }", PREFIXES)
    assert "line 3" in caught.value.message


def test_dataset_clauses_are_read_from_the_tree():
    shape = inspect("PREFIX ex: <http://example.org/> SELECT * FROM ex:a FROM NAMED <http://example.org/b> "
                    "WHERE { ?s ?p ?o }", PREFIXES)
    assert shape.form == "SELECT"
    assert shape.default_graphs == ("http://example.org/a",)
    assert shape.named_graphs == ("http://example.org/b",)


def test_predeclared_prefixes_resolve_in_from():
    shape = inspect("SELECT * FROM ctkg:x WHERE { ?s ?p ?o }", PREFIXES)
    assert shape.default_graphs == ("https://w3id.org/ctkg/ontology#x",)


def test_a_syntax_error_the_engine_finds_is_explained_with_its_line():
    explained = explain_syntax_error("SELECT * WHERE {\n  ?s ?p ?o .\n  FILTER(?o = ) }", PREFIXES, "engine says")
    assert isinstance(explained, QuerySyntaxError) and "line 3" in explained.message
    # where rdflib finds no fault, the engine's own message stands
    assert "engine says" in explain_syntax_error("SELECT * WHERE { ?s ?p ?o }", PREFIXES, "engine says").message


@pytest.mark.parametrize("query", [
    'SELECT * WHERE { ?s ?p "\\u0041" }',  # an escape rdflib and Jena decode before they read anything
    "SELECT * WHERE { BIND('''long''' AS ?x) }",
    'SELECT * WHERE { BIND("""long""" AS ?x) }',
    "SELECT * FROM <http://example.org/g> WHERE { ?s ?p ?o }",
    "SELECT * WHERE { ?s ?p ?o \\ }",  # a backslash that escapes nothing in a name
    "JUNK",
])
def test_what_the_tokens_cannot_settle_goes_to_the_parser(query):
    assert quick_shape(query) is None


def test_an_escaped_hash_in_a_prefixed_name_hides_nothing():
    """`ex:a\\#b` is one name to a SPARQL lexer: its `#` opens no comment that could hide SERVICE."""
    query = "PREFIX ex: <http://e/> SELECT * WHERE { ?s ex:a\\#b ?o . SERVICE <http://127.0.0.1:9/> { ?s ?p ?o } }"
    assert has_service_keyword(query)
    with pytest.raises(ServiceRefused):
        quick_shape(query)


def test_a_long_string_whose_end_lexers_may_read_differently_is_parsed():
    query = "SELECT * WHERE { BIND('''a'''' AS ?x) SERVICE <http://127.0.0.1:9/> { ?s ?p ?o } } #'"
    assert quick_shape(query) is None
    with pytest.raises((ServiceRefused, QuerySyntaxError)):
        inspect(query, PREFIXES)


QUERY_FILES = sorted([*(ROOT / "kg" / "queries").glob("*.rq"), *(ROOT / "api" / "queries").glob("*.rq")])


@pytest.mark.parametrize("path", QUERY_FILES, ids=lambda p: f"{p.parent.parent.name}/{p.name}")
def test_the_tokens_read_what_the_parser_reads(path):
    text = path.read_text(encoding="utf-8")
    quick = quick_shape(text)
    assert quick is not None, "the project's own queries are read from their tokens"
    assert quick == parsed_shape(text, PREFIXES)


def nothing_arrived(listener) -> None:
    assert listener.received() == 0


# --- on the real server: SERVICE in every spelling ----------------------------------------------------

@pytest.mark.parametrize("method", ["GET", "FORM", "DIRECT"])
@pytest.mark.parametrize("spelling", SERVICE_QUERIES)
def test_service_is_refused_and_nothing_is_sent(real_server, listener, spelling, method):
    query = SERVICE_QUERIES[spelling].format(url=f"http://127.0.0.1:{listener.port}/sparql")
    response = run(real_server.base, query, method)
    assert response.status_code == 400 and "SERVICE" in response.text
    assert_no_leak(response)
    nothing_arrived(listener)


# --- FROM, FROM NAMED, default-graph-uri, named-graph-uri naming something to fetch or read ----------

@pytest.fixture(scope="module")
def marker_file(tmp_path_factory) -> tuple[Path, str]:
    """A local file the server could read, with a string that must never appear in an answer."""
    marker = "ctkg-marker-4f0c2a9e"
    path = tmp_path_factory.mktemp("outside") / "marker.ttl"
    path.write_text(f'<urn:ctkg:outside> <urn:ctkg:says> "{marker}" .\n# {marker}\n', encoding="utf-8")
    return path, marker


def _dataset_requests(http_url: str, file_url: str) -> list[dict]:
    requests = []
    for url in (http_url, file_url):
        requests += [
            {"query": f"SELECT * FROM <{url}> WHERE {{ ?s ?p ?o }}"},
            {"query": f"SELECT * FROM NAMED <{url}> WHERE {{ GRAPH ?g {{ ?s ?p ?o }} }}"},
            {"query": f"SELECT * FROM <{ONTOLOGY_IRI}> FROM <{url}> WHERE {{ ?s ?p ?o }}"},
            {"query": "SELECT * WHERE { ?s ?p ?o }", "default-graph-uri": url},
            {"query": "SELECT * WHERE { GRAPH ?g { ?s ?p ?o } }", "named-graph-uri": url},
            {"query": f"CONSTRUCT {{ ?s ?p ?o }} FROM <{url}> WHERE {{ ?s ?p ?o }}"},
            {"query": f"ASK FROM <{url}> {{ ?s ?p ?o }}"},
        ]
    return requests


@pytest.mark.parametrize("method", ["GET", "FORM", "DIRECT"])
def test_remote_and_local_datasets_are_refused_and_nothing_is_read(real_server, listener, marker_file, method):
    path, marker = marker_file
    http_url = f"http://127.0.0.1:{listener.port}/data.ttl"
    for params in _dataset_requests(http_url, path.as_uri()):
        response = run(real_server.base, method=method, **params)
        assert response.status_code == 400 and "not a graph of this store" in response.text, params
        assert_no_leak(response, marker, echoed=path.as_uri())
    nothing_arrived(listener)


def test_graph_patterns_naming_addresses_read_nothing(real_server, listener, marker_file):
    path, marker = marker_file
    for url in (f"http://127.0.0.1:{listener.port}/data.ttl", path.as_uri()):
        for query in (f"SELECT * WHERE {{ GRAPH <{url}> {{ ?s ?p ?o }} }}", f"DESCRIBE <{url}>",
                      f"SELECT * WHERE {{ <{url}> ?p ?o }}"):
            response = run(real_server.base, query)
            assert response.status_code == 200 and marker not in response.text
            assert "ctkg:outside" not in response.text and "urn:ctkg:says" not in response.text
    nothing_arrived(listener)


# --- updates in any form ------------------------------------------------------------------------------

def _updates(url: str) -> list[str]:
    return [
        "INSERT DATA { <urn:ctkg:x> <urn:ctkg:y> <urn:ctkg:z> }",
        "INSERT DATA { GRAPH <urn:ctkg:g> { <urn:ctkg:x> <urn:ctkg:y> <urn:ctkg:z> } }",
        "DELETE WHERE { ?s ?p ?o }",
        "DELETE { ?s ?p ?o } INSERT { ?s ?p 'changed' } WHERE { ?s ?p ?o }",
        f"LOAD <{url}>",
        f"LOAD SILENT <{url}> INTO GRAPH <urn:ctkg:g>",
        "DROP ALL", "CLEAR DEFAULT", "CREATE GRAPH <urn:ctkg:g>", "COPY DEFAULT TO <urn:ctkg:g>",
        "insert data { <urn:ctkg:x> <urn:ctkg:y> <urn:ctkg:z> }",
        "\\u0044ROP ALL",
    ]


def test_updates_are_refused_and_the_graph_is_unchanged(real_server, listener, marker_file):
    base = real_server.base
    before = (count(base), count(base, COUNT_GRAPHS))
    path, marker = marker_file
    for url in (f"http://127.0.0.1:{listener.port}/data.ttl", path.as_uri()):
        for update in _updates(url):
            attempts = [
                httpx.get(f"{base}/sparql", params={"update": update}),
                httpx.post(f"{base}/sparql", data={"update": update}),
                httpx.post(f"{base}/sparql", content=update.encode(),
                           headers={"Content-Type": "application/sparql-update"}),
                run(base, update, "GET"), run(base, update, "FORM"), run(base, update, "DIRECT"),
            ]
            for response in attempts:
                assert response.status_code == 403 and "read-only" in response.text, (update, response.text)
                assert marker not in response.text
    nothing_arrived(listener)
    assert (count(base), count(base, COUNT_GRAPHS)) == before
    assert run(base, "ASK { GRAPH ?g { <urn:ctkg:x> ?p ?o } }").json()["boolean"] is False
    assert run(base, "ASK { GRAPH <urn:ctkg:g> { ?s ?p ?o } }").json()["boolean"] is False


# --- deep nesting ------------------------------------------------------------------------------------

def test_deep_nesting_is_400_and_the_server_lives_on(real_server):
    base = real_server.base
    real_server.wait_ready()
    workers = set(real_server.workers())
    deep = [
        "SELECT * WHERE " + "{" * 4000 + " ?s ?p ?o " + "}" * 4000,
        "SELECT * WHERE " + "\\u007B" * 800 + " ?s ?p ?o " + "\\u007D" * 800,
        "SELECT * WHERE { ?s ?p ?o FILTER(" + "(" * 4000 + "1" + ")" * 4000 + ") }",
        "SELECT * WHERE { ?s ?p " + "[ ?p " * 1200 + "1" + " ]" * 1200 + " }",
        "SELECT * WHERE { ?s ?p ?o FILTER(?o IN (" + "(" * 4000 + "))",  # unbalanced
        "ASK " + "{ " * 3000,
    ]
    for query in deep:
        for method in ("GET", "FORM", "DIRECT"):
            response = run(base, query, method)
            assert response.status_code == 400 and "nest" in response.text, (query[:40], response.text[:200])
    assert real_server.process.poll() is None
    assert httpx.get(f"{base}/health").status_code == 200
    assert set(real_server.workers()) == workers  # refused in the server: no worker even saw them
    assert count(base) > 0


def _w3c_queries() -> list[str]:
    from tests.support.w3c import SUITES, read_suites

    if not SUITES.is_dir():
        return []
    return [test.query().decode("utf-8", "replace") for test in read_suites(SUITES).queries]


def test_the_screen_answers_any_text_with_a_shape_or_a_query_error():
    """Every W3C syntax query, whole and cut at three points, and a few hostile texts: the screen either says
    what the query is or raises a QueryError (a 4xx), never anything else (which would be a 500)."""
    texts = ["SELECT * FROM nope:g WHERE {}", "SELECT * WHERE { <a><b>-1.0 }", "\\U00110000", "PREFIX", "{{{",
             "SELECT * WHERE { ?s ?p ?o } GROUP BY", 'ASK { "\\u0041"@en--rtl }']
    for query in _w3c_queries():
        texts += [query, query[: len(query) // 3], query[: len(query) // 2], query[: 2 * len(query) // 3]]
    for text in texts:
        try:
            inspect(text, PREFIXES)
        except QueryError:
            pass
