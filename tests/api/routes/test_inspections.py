"""/inspections: the GMP inspections with their authority, organization, products and outcome."""



from ..conftest import PRODUCT, ids


def test_inspections(client):
    (inspection,) = client.get("/inspections").json()["data"]
    assert inspection["inspecting_authority"]["id"] == "hk-department-of-health"
    assert inspection["inspected_organization"]["id"] == "iaso-bio"
    assert ids(inspection["inspected_products"]) == [PRODUCT]
    assert inspection["outcome"] == "compliant" and inspection["standards"] == ["PIC/S GMP"]
