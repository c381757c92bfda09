"""/products: a product with its names, sponsor, target and applications, and its timeline of decisions."""


from kg.vocab import CTKG, ID

from ..conftest import PRODUCT, SOURCE, ids


def test_product(client):
    product = client.get(f"/products/{PRODUCT}").json()
    assert product["iri"] == str(ID[f"product/{PRODUCT}"])
    assert product["label"] == "equecabtagene autoleucel"
    assert product["inn"] == "equecabtagene autoleucel"
    assert product["brand_names"] == ["Fucaso"] and "Fucaso" in product["aliases"]
    assert ids(product["sponsors"]) == ["iaso-bio"] and product["sponsors"][0]["label"] == "IASO Biotherapeutics"
    assert ids(product["targets"]) == ["bcma"]
    assert str(CTKG.CARTCellTherapy) in {t["iri"] for t in product["types"]}
    assert len(product["applications"]) == 5
    assert ids(product["sources"]) == [SOURCE]


def test_product_timeline_is_in_date_order_with_sources(client):
    timeline = client.get(f"/products/{PRODUCT}/timeline").json()
    assert timeline["product"]["label"] == "equecabtagene autoleucel"
    dates = [entry["decision_date"] for entry in timeline["data"]]
    assert dates[:2] == ["2023-06", "2025-03"] and dates[2:] == [None, None, None]
    assert timeline["count"] == 5
    china = timeline["data"][0]
    assert china["regulator"]["id"] == "nmpa" and china["regulator"]["jurisdiction"]["id"] == "mainland-china"
    assert china["status"] == "approved" and china["application_type"] == "BLA"
    (citation,) = china["cited_by"]
    assert citation["id"] == SOURCE and citation["quotes"] == ["BLA approvals in Mainland China (June 2023)"]


def test_products_list_pages_by_offset_and_after(client):
    everything = client.get("/products").json()
    assert everything["count"] == len(everything["data"]) == 1
    (only,) = ids(everything["data"])
    assert client.get("/products", params={"after": only}).json() == {"data": [], "count": 1}
    assert client.get("/products", params={"offset": 1}).json() == {"data": [], "count": 1}
    assert client.get("/products", params={"after": "not-a-product"}).status_code == 404
