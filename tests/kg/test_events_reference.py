"""The events list (`../shared/reference/cell_therapy_events.csv`): every row is in the graph, in the graph of its
confidence, with its source page and its verbatim evidence, reconciled with the resources already there.

The row-by-row checks are skipped, saying so, where the shared reference folder is absent: the project builds from
`data/` alone.
"""

import csv

import pyoxigraph as ox
import pytest

from kg.facts import read_facts
from kg.query import rows

from .conftest import ROOT

REFERENCE = ROOT.parent / "shared" / "reference"
EVENTS = REFERENCE / "cell_therapy_events.csv"
NO_REFERENCE = f"the shared reference lists are not here ({REFERENCE}); the graph builds from data/ alone"
DATA = ROOT / "data" / "reference"
SOURCE = "https://w3id.org/ctkg/id/source/"
GRAPH = {"yes": "reference-cell-therapy-events", "no": "reference-cell-therapy-events-unverified"}
CONFIDENCE = {"yes": "https://w3id.org/ctkg/ontology#Verified", "no": "https://w3id.org/ctkg/ontology#Unverified"}

# The node of a row: a decision (an application) or an event of an authorisation, in the row's graph, citing the
# row's page, carrying the row's quote as its evidence.
# Two rows may quote one page (J-TEC's abstract names Nepic and Ocural): the node's product names the row's.
ROW_NODE = """
    SELECT DISTINCT ?node ?class (GROUP_CONCAT(DISTINCT LCASE(?name); separator="|") AS ?names) WHERE {
      GRAPH ?g { ?node prov:wasDerivedFrom ?page ; ctkg:confidence ?confidence ; ctkg:evidence ?evidence ; a ?class }
      FILTER(?class IN (ctkg:RegulatoryApplication, ctkg:RegulatoryEvent))
      ?node ctkg:product|ctkg:eventOf/ctkg:product ?product .
      ?product rdfs:label|skos:altLabel|ctkg:brandName|ctkg:inn ?name .
    } GROUP BY ?node ?class"""


def event_rows() -> list:
    if not EVENTS.is_file():
        return [pytest.param(None, marks=pytest.mark.skip(reason=NO_REFERENCE))]
    with EVENTS.open(encoding="utf-8", newline="") as handle:
        return [pytest.param(row, id=f"row {n}") for n, row in enumerate(csv.DictReader(handle), start=2)]


def nodes_of(store, row: dict[str, str]) -> list[dict]:
    found = rows(store, ROW_NODE, {
        "g": ox.NamedNode(SOURCE + GRAPH[row["verified"]]), "page": ox.NamedNode(row["source_url"]),
        "confidence": ox.NamedNode(CONFIDENCE[row["verified"]]), "evidence": ox.Literal(row["evidence"])})
    named = [t.lower() for t in (row["product"], row["inn"]) if t]
    return [n for n in found if any(name in text or text in name for name in n["names"].split("|") for text in named)]


@pytest.mark.parametrize("row", event_rows())
def test_each_row_is_a_decision_or_event_with_its_evidence_and_source(store, row):
    kinds = sorted(n["class"].rsplit("#", 1)[1] for n in nodes_of(store, row))
    if row["event"] == "under_review":  # the application, and its submission on the row's date
        assert kinds == ["RegulatoryApplication", "RegulatoryEvent"]
    elif row["event"] in ("withdrawal", "expiry", "suspension"):  # an event of the authorisation it ends
        assert kinds == ["RegulatoryEvent"]
    else:
        assert kinds == ["RegulatoryApplication"], f"expected one decision quoting this row in {GRAPH[row['verified']]}"


@pytest.mark.skipif(not EVENTS.is_file(), reason=NO_REFERENCE)
def test_rows_count_as_in_the_csv(store):
    with EVENTS.open(encoding="utf-8", newline="") as handle:
        table = list(csv.DictReader(handle))
    assert len(table) == 78
    for verified in ("yes", "no"):
        expected = [r for r in table if r["verified"] == verified]
        loaded = {n["node"] for r in expected for n in nodes_of(store, r)}
        # Heparesc's two EU rows (the EMA's opinion, the Commission's refusal) are one application; each of the
        # two under-review rows is an application and its submission.
        assert len(loaded) == len(expected) + (1 if verified == "yes" else 0), verified


@pytest.mark.parametrize(("file", "section", "facts"), [
    # 76 verified rows: 69 decisions (Heparesc's EMA opinion and Commission refusal are one application) and 7
    # withdrawals, expiries and suspensions; plus 2 submissions (the under-review rows' dates) and 1 renewal
    # (ChondroCelect, from a row's note).
    ("cell-therapy-events.yaml", "applications", 68),
    ("cell-therapy-events.yaml", "events", 10),
    ("cell-therapy-events-unverified.yaml", "applications", 2),
])
def test_row_facts_per_curated_file(file, section, facts):
    """The same numbers without the CSV file, counted in the curated YAML."""
    records = read_facts(DATA / file).records.values()
    assert sum(r.where.startswith(f"{section}[") for r in records) == facts


def test_a_decision_already_in_the_approvals_list_adds_its_source_not_a_second_decision(store):
    answer = rows(store, """
        SELECT ?g ?date WHERE { GRAPH ?g { ?app ctkg:status ctkg:Approved OPTIONAL { ?app ctkg:decisionDate ?date } } }
        ORDER BY ?g""", {"app": ox.NamedNode("https://w3id.org/ctkg/id/application/tisagenlecleucel-tga")})
    assert [(r["g"].removeprefix(SOURCE), r["date"]) for r in answer] == [
        ("reference-cell-therapy-approvals", None), ("reference-cell-therapy-events", "2018-12")]
    tga = rows(store, """SELECT DISTINCT ?app WHERE { ?app ctkg:product id:product\\/tisagenlecleucel ;
                                                     ctkg:regulator id:authority\\/tga }""")
    assert len(tga) == 1


def test_an_unverified_row_names_no_new_name_for_a_verified_resource(store):
    """Swissmedic, named by verified rows of the events list, is stated by that list's verified file; the unverified
    PIC/S row only links to it."""
    answer = rows(store, """
        SELECT DISTINCT ?g ?confidence WHERE { GRAPH ?g { id:authority\\/swissmedic rdfs:label ?l ;
                                                          ctkg:confidence ?confidence } }""")
    assert [(r["g"].removeprefix(SOURCE), r["confidence"].rsplit("#", 1)[1]) for r in answer] == [
        ("reference-cell-therapy-events", "Verified")]
