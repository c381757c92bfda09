"""The reference facts (`data/reference/`): every row of the shared reference lists is in the graph as what it is
(verified or not), the caveats on dates are kept as data, names are reconciled with the seed article, and the
new competency questions answer from them.

The row-by-row checks read `../shared/reference/*.csv` and are skipped, saying so, where that folder is absent:
the project builds from `data/` alone.
"""

import csv
import datetime as dt
import re
from pathlib import Path

import pyoxigraph as ox
import pytest
from rdflib.namespace import RDF, RDFS, XSD

from kg.build import build
from kg.errors import BuildError, FactsError
from kg.facts import read_facts
from kg.query import questions, rows
from kg.store import mirror_into_default
from kg.vocab import CTKG, ID

from .conftest import ROOT, settings_for

REFERENCE = Path(__file__).parents[2].parent / "shared" / "reference"
NO_REFERENCE = f"the shared reference lists are not here ({REFERENCE}); the graph builds from data/ alone"
DATA = ROOT / "data" / "reference"

APP = str(ID["application/"])
AUTH = str(ID["authority/"])
SOURCE = str(ID["source/"])
UNVERIFIED_ARG = {"includeUnverified": ox.Literal("true")}

# Each CSV file: the source (named graph) of its verified rows and of its unverified rows.
GRAPHS = {
    "cell_therapy_approvals.csv": ("reference-cell-therapy-approvals", "reference-cell-therapy-approvals-unverified"),
    "pics_members.csv": ("reference-pics-members", "reference-pics-members-unverified"),
    "pics_applicants.csv": ("reference-pics-applicants", None),
    "regulators.csv": ("reference-regulators", "reference-regulators-unverified"),
}


def ask(store, name: str, **bindings) -> list[dict]:
    return rows(store, questions()[name].text, bindings)


def short(iri: str | None) -> str | None:
    return iri.rsplit("/", 1)[1] if iri else iri


def reference_rows() -> list:
    if not REFERENCE.is_dir():
        return [pytest.param(None, None, marks=pytest.mark.skip(reason=NO_REFERENCE))]
    out = []
    for name in GRAPHS:
        with (REFERENCE / name).open(encoding="utf-8", newline="") as handle:
            for number, row in enumerate(csv.DictReader(handle), start=2):
                out.append(pytest.param(name, row, id=f"{name}:{number}"))
    return out


# --- every row is in the graph, as what it is ---------------------------------------------------------------

ROW_NODES = {  # the node a row becomes, in its file's named graph
    "cell_therapy_approvals.csv": """
        SELECT ?g ?page ?confidence ?node (GROUP_CONCAT(DISTINCT LCASE(?name); separator="|") AS ?names)
                        (GROUP_CONCAT(DISTINCT STR(?date); separator="|") AS ?dates)
        WHERE {
          GRAPH ?g { ?node a ctkg:RegulatoryApplication ; prov:wasDerivedFrom ?page ; ctkg:confidence ?confidence .
                     OPTIONAL { ?node ctkg:decisionDate ?date } }
          ?node ctkg:product|ctkg:regulator ?named . ?named rdfs:label|skos:altLabel|ctkg:inn ?name .
        } GROUP BY ?g ?page ?confidence ?node""",
    "pics_members.csv": """
        SELECT ?g ?page ?confidence ?node (GROUP_CONCAT(DISTINCT LCASE(?name); separator="|") AS ?names)
                        (GROUP_CONCAT(DISTINCT STR(?date); separator="|") AS ?dates)
        WHERE {
          GRAPH ?g { ?node a ctkg:PICSMembership ; prov:wasDerivedFrom ?page ; ctkg:confidence ?confidence .
                     OPTIONAL { ?node ctkg:accessionDate ?date } }
          ?node ctkg:participatingAuthority|ctkg:participatingJurisdiction ?named .
          ?named rdfs:label|skos:altLabel ?name .
        } GROUP BY ?g ?page ?confidence ?node""",
    "pics_applicants.csv": """
        SELECT ?g ?page ?confidence ?node (GROUP_CONCAT(DISTINCT LCASE(?name); separator="|") AS ?names)
                        (GROUP_CONCAT(DISTINCT STR(?date); separator="|") AS ?dates)
        WHERE {
          GRAPH ?g { ?node a ctkg:PICSAccessionStep ; prov:wasDerivedFrom ?page ; ctkg:confidence ?confidence ;
                         ctkg:statusDate ?date }
          ?node ctkg:accedingAuthority|ctkg:participatingJurisdiction ?named . ?named rdfs:label|skos:altLabel ?name .
        } GROUP BY ?g ?page ?confidence ?node""",
    "regulators.csv": """
        SELECT ?g ?page ?confidence ?node (GROUP_CONCAT(DISTINCT LCASE(?name); separator="|") AS ?names) ("" AS ?dates)
        WHERE {
          { GRAPH ?g { ?node a ctkg:RegulatoryAuthority ; prov:wasDerivedFrom ?page ; ctkg:confidence ?confidence } }
          UNION
          { GRAPH ?g { ?node a ctkg:Claim ; prov:wasDerivedFrom ?page ; ctkg:confidence ?confidence ; ctkg:about ?x } }
          { ?node rdfs:label|skos:altLabel ?name } UNION { ?node ctkg:about/(rdfs:label|skos:altLabel) ?name }
        } GROUP BY ?g ?page ?confidence ?node""",
}
ROW_CLASS = {  # what a row becomes (an unverified regulators row: a claim)
    "cell_therapy_approvals.csv": CTKG.RegulatoryApplication, "pics_members.csv": CTKG.PICSMembership,
    "pics_applicants.csv": CTKG.PICSAccessionStep, "regulators.csv": CTKG.RegulatoryAuthority,
}
ROW_DATE = {"cell_therapy_approvals.csv": "approval_date", "pics_members.csv": "accession_date",
            "pics_applicants.csv": "status_date", "regulators.csv": None}
# A row's date as the graph records it, where that is not the CSV's: the day of an announcement is recorded as its
# month, like the other announcement-based rows (scripts/reference_to_yaml.py, CAVEATS).
ROW_DATE_READ = {("cell_therapy_approvals.csv", "inaticabtagene autoleucel", "2023-11-08"): "2023-11"}
# Unverified PIC/S rows whose membership a verified row states: the row is a claim on that membership's date.
ROW_AS_CLAIM = {("pics_members.csv", "MHLW / PMDA"), ("pics_members.csv", "MFDS")}
ROW_NAMES = {  # the columns that name the thing a row is about
    "cell_therapy_approvals.csv": ("product", "inn", "authority"),
    "pics_members.csv": ("authority", "acronym", "country"),
    "pics_applicants.csv": ("authority", "country"),
    "regulators.csv": ("acronym", "name"),
}


def names_match(names: set[str], texts: list[str]) -> bool:
    """A name of the node is one of the row's names, or is contained in one (e.g. 'yescarta' in
    'Yescarta (FKC876…)')."""
    texts = [t.lower() for t in texts if t]
    return any(name == text or name in text or text in name for name in names for text in texts)


def nodes_for(store, name: str, row: dict[str, str]) -> list[str]:
    verified_graph, unverified_graph = GRAPHS[name]
    graph = verified_graph if row["verified"] == "yes" else unverified_graph
    confidence = CTKG.Verified if row["verified"] == "yes" else CTKG.Unverified
    found = rows(store, ROW_NODES[name], {
        "g": ox.NamedNode(SOURCE + graph), "page": ox.NamedNode(row["source_url"]),
        "confidence": ox.NamedNode(str(confidence))})
    date = row[ROW_DATE[name]] if ROW_DATE[name] else None
    date = ROW_DATE_READ.get((name, row.get("inn"), date), date)
    if row["verified"] != "yes" and (name, row.get("acronym")) in ROW_AS_CLAIM:
        claims = rows(store, """
            SELECT ?node ?text (GROUP_CONCAT(DISTINCT LCASE(?name); separator="|") AS ?names) WHERE {
              GRAPH ?g { ?node a ctkg:Claim ; prov:wasDerivedFrom ?page ; ctkg:confidence ?confidence ;
                             ctkg:claimText ?text ; ctkg:about ?membership }
              ?membership a ctkg:PICSMembership ; ctkg:participatingAuthority/(rdfs:label|skos:altLabel) ?name .
            } GROUP BY ?node ?text""", {
            "g": ox.NamedNode(SOURCE + graph), "page": ox.NamedNode(row["source_url"]),
            "confidence": ox.NamedNode(str(confidence))})
        return [c["node"] for c in claims if date in c["text"]
                and names_match(set(c["names"].split("|")), [row[c_] for c_ in ROW_NAMES[name]])]
    out = []
    for node in found:
        names = set((node["names"] or "").split("|"))
        dates = set(filter(None, (node["dates"] or "").split("|")))
        if ROW_DATE[name] and dates != ({date} if date else set()):
            continue
        if name == "cell_therapy_approvals.csv":  # both the product and the authority must match
            if not (names_match(names, [row["product"], row["inn"]]) and names_match(names, [row["authority"]])):
                continue
        elif not names_match(names, [row[c] for c in ROW_NAMES[name]]):
            continue
        out.append(node["node"])
    return out


@pytest.mark.parametrize(("name", "row"), reference_rows())
def test_each_reference_row_is_in_its_graph_with_its_confidence(store, name, row):
    nodes = nodes_for(store, name, row)
    if (name, row.get("acronym")) in ROW_AS_CLAIM and row["verified"] != "yes":
        # One membership per authority: the verified regulators row states it, and this row's unconfirmed date is a
        # claim about it (no second membership IRI for the same participation).
        expected = {"MHLW / PMDA": ["pmda-pics-accession-date"], "MFDS": ["mfds-pics-accession-date"]}
        assert sorted(map(short, nodes)) == expected[row["acronym"]]
    else:
        assert len(nodes) == 1, f"expected one fact for this row, found {nodes}; see data/reference/"


@pytest.mark.skipif(not REFERENCE.is_dir(), reason=NO_REFERENCE)
@pytest.mark.parametrize("name", sorted(GRAPHS))
def test_loaded_rows_count_as_in_the_csv_files(store, name):
    with (REFERENCE / name).open(encoding="utf-8", newline="") as handle:
        table = list(csv.DictReader(handle))
    for verified, graph in zip(("yes", "unverified"), GRAPHS[name], strict=True):
        expected = [r for r in table if r["verified"] == verified]
        loaded = {node for r in expected for node in nodes_for(store, name, r)}
        assert len(loaded) == len(expected), (name, verified)
        if graph is None:
            assert not expected
            continue
        row_classes = [CTKG.Claim] if (name, verified) == ("regulators.csv", "unverified") else [ROW_CLASS[name]]
        if (name, verified) == ("pics_members.csv", "unverified"):  # Japan's and Korea's dates: claims
            row_classes.append(CTKG.Claim)
        count = sum(int(c["n"]) for row_class in row_classes for c in rows(store, """
            SELECT ?g ?class (COUNT(DISTINCT ?node) AS ?n) WHERE {
              GRAPH ?g { ?node a ?class ; prov:wasDerivedFrom ?page . ?page dcterms:isPartOf ?g }
            } GROUP BY ?g ?class""", {"g": ox.NamedNode(SOURCE + graph), "class": ox.NamedNode(row_class)}))
        assert count == len(loaded), f"{graph} holds facts that no {verified} row of {name} accounts for"


@pytest.mark.parametrize(("file", "section", "facts"), [
    ("cell-therapy-approvals.yaml", "applications", 45),
    ("cell-therapy-approvals-unverified.yaml", "applications", 1),
    ("pics-members.yaml", "memberships", 26),
    # 29 rows: Japan's and Korea's are memberships the verified regulators list states, so their unconfirmed
    # dates are claims about those (one IRI per membership), not memberships of their own.
    ("pics-members-unverified.yaml", "memberships", 27),
    ("pics-members-unverified.yaml", "claims", 2),
    ("pics-applicants.yaml", "accession_steps", 8),
    ("regulators.yaml", "authorities", 14),
    ("regulators-unverified.yaml", "claims", 6),
])
def test_row_facts_per_curated_file(file, section, facts):
    """The same numbers without the CSV files: one fact per row, counted in the curated YAML."""
    records = read_facts(DATA / file).records.values()
    assert sum(r.where.startswith(f"{section}[") for r in records) == facts


# --- unverified facts: their own graphs, marked, and left out of answers by default -------------------------


def test_everything_an_unverified_file_states_is_marked_unverified(store):
    unmarked = rows(store, """
        SELECT DISTINCT ?g ?node WHERE {
          GRAPH ?g { ?node a ?class . FILTER(STRSTARTS(STR(?node), "https://w3id.org/ctkg/id/")) }
          FILTER(STRENDS(STR(?g), "-unverified"))
          FILTER NOT EXISTS { ?node a ctkg:Source }
          FILTER NOT EXISTS { GRAPH ?g { ?node ctkg:confidence ctkg:Unverified } }
        }""")
    assert unmarked == []


def test_no_unverified_file_adds_to_a_verified_resource(store):
    """An unverified file states only nodes of its own (or ones no verified file states): a verified resource gets
    no name, website or date from an unverified row."""
    touched = rows(store, """
        SELECT DISTINCT ?node WHERE {
          GRAPH ?g { ?node ?p ?o . FILTER(STRSTARTS(STR(?node), "https://w3id.org/ctkg/id/")) }
          FILTER(STRENDS(STR(?g), "-unverified"))
          ?node ctkg:confidence ctkg:Verified .
        }""")
    assert touched == []


@pytest.mark.parametrize("name", sorted(questions()))
def test_questions_leave_out_unverified_facts_by_default(store, name):
    marked = {r["node"] for r in rows(store, "SELECT DISTINCT ?node WHERE { ?node ctkg:confidence ctkg:Unverified }")}
    answer = ask(store, name)
    shown = {value for row in answer for value in row.values()} & marked
    assert shown == set(), f"{name}.rq shows unverified facts without ?includeUnverified"


@pytest.mark.parametrize("name", sorted(questions()))
def test_questions_give_each_row_once_on_the_full_graph(store, name):
    # The default graph is the union of the sources, so a fact that two sources state is matched twice.
    answer = [tuple(sorted(row.items())) for row in ask(store, name)]
    assert len(answer) == len(set(answer)), f"{name}.rq repeats rows: use SELECT DISTINCT or GROUP BY"


def test_unverified_facts_are_there_when_asked_for(store):
    without = {r["application"] for r in ask(store, "approvals-by-jurisdiction")}
    with_them = {r["application"] for r in ask(store, "approvals-by-jurisdiction", **UNVERIFIED_ARG)}
    # Yescarta by HSA (approvals list); Kymriah by Swissmedic and by MFDS, dated partly from the page's URL
    # (events list).
    assert with_them - without == {APP + "axicabtagene-ciloleucel-hsa", APP + "tisagenlecleucel-swissmedic",
                                   APP + "tisagenlecleucel-mfds"}


# --- dates: precision, announcement dates, and two sources on one decision ----------------------------------


def test_two_sources_keep_their_own_dates_for_one_decision(store):
    answer = rows(store, """
        SELECT ?app ?g ?date WHERE { GRAPH ?g { ?app ctkg:decisionDate ?date } } ORDER BY ?g""",
                  {"app": ox.NamedNode(APP + "equecabtagene-autoleucel-mainland-china-bla")})
    assert [(short(r["g"]), r["date"]) for r in answer] == [
        ("pharmaceutical-technology-fucaso-hong-kong-approval", "2023-06"),
        ("reference-cell-therapy-approvals", "2023-06-30")]
    (decision,) = [r for r in ask(store, "authority-decisions", authority=ox.NamedNode(AUTH + "nmpa"))
                   if short(r["application"]) == "equecabtagene-autoleucel-mainland-china-bla"]
    assert (short(decision["application"]), decision["date"]) == ("equecabtagene-autoleucel-mainland-china-bla",
                                                                  "2023-06-30")  # the most precise


@pytest.mark.parametrize(("application", "date", "basis", "announced"), [
    ("tisagenlecleucel-eu", "2018-08", CTKG.AnnouncementDateBasis, "2018-08-27"),
    ("equecabtagene-autoleucel-hk-bla", "2025-11", CTKG.AnnouncementDateBasis, "2025-11-27"),
    # The list gives the announcement day as the date; recorded by its month, as the other announcement-based rows.
    ("inaticabtagene-autoleucel-nmpa", "2023-11", CTKG.AnnouncementDateBasis, "2023-11-08"),
    ("lisocabtagene-maraleucel-fda", "2021-02-05", CTKG.DerivedDateBasis, None),
    ("afamitresgene-autoleucel-fda", "2024-08", None, None),
])
def test_dates_keep_precision_and_basis(store, application, date, basis, announced):
    (row,) = rows(store, """
        SELECT ?app ?date (DATATYPE(?date) AS ?type) ?basis ?announced WHERE {
          GRAPH <https://w3id.org/ctkg/id/source/reference-cell-therapy-approvals> { ?app ctkg:decisionDate ?date }
          OPTIONAL { ?app ctkg:dateBasis ?basis } OPTIONAL { ?app ctkg:announcementDate ?announced }
        }""", {"app": ox.NamedNode(APP + application)})
    precision = {10: "date", 7: "gYearMonth", 4: "gYear"}[len(date)]
    assert (row["date"], row["type"].rsplit("#", 1)[1]) == (date, precision)
    assert (row["basis"], row["announced"]) == (str(basis) if basis else None, announced)


def test_undated_approvals_stay_undated(store):
    answer = {short(r["application"]) for r in ask(store, "undated-approvals")}
    # The events list dates Kymriah by TGA and Carvykti by MHLW; it adds Carvykti's undated NOC/c in Canada.
    assert answer == {"varnimcabtagene-autoleucel-cdsco", "ciltacabtagene-autoleucel-health-canada"}


EXTRA = """source:
  id: another-source
  label: A second source on the NMPA decision
applications:
  - id: equecabtagene-autoleucel-mainland-china-bla
    decision_date: {date}
    evidence: "approved on {date}"
"""


@pytest.mark.parametrize(("date", "conforms"), [("2023-06-30", True), ("2023", True), ("2023-07-01", False)],
                         ids=["refines-the-day", "refines-the-year", "contradicts"])
def test_a_second_source_may_refine_a_date_but_not_contradict_it(tmp_path, seed_only, date, conforms):
    (seed_only / "another.yaml").write_text(EXTRA.format(date=date), encoding="utf-8")
    settings = settings_for(seed_only, tmp_path / "store")
    if conforms:
        build(settings)
        return
    with pytest.raises(BuildError, match=r"decision dates 2023-06 and 2023-07-01, and neither refines the other"):
        build(settings)


def test_one_source_gives_one_decision_date(tmp_path):
    path = tmp_path / "two-dates.yaml"
    path.write_text(EXTRA.format(date="[2023-06-30, 2023-07-01]"), encoding="utf-8")
    with pytest.raises(FactsError, match="decision_date"):
        read_facts(path)


# --- one thing, one resource ---------------------------------------------------------------------------------


def test_seed_resources_are_reused_not_duplicated(store):
    stated_twice = {short(r["node"]) for r in rows(store, """
        SELECT ?node WHERE {
          GRAPH <https://w3id.org/ctkg/id/source/pharmaceutical-technology-fucaso-hong-kong-approval> { ?node a ?c }
          GRAPH ?g { ?node a ?c2 } FILTER(STRSTARTS(STR(?g), "https://w3id.org/ctkg/id/source/reference-"))
        }""")}
    assert stated_twice >= {"nmpa", "fda", "pmda", "sfda", "hk-department-of-health", "macao-isaf", "hsa",
                            "equecabtagene-autoleucel", "iaso-bio", "bcma", "mainland-china", "hong-kong-sar",
                            "macao-sar", "equecabtagene-autoleucel-mainland-china-bla", "fda-pics", "pmda-pics"}
    products = rows(store, "SELECT DISTINCT ?p ?label WHERE { ?p a ctkg:MedicinalProduct ; rdfs:label ?label }")
    assert len(products) == 42  # 18 from the approvals list and the seed, 24 more from the events list


def test_products_are_typed_and_cell_type_targets_are_not_antigens(store):
    answer = {short(r["product"]): (short(r["type"]), r["target"]) for r in rows(store, """
        SELECT ?product (SAMPLE(?class) AS ?type) (SAMPLE(?antigen) AS ?target) WHERE {
          ?product a ctkg:CellTherapyProduct , ?class .
          FILTER(?class IN (ctkg:CARTCellTherapy, ctkg:CellTherapyProduct))
          FILTER NOT EXISTS { ?product a ctkg:CARTCellTherapy . FILTER(?class = ctkg:CellTherapyProduct) }
          OPTIONAL { ?product ctkg:targetAntigen/rdfs:label ?antigen }
        } GROUP BY ?product""")}
    assert sum(kind == "ontology#CARTCellTherapy" for kind, _ in answer.values()) == 13
    # The events list's products have no target antigen; Rethymic (tissue) is a medicinal product, not a cell therapy.
    events_products = {"sipuleucel-t", "darvadstrocel", "holoclar", "spherox", "maci", "chondrocelect",
                       "nalotimagene-carmaleucel", "tabelecleucel", "omidubicel-onlv", "donislecel", "heartsheet",
                       "cartistem", "hearticellgram-ami", "invossa-k", "jace", "jacc", "nepic", "ocural", "jacemin",
                       "raguneprocel", "reheart", "heparesc", "huc-msc-pleb001"}
    assert {p: t for p, (kind, t) in answer.items() if kind == "ontology#CellTherapyProduct"} == {
        "afamitresgene-autoleucel": "MAGE-A4", "lifileucel": None, "remestemcel-l": None, "temcel-hs": None,
        "stemirac": None} | dict.fromkeys(events_products)


def test_hong_kong_pics_participant_is_not_the_department_of_health(store):
    answer = {(short(r["authority"]), r["date"]) for r in rows(store, """
        SELECT DISTINCT ?authority ?date WHERE {
          ?authority a ctkg:RegulatoryAuthority ; ctkg:jurisdiction id:jurisdiction\\/hong-kong-sar .
          OPTIONAL { ?m ctkg:participatingAuthority ?authority ; ctkg:accessionDate ?date }
        }""")}
    assert answer == {("hk-department-of-health", None), ("ppbhk", "2016-01-01")}


def test_eu_decisions_are_the_commissions_on_an_ema_opinion(store):
    answer = rows(store, """
        SELECT DISTINCT ?app ?opinion WHERE {
          ?app ctkg:regulator id:authority\\/european-commission . OPTIONAL { ?app ctkg:opinionBy ?opinion } }""")
    assert len(answer) == 24  # 9 from the approvals list, 15 from the events list
    assert {short(r["opinion"]) for r in answer} == {"ema"}


def test_nmpa_pics_accession_steps_in_order(store):
    answer = rows(store, """
        SELECT DISTINCT ?status ?date WHERE {
          ?step a ctkg:PICSAccessionStep ; ctkg:accedingAuthority id:authority\\/nmpa ;
              ctkg:accessionStatus ?status ; ctkg:statusDate ?date .
          FILTER NOT EXISTS { ?m ctkg:participatingAuthority id:authority\\/nmpa }
        } ORDER BY ?date""")
    assert [r["date"] for r in answer] == ["2021-09-24", "2023-09-22", "2023-11-08"]
    assert answer[-1]["status"].startswith("applicant status confirmed")


def test_a_name_shared_by_two_resources_fails_the_build(tmp_path, seed_only):
    (seed_only / "clash.yaml").write_text("""source:
  id: clash
  label: A source naming a company like an authority
companies:
  - id: national-medical-products
    label: National Medical Products
    aliases: [NMPA]
    evidence: "the company NMPA"
""", encoding="utf-8")
    with pytest.raises(BuildError) as failed:
        build(settings_for(seed_only, tmp_path / "store"))
    assert 'the name "nmpa" is shared by' in str(failed.value)
    assert "label-collision" in str(failed.value)


PICS_FACTS = {
    "membership-of-a-country": ("memberships:\n  - id: greece-pics\n    jurisdiction: greece\n    scheme: pics\n",
                                None),
    "membership-of-nobody": ("memberships:\n  - id: nobody-pics\n    scheme: pics\n",
                             "names its authority (field 'authority') or"),
    "step-of-an-authority": ("accession_steps:\n  - id: s\n    authority: [nmpa]\n    status: applied\n"
                             "    status_date: 2021-09-24\n", None),
    "step-without-status": ("accession_steps:\n  - id: s\n    authority: [nmpa]\n    status_date: 2021-09-24\n",
                            "exactly one status"),
}


@pytest.mark.parametrize("case", sorted(PICS_FACTS))
def test_pics_shapes(tmp_path, seed_only, case):
    facts, fails_with = PICS_FACTS[case]
    fact = facts.splitlines()[1].split("id: ")[1]
    facts = facts.replace(f"id: {fact}\n", f"id: {fact}\n    evidence: a test snippet\n")
    (seed_only / "pics.yaml").write_text("source:\n  id: pics-test\n  label: A test source\n"
                                         "jurisdictions:\n  - id: greece\n    label: Greece\n"
                                         "    evidence: a test snippet\n" + facts, encoding="utf-8")
    settings = settings_for(seed_only, tmp_path / "store")
    if fails_with is None:
        build(settings)
        return
    with pytest.raises(BuildError, match=re.escape(fails_with)):
        build(settings)


# --- the new questions, answered from the reference data -----------------------------------------------------


def approvals_list(store) -> set[str]:
    """The applications the approvals list states (other lists may add more, and dates to these)."""
    return {r["a"] for r in rows(store, """
        SELECT DISTINCT ?a WHERE { GRAPH <https://w3id.org/ctkg/id/source/reference-cell-therapy-approvals> {
                                   ?a a ctkg:RegulatoryApplication } }""")}


def undated(store) -> set[str]:
    return {r["a"] for r in rows(store, """
        SELECT DISTINCT ?a WHERE { ?a ctkg:status ctkg:Approved FILTER NOT EXISTS { ?a ctkg:decisionDate ?d } }""")}


def test_first_approval_and_lags(store):
    answer = {short(r["application"]): r for r in ask(store, "approval-lags")
              if r["productLabel"] == "tisagenlecleucel"}
    assert {short(r["firstApplication"]) for r in answer.values()} == {"tisagenlecleucel-fda"}

    def lag(application):
        r = answer[application]
        return r["kind"], r["lagDaysMin"], r["lagDaysMax"], r["lagPrecision"]

    assert lag("tisagenlecleucel-fda") == ("first approval", "0", "0", "day")
    # Both dates give the day: one number of days (2017-08-30 to 2019-03-26).
    assert lag("tisagenlecleucel-mhlw") == ("first approval", "573", "573", "day")
    assert (dt.date(2019, 3, 26) - dt.date(2017, 8, 30)).days == 573
    # One gives only the month: a range of days, from the month's first day to its last.
    assert lag("tisagenlecleucel-eu") == ("first approval", str((dt.date(2018, 8, 1) - dt.date(2017, 8, 30)).days),
                                          str((dt.date(2018, 8, 31) - dt.date(2017, 8, 30)).days), "month")
    assert lag("tisagenlecleucel-health-canada") == ("first approval", "367", "396", "month")
    # An extension is not a later approval: listed, apart, without a lag; so is an approval no source dates.
    assert lag("tisagenlecleucel-fda-extension-2018") == ("indication extension", None, None, None)
    kinds = [r["kind"] for r in answer.values()]
    assert kinds == sorted(kinds, key=lambda kind: {"first approval": 0, "undated": 2}.get(kind, 1))
    fucaso = [(short(r["application"]), r["lagDaysMin"], r["lagDaysMax"]) for r in ask(store, "approval-lags")
              if r["productLabel"] == "equecabtagene autoleucel"]
    assert fucaso == [("equecabtagene-autoleucel-mainland-china-bla", "0", "0"),
                      ("equecabtagene-autoleucel-macao-nda", "610", "640"),
                      ("equecabtagene-autoleucel-hk-bla", "855", "884")]


def test_approval_lags_leave_no_approval_out(store):
    """Every approval in the graph is a row of approval-lags: dated or not, first or extension."""
    approvals = {r["a"] for r in rows(store, """
        SELECT DISTINCT ?a WHERE { ?a ctkg:status ctkg:Approved
            FILTER NOT EXISTS { ?a ctkg:confidence ctkg:Unverified } }""")}
    answer = ask(store, "approval-lags")
    assert {r["application"] for r in answer} == approvals
    assert {r["application"] for r in answer if r["kind"] == "undated"} == undated(store) & approvals
    assert APP + "varnimcabtagene-autoleucel-cdsco" in undated(store)  # Qartemi: no source gives the day


def test_approvals_by_pics_participants(store):
    listed = approvals_list(store)
    answer = {short(r["application"]): (short(r["authority"]), short(r["participant"]), r["participation"],
                                        r["accessionDate"] or r["participantBy"])
              for r in ask(store, "approvals-by-pics-participants")}
    certain = {a for a, (_, _, how, _) in answer.items()
               if how == "participant on the decision date" and APP + a in listed}
    # Of the approvals list's dated rows: 10 first approvals by FDA (its 4 indication extensions are not approvals
    # here), Health Canada's through ROEB and DH's through PPBHK. Another list may date one the list leaves undated.
    dated_by_the_list = {short(r["a"]) for r in rows(store, """
        SELECT DISTINCT ?a WHERE { GRAPH <https://w3id.org/ctkg/id/source/reference-cell-therapy-approvals> {
                                   ?a ctkg:decisionDate ?d } }""")}
    assert len(certain & dated_by_the_list) == 12
    assert {short(a) for a in listed} & {"tisagenlecleucel-health-canada", "equecabtagene-autoleucel-hk-bla"} <= certain
    assert not any("extension" in a for a in answer)
    assert answer["tisagenlecleucel-health-canada"] == ("health-canada", "roeb", "participant on the decision date",
                                                       "1999")
    assert answer["equecabtagene-autoleucel-hk-bla"] == ("hk-department-of-health", "ppbhk",
                                                         "participant on the decision date", "2016-01-01")
    assert answer["remestemcel-l-fda"] == ("fda", "fda", "participant on the decision date", "2011-01-01")
    # No source dates Japan's or the UK's accession; the reference lists, read in 2026-11, state the participation.
    assert answer["obecabtagene-autoleucel-mhra"] == ("mhra", "mhra", "accession date unknown, participant by",
                                                      "2026-11")
    assert answer["temcel-hs-mhlw"] == ("mhlw", "pmda", "accession date unknown, participant by", "2026-11")
    assert {a for a, (auth, *_) in answer.items() if auth == "mhlw" and APP + a in listed} == {
        "temcel-hs-mhlw", "stemirac-mhlw", "tisagenlecleucel-mhlw", "axicabtagene-ciloleucel-mhlw",
        "lisocabtagene-maraleucel-mhlw", "idecabtagene-vicleucel-mhlw", "ciltacabtagene-autoleucel-mhlw"}
    # Undated approvals are listed, apart and last.
    order = [r["participation"] for r in ask(store, "approvals-by-pics-participants")]
    assert order == sorted(order, key=["participant on the decision date", "accession date unknown, participant by",
                                       "accession date unknown", "decision date unknown"].index)
    assert {a for a, (*_, how, _) in answer.items() if how == "decision date unknown"} == {
        short(a) for a in undated(store) if short(a) in answer}
    # With unverified facts: HSA's undated participation admits its approvals, bounded by the list's date.
    more = {short(r["application"]): r["participation"]
            for r in ask(store, "approvals-by-pics-participants", **UNVERIFIED_ARG)}
    assert more["tisagenlecleucel-hsa"] == more["axicabtagene-ciloleucel-hsa"] == \
        "accession date unknown, participant by"


@pytest.mark.parametrize(("accession", "decision", "counts"), [
    ("2023-07-01", "2023-07", True),   # every day of July is on or after 1 July
    ("2023-07", "2023-07-15", False),  # joined some day in July: maybe after the 15th
    ("1999", "1999-12-31", True),
    ("1999", "1999-12", False),
    ("2011-01-01", "2011-01-01", True),
])
def test_participant_on_the_date_respects_precision(accession, decision, counts):
    def node(iri) -> ox.NamedNode:
        return ox.NamedNode(str(iri))

    def day(text: str) -> ox.Literal:
        return ox.Literal(text, datatype=node({10: XSD.date, 7: XSD.gYearMonth, 4: XSD.gYear}[len(text)]))

    app, authority, membership, product, place = (
        node(ID[k]) for k in ("application/a", "authority/x", "membership/m", "product/p", "jurisdiction/j"))
    facts = [
        (app, CTKG.status, node(CTKG.Approved)), (app, CTKG.product, product), (app, CTKG.regulator, authority),
        (app, CTKG.decisionDate, day(decision)), (product, RDFS.label, ox.Literal("p")),
        (authority, RDFS.label, ox.Literal("x")), (authority, CTKG.jurisdiction, place),
        (place, RDFS.label, ox.Literal("j")), (membership, RDF.type, node(CTKG.PICSMembership)),
        (membership, CTKG.participatingAuthority, authority), (membership, CTKG.accessionDate, day(accession)),
    ]
    db = ox.Store()
    db.extend(ox.Quad(s, node(p), o, node(ID["source/test"])) for s, p, o in facts)
    mirror_into_default(db, db.named_graphs())  # as the build does: the default graph holds the union
    assert bool(ask(db, "approvals-by-pics-participants")) is counts


def test_bcma_products_and_where_each_is_approved(store):
    answer = {}
    for r in ask(store, "approvals-by-target"):
        answer.setdefault(r["productLabel"], []).append((r["jurisdictionLabel"], r["firstApproved"]))
    assert answer == {
        # With the events list: Swiss, Japanese (dated), Korean and Canadian (undated NOC/c) approvals.
        "ciltacabtagene autoleucel": [("United States", "2022-02-28"), ("European Union", "2022-05-26"),
                                      ("Switzerland", "2022-08-08"), ("Japan", "2022-09-26"),
                                      ("Republic of Korea", "2023-03-16"), ("Mainland China", "2024-08"),
                                      ("Canada", None)],
        "equecabtagene autoleucel": [("Mainland China", "2023-06-30"), ("Macao SAR", "2025-03"),
                                     ("Hong Kong SAR", "2025-11")],
        "idecabtagene vicleucel": [("United States", "2021-03-26"), ("European Union", "2021-08"),
                                   ("Switzerland", "2021-08-20"), ("Japan", "2022-01")],
        "zevorcabtagene autoleucel": [("Mainland China", "2024-02-23")],
    }
    cd19 = {r["productLabel"] for r in ask(store, "approvals-by-target", antigen=ox.NamedNode(ID["antigen/cd19"]))}
    assert len(cd19) == 9 and "tisagenlecleucel" in cd19


def test_bcma_approvals_on_the_seed_article_alone(seed_store):
    answer = [(r["productLabel"], r["jurisdictionLabel"], r["firstApproved"])
              for r in ask(seed_store, "approvals-by-target")]
    assert answer == [("equecabtagene autoleucel", "Mainland China", "2023-06"),
                      ("equecabtagene autoleucel", "Macao SAR", "2025-03"),
                      ("equecabtagene autoleucel", "Hong Kong SAR", None)]


def test_an_authoritys_decisions_newest_first(store):
    nmpa = [(short(r["application"]), r["date"]) for r in ask(store, "authority-decisions",
                                                               authority=ox.NamedNode(AUTH + "nmpa"))]
    assert nmpa == [
        ("huc-msc-pleb001-nmpa", "2025-01"),  # the events list
        ("ciltacabtagene-autoleucel-nmpa", "2024-08"), ("zevorcabtagene-autoleucel-nmpa", "2024-02-23"),
        ("inaticabtagene-autoleucel-nmpa", "2023-11"), ("equecabtagene-autoleucel-mainland-china-bla", "2023-06-30"),
        ("relmacabtagene-autoleucel-nmpa-extension-2022", "2022-10"), ("relmacabtagene-autoleucel-nmpa", "2021-09"),
        ("axicabtagene-ciloleucel-nmpa", "2021-06-22")]
    # Undated decisions last (the events list dates Carvykti's MHLW approval; its Canadian NOC/c has no date).
    canada = ask(store, "authority-decisions", authority=ox.NamedNode(AUTH + "health-canada"))
    assert short(canada[-1]["application"]) == "ciltacabtagene-autoleucel-health-canada" and canada[-1]["date"] is None
    ema = ask(store, "authority-decisions", authority=ox.NamedNode(AUTH + "ema"))
    # 9 EU decisions of the approvals list, 14 of the events list (Amtagvi's EU application is under review)
    assert len(ema) == 23 and {r["role"] for r in ema} == {"gave an opinion"}


def test_approved_as_of_a_date(store):
    def as_of(day: str) -> set[tuple[str, str]]:
        when = ox.Literal(day, datatype=ox.NamedNode("http://www.w3.org/2001/XMLSchema#date"))
        return {(r["jurisdictionLabel"], r["productLabel"]) for r in ask(store, "approvals-as-of", asOf=when)}

    assert as_of("2018-12-31") == {
        ("United States", "tisagenlecleucel"), ("United States", "axicabtagene ciloleucel"),
        ("European Union", "tisagenlecleucel"), ("European Union", "axicabtagene ciloleucel"),
        ("Canada", "tisagenlecleucel"), ("Japan", "Temcel HS Injection"), ("Japan", "Stemirac for Injection"),
        # the events list: Provenge's EU authorisation was withdrawn in 2015 and MACI's suspended in 2014, so
        # neither counts in the EU; Zalmoxis's EU withdrawal (2019) and Invossa's revocation (2019-05) come later
        ("Australia", "tisagenlecleucel"), ("United States", "sipuleucel-T"), ("United States", "MACI"),
        ("European Union", "Holoclar"), ("European Union", "Spherox"), ("European Union", "darvadstrocel"),
        ("European Union", "nalotimagene carmaleucel"), ("Japan", "HeartSheet"), ("Japan", "JACC"),
        ("Japan", "JACE"), ("Republic of Korea", "Cartistem"), ("Republic of Korea", "Hearticellgram-AMI"),
        ("Republic of Korea", "Invossa-K Inj.")}
    # The EU decisions are dated 2018-08 only: they count from the end of August.
    assert ("European Union", "tisagenlecleucel") not in as_of("2018-08-30")
    assert ("European Union", "tisagenlecleucel") in as_of("2018-08-31")
    # The events list's earlier approvals; MACI's EU authorisation was suspended in 2014-11.
    assert as_of("2015-01-01") == {
        ("European Union", "ChondroCelect"), ("European Union", "sipuleucel-T"), ("Japan", "JACC"), ("Japan", "JACE"),
        ("Republic of Korea", "Cartistem"), ("Republic of Korea", "Hearticellgram-AMI"),
        ("United States", "sipuleucel-T")}


DATE_BLOCK = """
# One decision date per application: the most precise the sources give, then the earliest (data/README.md).
OPTIONAL {
SELECT ?application (SUBSTR(MIN(CONCAT(STR(10 - STRLEN(STR(?given))), STR(?given))), 2) AS ?dateText)
WHERE { ?application ctkg:decisionDate ?given }
GROUP BY ?application
}
"""


# The same rule for a question about one product or authority: a NOT EXISTS on the application at hand
# (a grouped subquery is evaluated over every application in the graph first: 180 ms at 1M triples, 1 ms so).
DATE_BLOCK_PER_APPLICATION = """
OPTIONAL {
?application ctkg:decisionDate ?given .
FILTER NOT EXISTS {
?application ctkg:decisionDate ?better .
FILTER (STRLEN(STR(?better)) > STRLEN(STR(?given))
|| (STRLEN(STR(?better)) = STRLEN(STR(?given)) && STR(?better) < STR(?given)))
}
"""


@pytest.mark.parametrize("name", sorted(n for n, q in questions().items() if "ctkg:decisionDate ?" in q.text
                                         and "NOT EXISTS { ?application ctkg:decisionDate ?date }" not in q.text))
def test_questions_pick_one_date_per_application_the_same_way(name):
    text = "\n".join(line.strip() for line in questions()[name].text.splitlines())
    assert DATE_BLOCK.strip() in text or DATE_BLOCK_PER_APPLICATION.strip() in text, \
        f"{name}.rq reads decision dates without one of the two shared blocks (data/README.md)"


def test_the_two_date_blocks_pick_the_same_date(store):
    """Both ways of picking an application's decision date give the same date, application by application."""
    grouped = "SELECT ?application ?dateText WHERE { ?application a ctkg:RegulatoryApplication ." + DATE_BLOCK + "}"
    each = ("SELECT ?application (STR(?given) AS ?dateText) WHERE { ?application a ctkg:RegulatoryApplication ."
            + DATE_BLOCK_PER_APPLICATION + "} }")
    picked = [{(r["application"], r["dateText"]) for r in rows(store, query)} for query in (grouped, each)]
    assert picked[0] == picked[1] and any(date for _, date in picked[0])


def test_the_readme_lists_every_question():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    missing = [name for name in questions() if f"`{name}`" not in readme]
    assert missing == [], "add these to the README's competency table"
