"""The engine (`api.engine`), the worker side of query execution: paging, the row cap, the form checked before
the query runs, no graph, and a rebuild picked up without a restart."""

import json
import shutil

import pyoxigraph as ox
import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.engine import Engine
from api.errors import NotAcceptable, StoreUnavailable, TooManyRows
from api.jobs import Page, QueryJob
from kg.build import build
from kg.rq import query_files
from kg.vocab import PREFIXES

from .conftest import HERE, LOCAL_STORE

APPLICATIONS = "SELECT ?a WHERE { ?a a ctkg:RegulatoryApplication } ORDER BY ?a"


def values(answer) -> list[str]:
    results = json.loads(answer.body)
    return [b[results["head"]["vars"][0]]["value"] for b in results["results"]["bindings"]]


@pytest.fixture(scope="module")
def engine(settings):
    return Engine(settings.store_dir, max_rows=4, prefixes=PREFIXES)


def test_a_page_and_the_total(engine):
    everything = values(Engine(engine.store_dir, 100, PREFIXES).answer(QueryJob(APPLICATIONS, {"solutions": "json"})))
    assert len(everything) == 5
    page = engine.answer(QueryJob(APPLICATIONS, {"solutions": "json"}, page=Page(offset=1, limit=2, key="a")))
    assert values(page) == everything[1:3] and page.total == 5


def test_a_page_counts_items_not_rows(engine):
    # two rows per application (one per type it has): a page of 2 items is 4 rows
    query = "SELECT ?a ?t WHERE { ?a a ctkg:RegulatoryApplication ; a ?t } ORDER BY ?a ?t"
    page = engine.answer(QueryJob(query, {"solutions": "json"}, page=Page(offset=0, limit=2, key="a")))
    assert page.total == 5 and len(set(values(page))) == 2


def test_the_row_cap_refuses(engine):
    with pytest.raises(TooManyRows):
        engine.answer(QueryJob(APPLICATIONS, {"solutions": "json"}))


def test_a_json_answer_is_the_tsv_answer_converted(settings):
    # Written directly as JSON, counted by what lies between rows: the same bytes as the TSV answer converted.
    engine = Engine(settings.store_dir, 10_000, PREFIXES)
    questions = query_files("kg", "queries")
    assert len(questions) >= 15
    for name, text in questions.items():
        direct = engine.answer(QueryJob(text, {"solutions": "json"}))
        converted = ox.parse_query_results(engine.answer(QueryJob(text, {"solutions": "tsv"})).body,
                                           format=ox.QueryResultsFormat.TSV)
        assert direct.body == converted.serialize(format=ox.QueryResultsFormat.JSON), name
        assert direct.count == len(json.loads(direct.body)["results"]["bindings"]), name


@pytest.mark.parametrize(("rows", "refused"), [(4, False), (5, True)])
def test_strings_that_look_like_rows_are_counted_exactly(engine, rows, refused):
    # each value holds `},{` a hundred times: the bound from the JSON is over the cap of 4, so the answer is
    # counted exactly, and refused only when its rows are more than the cap
    numbers = " ".join(str(n) for n in range(rows))
    query = f'SELECT ?v WHERE {{ VALUES ?n {{ {numbers} }} BIND (CONCAT(STR(?n), "{"},{" * 100}") AS ?v) }}'
    if refused:
        with pytest.raises(TooManyRows):
            engine.answer(QueryJob(query, {"solutions": "json"}))
    else:
        answer = engine.answer(QueryJob(query, {"solutions": "json"}))
        assert len(json.loads(answer.body)["results"]["bindings"]) == rows and answer.count == rows


def test_an_answer_over_the_cap_is_refused_without_running_it_again(engine):
    # the JSON written so far shows more rows than the cap of 4: refused at once; the query is run again (`again`)
    # only when strings may have raised the count
    def again():
        raise AssertionError("the query was run again")

    result = engine.store().query(APPLICATIONS, prefixes=PREFIXES)
    with pytest.raises(TooManyRows):
        engine._serialize(result, QueryJob(APPLICATIONS, {"solutions": "json"}), "SELECT", again=again)


def test_the_form_is_checked_before_the_query_runs(engine):
    with pytest.raises(NotAcceptable):
        engine.answer(QueryJob("CONSTRUCT WHERE { ?s ?p ?o }", {"solutions": "json"}))


def test_no_graph_is_unavailable(tmp_path):
    with pytest.raises(StoreUnavailable):
        Engine(tmp_path, 10, PREFIXES).answer(QueryJob("ASK {}", {"solutions": "json"}))


def test_every_api_query_parses(engine):
    from api.screen import inspect

    queries = query_files("api", "queries")
    assert len(queries) >= 10
    for text in queries.values():
        inspect(text, PREFIXES)


@pytest.mark.embedded_only(LOCAL_STORE)
def test_a_rebuild_is_served_without_a_restart(settings, tmp_path):
    data = tmp_path / "data"
    shutil.copytree(settings.data_dir, data)
    local = settings.model_copy(update={"data_dir": data, "store_dir": tmp_path / "store", "query_workers": 1})
    build(local)
    with TestClient(create_app(local)) as client:
        assert client.get("/companies/markup-corp").status_code == 404
        shutil.copy(HERE / "data" / "markup-in-labels.yaml", data)
        build(local)
        assert client.get("/companies/markup-corp").status_code == 200


@pytest.mark.embedded_only(LOCAL_STORE)
def test_without_a_graph_every_query_says_503(settings, tmp_path):
    empty = settings.model_copy(update={"store_dir": tmp_path / "nothing-built", "query_workers": 1})
    with TestClient(create_app(empty)) as client:
        health = client.get("/health")
        assert health.status_code == 503 and health.json()["status"] == "unavailable"
        for path in ("/products", "/stats", "/sparql?query=ASK%20%7B%7D"):
            response = client.get(path)
            assert response.status_code == 503 and "run `ctkg build`" in response.text
            assert response.headers["retry-after"]
        assert client.get("/sparql").status_code == 200  # the service description, with no graphs
