"""/authorities: the list filtered by PIC/S membership, and one authority with its memberships and decisions."""



from ..conftest import ids


def test_authorities_filtered_by_pics_membership(client):
    members = client.get("/authorities", params={"pics_member": "true"}).json()
    assert sorted(ids(members["data"])) == ["fda", "pmda"]
    assert all(a["pics_member"] for a in members["data"])
    others = client.get("/authorities", params={"pics_member": "false"}).json()
    assert "fda" not in ids(others["data"]) and "nmpa" in ids(others["data"])
    assert others["count"] + members["count"] == client.get("/authorities").json()["count"]


def test_authority(client):
    fda = client.get("/authorities/fda").json()
    assert fda["label"] == "U.S. Food and Drug Administration"
    assert fda["jurisdiction"]["id"] == "united-states"
    assert fda["pics_member"] is True
    (membership,) = fda["pics_memberships"]
    assert membership["scheme"]["id"] == "pics" and membership["accession_date"] is None
    nmpa = client.get("/authorities/nmpa").json()
    assert nmpa["pics_member"] is False
    assert [d["decision_date"] for d in nmpa["decisions"]] == ["2023-06"]


def test_authorities_page_after_an_authority_with_the_filter(client):
    others = ids(client.get("/authorities", params={"pics_member": "false"}).json()["data"])
    page = client.get("/authorities", params={"pics_member": "false", "after": others[0], "limit": 2}).json()
    assert ids(page["data"]) == others[1:3] and page["count"] == len(others)
    assert client.get("/authorities", params={"pics_member": "false", "after": "fda"}).status_code == 404
