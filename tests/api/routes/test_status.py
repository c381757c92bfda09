"""/stats (what the graph holds) and /health (whether the service can answer)."""


from kg.vocab import CTKG


def test_stats_and_health(client, settings):
    stats = client.get("/stats").json()
    assert stats["sources"] == 1 and stats["triples"] > 0
    counts = {c["iri"]: c["entities"] for c in stats["classes"]}
    assert counts[str(CTKG.MedicinalProduct)] == 1 and counts[str(CTKG.RegulatoryAuthority)] == 7
    health = client.get("/health").json()
    assert health["status"] == "ok" and health["workers"] == settings.query_workers
