"""/search: resources named by a text (an index lookup on a few spellings), else those whose names
contain it, ignoring case; text that tries to inject SPARQL finds nothing."""

import pytest

from tests.support.hostile import INJECTIONS

from ..conftest import PRODUCT, SOURCE, ids


def test_search_is_case_insensitive_over_labels_and_aliases(client):
    hits = client.get("/search", params={"q": "FUCASO"}).json()["data"]
    assert hits[0]["id"] == PRODUCT and hits[0]["matched"] == "Fucaso" and hits[0]["kind"] == "product"
    assert "pmda" in ids(client.get("/search", params={"q": "pharmaceutical and medical"}).json()["data"])


def test_search_answers_the_resources_named_by_the_text_when_there_are_some(client):
    """`hong kong` is an alias of the jurisdiction, in title case: found by an index lookup on that spelling,
    and then the names that merely contain it are not listed, unless match=contains asks for them."""
    named = client.get("/search", params={"q": "hong kong"}).json()
    assert ids(named["data"]) == ["hong-kong-sar"] and named["count"] == 1
    assert named["data"][0]["matched"] == "Hong Kong" and named["data"][0]["kind"] == "jurisdiction"
    containing = client.get("/search", params={"q": "hong kong", "match": "contains"}).json()
    assert {"hong-kong-sar", "hk-department-of-health", SOURCE} <= set(ids(containing["data"]))
    assert containing["count"] == len(containing["data"]) == 3


def test_search_falls_back_to_names_containing_the_text(client):
    """No name is spelt `iaso BIO` in any of the looked-up spellings: every name containing it, ignoring
    case, is the answer, the one equal to it ignoring case first."""
    hits = client.get("/search", params={"q": "iaso BIO"}).json()
    assert ids(hits["data"]) == ["iaso-bio"] and hits["data"][0]["matched"] == "IASO Bio"
    everything = client.get("/search", params={"q": "medical"}).json()
    assert {"pmda", "nmpa"} <= set(ids(everything["data"]))


def test_search_match_takes_two_values(client):
    assert client.get("/search", params={"q": "fda", "match": "prefix"}).status_code == 422
    exact = client.get("/search", params={"q": "fda", "match": "exact-first"}).json()
    assert ids(exact["data"]) == ["fda"]


@pytest.mark.parametrize("text", INJECTIONS)
def test_injection_in_search_finds_nothing(client, text):
    response = client.get("/search", params={"q": text})
    assert response.status_code == 200
    assert response.json() == {"data": [], "count": 0}
