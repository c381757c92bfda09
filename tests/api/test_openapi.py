"""The OpenAPI description is kept: schemathesis, every check it has, on the real server.

Each operation gets a bounded number of generated requests (valid and invalid); every answer must be one
the description documents (status, media type, headers, body schema), invalid input must be refused with
a 4xx, and nothing may be a 5xx. Runs in CI with the rest of the tests.
"""

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import CHECKS, load_all_checks

MAX_EXAMPLES = 30  # per operation; the whole run stays well under a minute

load_all_checks()
ALL_CHECKS = CHECKS.get_all()


# The description cannot say which strings are SPARQL, nor which result formats fit which query form, nor
# how many bytes a query takes: for /sparql, a request it calls valid may still be a syntax error (400), ask
# for a format its answer cannot take (406) or be over the size limit (413). Every other expectation holds,
# and no answer is a 5xx.
SPARQL_STATUSES = {"positive_data_acceptance": {"expected-statuses": [
                       "2xx", "3xx", "400", "401", "403", "404", "406", "409", "413", "429"]},
                   "negative_data_rejection": {"expected-statuses": [
                       "400", "401", "403", "404", "405", "406", "409", "413", "415", "422", "428", "429"]}}
CONFIG = {"operations": [{"include-path": "/sparql", "checks": SPARQL_STATUSES}]}


@pytest.fixture(scope="module")
def api_schema(real_server):
    return schemathesis.openapi.from_url(f"{real_server.base}/openapi.json",
                                         config=schemathesis.Config.from_dict(CONFIG))


schema = schemathesis.pytest.from_fixture("api_schema")


@schema.parametrize()
@settings(max_examples=MAX_EXAMPLES, deadline=None, derandomize=True,
          suppress_health_check=list(HealthCheck))
def test_every_operation_keeps_its_contract(case):
    case.call_and_validate(checks=ALL_CHECKS)
