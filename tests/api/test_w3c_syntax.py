"""The W3C SPARQL 1.0 and 1.1 query-syntax suites through `/sparql` of the real server (`ctkg serve`) on
127.0.0.1, one test per W3C test: every valid query is accepted (or refused by policy, with a 400 that says
so: a FROM naming a graph outside the store, a function the endpoint lacks), every invalid one is a 400, and
none is a 5xx. The suites are read where they are kept, `../shared/w3c-sparql-syntax/` (read by
`tests/support/w3c.py`; `bench/w3c_syntax.py` prints the counts beside Oxigraph server's)."""

import httpx
import pytest

from tests.support.w3c import SUITES, Outcome, SyntaxTest, read_suites, send

from .conftest import assert_no_leak


def _tests() -> list:
    if not SUITES.is_dir():
        return [pytest.param(None, marks=pytest.mark.skip(reason=f"the W3C syntax suites are not at {SUITES}"))]
    suites = read_suites(SUITES)
    assert suites.queries, f"no query-syntax test in the manifests under {SUITES}"
    return [pytest.param(test, id=test.name) for test in suites.queries]


@pytest.fixture(scope="module")
def client():
    with httpx.Client(timeout=30) as session:
        yield session


@pytest.mark.parametrize("test", _tests())
def test_w3c_syntax(real_server, client, test: SyntaxTest):
    answer = send(client, real_server.query_url, test)
    if test.valid:
        assert answer == Outcome.ACCEPTED or answer.by_policy, f"{test.name} is valid SPARQL: {answer.value}"
    else:
        assert answer == Outcome.REFUSED, f"{test.name} is not valid SPARQL: {answer.value}"
        response = client.post(real_server.query_url, content=test.query(),
                               headers={"Content-Type": "application/sparql-query"})
        assert response.status_code == 400, response.text
        assert_no_leak(response, echoed=test.query().decode("utf-8", "replace"))
