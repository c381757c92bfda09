"""/companies: a company with its products, applications, inspections and people."""



from ..conftest import PRODUCT, ids


def test_company(client):
    company = client.get("/companies/iaso-bio").json()
    assert ids(company["sponsored_products"]) == [PRODUCT]
    assert sorted(ids(company["applications_filed"])) == [
        "equecabtagene-autoleucel-hk-bla", "equecabtagene-autoleucel-macao-nda"]
    assert ids(company["inspections"]) == ["equecabtagene-autoleucel-hk-gmp-inspection"]
    assert ids(company["people"]) == ["jinhua-zhang"]
    assert client.get("/companies").json()["data"][0]["product_count"] == 1
