"""SPARQL sent to a real server's /sparql: a query by each of the protocol's three ways (GET, a POSTed form,
a POSTed query), a count, and the queries that try to keep a worker busy, fill its memory, or call out."""

import httpx

COUNT_ALL = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
QUERY_FORM = {"Content-Type": "application/sparql-query"}

# A count over a cross product of the whole graph: it runs until the deadline stops it.
RUNAWAY = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l }"
# ORDER BY ... LIMIT on a cross product: a sort that holds ever more rows in memory.
SORTED_CROSS_PRODUCT = "SELECT ?s WHERE { ?a ?b ?c . ?d ?e ?f . ?s ?h ?i } ORDER BY ?s ?c ?f LIMIT 10"
# SERVICE in every spelling, to be formatted with the `url` of an outside host.
SERVICE_QUERIES = {
    "plain": "SELECT * WHERE {{ SERVICE <{url}> {{ ?s ?p ?o }} }}",
    "silent": "SELECT * WHERE {{ SERVICE SILENT <{url}> {{ ?s ?p ?o }} }}",
    "mixed case": "select * where {{ sErViCe <{url}> {{ ?s ?p ?o }} }}",
    "u escape": "SELECT * WHERE {{ \\u0053ERVICE <{url}> {{ ?s ?p ?o }} }}",
    "U escape, silent": "SELECT * WHERE {{ \\U00000053ervice \\u0053ILENT <{url}> {{ ?s ?p ?o }} }}",
    "filter exists": "SELECT * WHERE {{ ?x ?y ?z FILTER EXISTS {{ SERVICE <{url}> {{ ?s ?p ?o }} }} }}",
    "subquery": "SELECT * WHERE {{ {{ SELECT ?s WHERE {{ SERVICE <{url}> {{ ?s ?p ?o }} }} }} }}",
    "ask": "ASK {{ SERVICE <{url}> {{ ?s ?p ?o }} }}",
    "variable endpoint": "SELECT * WHERE {{ BIND(<{url}> AS ?e) SERVICE ?e {{ ?s ?p ?o }} }}",
}


def run(base: str, query: str, method: str = "GET", timeout: float = 30, **params) -> httpx.Response:
    """A query sent by GET, by POST of a form ("FORM"), or by POST of the query itself ("DIRECT")."""
    if method == "GET":
        return httpx.get(f"{base}/sparql", params={"query": query, **params}, timeout=timeout)
    if method == "FORM":
        return httpx.post(f"{base}/sparql", data={"query": query, **params}, timeout=timeout)
    return httpx.post(f"{base}/sparql", content=query.encode(), params=params, headers=QUERY_FORM, timeout=timeout)


def count(base: str, query: str = COUNT_ALL) -> int:
    """The `?n` of a one-row count query; AssertionError if it is not answered 200."""
    response = run(base, query)
    assert response.status_code == 200, response.text
    return int(response.json()["results"]["bindings"][0]["n"]["value"])
