"""/sources: a source and everything it contributed."""


from kg.vocab import CTKG

from ..conftest import PRODUCT, SOURCE


def test_source_and_what_it_contributed(client):
    (listed,) = client.get("/sources").json()["data"]
    source = client.get(f"/sources/{SOURCE}").json()
    assert source["triples"] == listed["triples"] > 100
    assert source["publisher"] == "Pharmaceutical Technology"
    contributed = {e["id"]: e for e in source["entities"]}
    assert {"iaso-bio", PRODUCT, "fda-pics"} <= set(contributed)
    counts = {c["iri"]: c["entities"] for c in source["classes"]}
    assert counts[str(CTKG.RegulatoryApplication)] == 5
