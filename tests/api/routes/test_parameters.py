"""What every router shares (`api/routes/__init__.py`), on the seed article's facts in-process: lists are
pages with a total, an unknown id is 404 with a message, a bad parameter is 422, and an id that tries to
inject SPARQL finds nothing."""

import pytest

from kg.vocab import ID
from tests.support.hostile import INJECTIONS


@pytest.mark.parametrize("path", ["/products", "/authorities", "/companies", "/applications", "/inspections",
                                  "/sources", "/search?q=a"])
def test_lists_are_pages_with_a_total(client, path):
    body = client.get(path).json()
    assert set(body) == {"data", "count"}
    assert body["count"] >= len(body["data"]) >= 1
    for item in body["data"]:
        assert item["iri"].startswith(str(ID)) and item["id"]


@pytest.mark.parametrize("path", [
    "/products/no-such-product", "/products/no-such-product/timeline", "/products/iaso-bio",
    "/authorities/no-such-authority", "/companies/fda", "/sources/no-such-source",
])
def test_unknown_ids_are_404_with_a_message(client, path):
    response = client.get(path)
    assert response.status_code == 404
    assert "id" in response.json()["detail"]


@pytest.mark.parametrize(("path", "params"), [
    ("/products", {"limit": 0}),
    ("/products", {"limit": 100_000}),
    ("/products", {"offset": -1}),
    ("/authorities", {"pics_member": "maybe"}),
    ("/applications", {"status": "approvedish"}),
    ("/applications", {"from": "June 2023"}),
    ("/applications", {"from": "2023-02-30"}),
    ("/applications", {"to": "2023-13"}),
    ("/applications", {"regulator": "NMPA"}),
    ("/search", {}),
    ("/search", {"q": ""}),
    ("/search", {"q": "x" * 201}),
])
def test_bad_parameters_are_422(client, path, params):
    assert client.get(path, params=params).status_code == 422


@pytest.mark.parametrize("text", INJECTIONS)
@pytest.mark.parametrize("path", ["/products/{}", "/products/{}/timeline", "/authorities/{}", "/companies/{}",
                                  "/sources/{}", "/id/product/{}"])
def test_injection_in_ids_is_404(client, path, text):
    assert client.get(path.format(text.replace("/", "%2F").replace("#", "%23").replace("?", "%3F"))).status_code in (
        404, 422)
