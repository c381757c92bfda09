"""/applications: the list walked page by page, its filters (product, regulator, jurisdiction, status,
a decision period), filters that try to inject SPARQL, and one date for an application two sources date."""

import pytest

from tests.support.hostile import INJECTIONS

from ..conftest import PRODUCT, ids


def test_pagination_walks_the_whole_list(client):
    everything = client.get("/applications", params={"limit": 1000}).json()
    assert everything["count"] == len(everything["data"]) == 5
    pages = [client.get("/applications", params={"limit": 2, "offset": offset}).json() for offset in (0, 2, 4)]
    assert [p["count"] for p in pages] == [5, 5, 5]
    assert sum((ids(p["data"]) for p in pages), []) == ids(everything["data"])
    assert client.get("/applications", params={"offset": 50}).json() == {"data": [], "count": 5}


@pytest.mark.parametrize(("params", "expected"), [
    ({"product": PRODUCT}, 5),
    ({"regulator": "nmpa"}, 1),
    ({"jurisdiction": "macao-sar"}, 1),
    ({"status": "under-review"}, 2),
    ({"status": "rejected"}, 0),
    ({"from": "2024"}, 1),
    ({"from": "2023-06-15"}, 2),  # June 2023 overlaps
    ({"to": "2023-06"}, 1),
    ({"to": "2023-05-31"}, 0),
    ({"from": "2023-07", "to": "2025-02"}, 0),
    ({"product": "no-such-product"}, 0),
])
def test_application_filters(client, params, expected):
    body = client.get("/applications", params=params).json()
    assert body["count"] == len(body["data"]) == expected


@pytest.mark.parametrize("text", INJECTIONS)
@pytest.mark.parametrize("name", ["product", "regulator", "jurisdiction", "status", "from", "to"])
def test_injection_in_filters_is_422(client, name, text):
    assert client.get("/applications", params={name: text}).status_code == 422


def test_an_application_dated_by_two_sources_shows_the_most_precise_date(real_server):
    """The seed says June 2023 for the NMPA approval of Fucaso, the reference list 2023-06-30: the API
    shows one date, picked as the competency questions pick it (most precise, then earliest)."""
    import httpx

    real_server.wait_ready()
    response = httpx.get(f"{real_server.base}/applications",
                         params={"product": "equecabtagene-autoleucel", "regulator": "nmpa"}, timeout=10)
    assert response.status_code == 200, response.text
    (application,) = response.json()["data"]
    assert application["decision_date"] == "2023-06-30"


def test_a_page_after_an_item_is_the_page_at_its_offset(client):
    """Keyset paging: `after` the last id of a page gives the next page, as `offset` does; with the embedded
    store the list is the build's (kg.listings), over a remote server the query's."""
    everything = ids(client.get("/applications", params={"limit": 1000}).json()["data"])
    following = client.get("/applications", params={"limit": 2, "after": everything[1]}).json()
    assert ids(following["data"]) == everything[2:4] and following["count"] == 5
    assert ids(client.get("/applications", params={"after": everything[1], "offset": 1}).json()["data"]) == \
        everything[3:]
    assert client.get("/applications", params={"after": everything[-1]}).json() == {"data": [], "count": 5}
    unknown = client.get("/applications", params={"after": "no-such-application"})
    assert unknown.status_code == 404 and "after" in unknown.text
