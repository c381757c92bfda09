"""PIC/S through participating units, unknowns kept visible, opinions and reviews dated by their sources, and the
smaller corrections of the reference facts (issue 11, items 1, 2, 4 and 5), on the questions' answers.

Small graphs built here in memory test one rule each; `store` is the build of all of `data/`.
"""

import pyoxigraph as ox
import pytest
from rdflib.namespace import DCTERMS, PROV, RDF, RDFS, XSD

from kg.query import questions, rows
from kg.store import mirror_into_default
from kg.vocab import CTKG, ID

UNVERIFIED_ARG = {"includeUnverified": ox.Literal("true")}


def ask(store, name: str, **bindings) -> list[dict]:
    return rows(store, questions()[name].text, bindings)


def short(iri: str | None) -> str | None:
    return iri.rsplit("/", 1)[1] if iri else iri


def node(iri) -> ox.NamedNode:
    return ox.NamedNode(str(iri))


def day(text: str) -> ox.Literal:
    return ox.Literal(text, datatype=node({10: XSD.date, 7: XSD.gYearMonth, 4: XSD.gYear}[len(text)]))


def graph_of(facts) -> ox.Store:
    """A store holding `facts` in one source's graph and, as a build does, in the default graph."""
    db = ox.Store()
    db.extend(ox.Quad(s, node(p), o, node(ID["source/test"])) for s, p, o in facts)
    mirror_into_default(db, db.named_graphs())
    return db


# --- item 1: one relation from an approving or inspecting body to the unit that takes part in PIC/S for it ---


def test_each_body_takes_part_in_pics_through_its_unit(store):
    answer = {(short(r["body"]), short(r["unit"])) for r in rows(store, """
        SELECT ?body ?unit WHERE { ?body ctkg:picsParticipatingUnit ?unit .
                                   ?m a ctkg:PICSMembership ; ctkg:participatingAuthority ?unit }""")}
    assert answer == {("hk-department-of-health", "ppbhk"), ("health-canada", "roeb"), ("mhlw", "pmda")}


def test_roeb_is_its_own_authority_and_holds_canadas_membership(store):
    (row,) = rows(store, """
        SELECT ?label ?place ?m ?date WHERE {
          id:authority\\/roeb a ctkg:RegulatoryAuthority ; rdfs:label ?label ; ctkg:jurisdiction ?place .
          ?m ctkg:participatingAuthority id:authority\\/roeb ; ctkg:accessionDate ?date }""")
    assert (row["label"], short(row["place"]), short(row["m"]), row["date"]) == (
        "Regulatory Operations and Enforcement Branch", "canada", "roeb-pics", "1999")
    assert not rows(store, "SELECT ?m WHERE { ?m ctkg:participatingAuthority id:authority\\/health-canada }")


def test_the_hong_kong_inspection_is_by_a_pics_participant_through_ppbhk(store):
    (row,) = ask(store, "gmp-inspections")
    assert row["inspectingAuthorityLabel"] == "Department of Health (Hong Kong)"
    assert (short(row["picsParticipant"]), row["picsParticipantLabel"], row["accessionDate"]) == (
        "ppbhk", "Pharmacy and Poisons Board of Hong Kong", "2016-01-01")


def test_an_inspecting_authority_that_is_a_participant_itself():
    inspection, authority, company, membership = (node(ID[k]) for k in (
        "inspection/i", "authority/a", "company/c", "membership/m"))
    db = graph_of([
        (inspection, RDF.type, node(CTKG.GMPInspection)), (inspection, CTKG.inspectingAuthority, authority),
        (inspection, CTKG.inspectedOrganization, company), (authority, RDFS.label, ox.Literal("A")),
        (company, RDFS.label, ox.Literal("C")), (membership, RDF.type, node(CTKG.PICSMembership)),
        (membership, CTKG.participatingAuthority, authority)])
    (row,) = ask(db, "gmp-inspections")
    assert (short(row["picsParticipant"]), row["accessionDate"]) == ("a", None)


# --- item 1 and 5: one IRI per membership ---------------------------------------------------------------------


@pytest.mark.parametrize(("jurisdiction", "memberships"), [
    ("japan", {"pmda-pics"}), ("republic-of-korea", {"mfds-pics"}), ("hong-kong-sar", {"ppbhk-pics"}),
    ("canada", {"roeb-pics"})])
def test_one_membership_iri_per_participation_even_with_unverified_facts(store, jurisdiction, memberships):
    answer = {short(r["m"]) for r in rows(store, """
        SELECT DISTINCT ?m WHERE { ?m a ctkg:PICSMembership ; ctkg:participatingAuthority/ctkg:jurisdiction ?place }""",
                                          {"place": node(ID[f"jurisdiction/{jurisdiction}"])})}
    assert answer == memberships


def test_unconfirmed_accession_dates_are_claims_about_the_membership(store):
    answer = {short(r["m"]): r["text"] for r in rows(store, """
        SELECT ?m ?text WHERE { ?c ctkg:about ?m ; ctkg:claimText ?text ; ctkg:confidence ctkg:Unverified .
                                ?m a ctkg:PICSMembership }""")}
    assert set(answer) == {"pmda-pics", "mfds-pics"}
    assert all("2014-07-01" in text and "not confirmed" in text for text in answer.values())


# --- item 2: unknown is shown, never dropped -----------------------------------------------------------------


def participation_graph(accession: str | None, source_date: str | None, decision: str | None) -> ox.Store:
    app, authority, membership, product, place, page, source = (node(ID[k]) for k in (
        "application/a", "authority/x", "membership/m", "product/p", "jurisdiction/j", "source/page", "source/list"))
    facts = [
        (app, CTKG.status, node(CTKG.Approved)), (app, CTKG.product, product), (app, CTKG.regulator, authority),
        (product, RDFS.label, ox.Literal("p")), (authority, RDFS.label, ox.Literal("x")),
        (authority, CTKG.jurisdiction, place), (place, RDFS.label, ox.Literal("j")),
        (membership, RDF.type, node(CTKG.PICSMembership)), (membership, CTKG.participatingAuthority, authority),
        (membership, PROV.wasDerivedFrom, page), (page, DCTERMS.isPartOf, source),
    ]
    if decision:
        facts.append((app, CTKG.decisionDate, day(decision)))
    if accession:
        facts.append((membership, CTKG.accessionDate, day(accession)))
    if source_date:
        facts.append((source, DCTERMS.issued, day(source_date)))
    return graph_of(facts)


@pytest.mark.parametrize(("accession", "source_date", "decision", "participation", "by"), [
    ("2011-01-01", None, "2017-08-30", "participant on the decision date", None),
    (None, "2015-11", "2017-08-30", "accession date unknown, participant by", "2015-11"),
    (None, None, "2017-08-30", "accession date unknown", None),
    ("2011-01-01", "2015-11", None, "decision date unknown", None),
], ids=["known", "bounded-by-a-dated-source", "unknown", "undated-decision"])
def test_how_a_participant_is_known(accession, source_date, decision, participation, by):
    (row,) = ask(participation_graph(accession, source_date, decision), "approvals-by-pics-participants")
    assert (row["participation"], row["participantBy"]) == (participation, by)


def test_a_decision_before_the_accession_is_not_by_a_participant():
    assert ask(participation_graph("2023-07-01", None, "2022-01-05"), "approvals-by-pics-participants") == []


def test_an_indication_extension_is_not_counted_as_an_approval():
    db = participation_graph("2011-01-01", None, "2017-08-30")
    db.add(ox.Quad(node(ID["application/a"]), node(CTKG.applicationType), node(CTKG.IndicationExtension),
                   node(ID["source/test"])))
    mirror_into_default(db, db.named_graphs())
    assert ask(db, "approvals-by-pics-participants") == []


def test_undated_approvals_are_listed_as_of_a_date_after_their_source(store):
    def as_of(text: str) -> dict:
        when = ox.Literal(text, datatype=node(XSD.date))
        return {(r["jurisdictionLabel"], r["productLabel"]): (r["undated"], r["knownBy"], r["approvedSince"])
                for r in ask(store, "approvals-as-of", asOf=when)}

    # Where a product's only approvals in a jurisdiction are undated, the pair is listed, flagged undated.
    undated_only = {(r["place"], r["product"]) for r in rows(store, """
        SELECT DISTINCT ?place ?product WHERE {
          ?a ctkg:status ctkg:Approved ; ctkg:product/rdfs:label ?product ; ctkg:regulator/ctkg:jurisdiction ?j .
          ?j rdfs:label ?place . FILTER NOT EXISTS { ?a ctkg:confidence ctkg:Unverified }
          FILTER NOT EXISTS { ?a ctkg:decisionDate ?d }
          FILTER NOT EXISTS { ?b ctkg:status ctkg:Approved ; ctkg:product/rdfs:label ?product ;
                                 ctkg:regulator/ctkg:jurisdiction ?j ; ctkg:decisionDate ?e
                              FILTER NOT EXISTS { ?b ctkg:confidence ctkg:Unverified } } }""")}
    assert ("India", "varnimcabtagene autoleucel") in undated_only  # Qartemi: no source gives the day
    # The reference lists were read in 2026-11: from the end of that month their undated approvals are listed.
    today = as_of("2026-12-04")
    assert {k for k, (undated, *_) in today.items() if undated == "true"} == undated_only
    assert today[("India", "varnimcabtagene autoleucel")] == ("true", "2026-11", None)
    assert today[("United States", "tisagenlecleucel")] == ("false", None, "2017-08-30")
    assert ("India", "varnimcabtagene autoleucel") not in as_of("2026-11-15")
    assert ("India", "varnimcabtagene autoleucel") not in as_of("2025-12-31")
    # Undated approvals come after the dated ones.
    today_rows = ask(store, "approvals-as-of", asOf=ox.Literal("2026-12-04", datatype=node(XSD.date)))
    flags = [r["undated"] for r in today_rows]
    assert flags == sorted(flags)


# --- item 4: opinions and reviews, each with its own date ------------------------------------------------------


def test_ema_opinions_without_a_date_are_labelled_with_the_commissions(store):
    ema = [r for r in ask(store, "authority-decisions", authority=node(ID["authority/ema"]))
           if r["role"] == "gave an opinion"]
    undated_opinions = [r for r in ema if r["opinionDate"] is None and r["date"]]
    assert short(undated_opinions[0]["application"]) and all(r["date"] == r["decisionDate"] for r in undated_opinions)
    assert {r["dateOf"] for r in undated_opinions} == {
        "decision of the European Commission (no opinion date in the sources)"}
    assert all(r["date"] == r["opinionDate"] and r["dateOf"] == "opinion" for r in ema if r["opinionDate"])
    kymriah = {r["dateOf"] for r in ema if short(r["application"]) == "tisagenlecleucel-eu"}
    assert kymriah == {"decision of the European Commission (no opinion date in the sources)"}


def test_an_opinion_with_its_own_date_is_dated_by_it():
    app, ec, ema, product, place = (node(ID[k]) for k in (
        "application/a", "authority/ec", "authority/ema", "product/p", "jurisdiction/eu"))
    db = graph_of([
        (app, CTKG.status, node(CTKG.Approved)), (app, CTKG.product, product), (app, CTKG.regulator, ec),
        (app, CTKG.opinionBy, ema), (app, CTKG.decisionDate, day("2017-07-10")),
        (app, CTKG.opinionDate, day("2017-05-18")), (product, RDFS.label, ox.Literal("p")),
        (ec, RDFS.label, ox.Literal("European Commission")), (ec, CTKG.jurisdiction, place),
        (ema, RDFS.label, ox.Literal("EMA")), (place, RDFS.label, ox.Literal("EU"))])
    (opinion,) = ask(db, "authority-decisions", authority=ema)
    assert (opinion["date"], opinion["dateOf"], opinion["decisionDate"]) == ("2017-05-18", "opinion", "2017-07-10")
    (decision,) = ask(db, "authority-decisions", authority=ec)
    assert (decision["date"], decision["dateOf"], decision["opinionDate"]) == ("2017-07-10", "decision", None)


def review_graph(published: str | None, read: str | None) -> ox.Store:
    app, authority, product, place, source = (node(ID[k]) for k in (
        "application/a", "authority/x", "product/p", "jurisdiction/j", "source/s"))
    facts = [
        (app, RDF.type, node(CTKG.RegulatoryApplication)), (app, CTKG.status, node(CTKG.UnderReview)),
        (app, CTKG.product, product), (app, CTKG.regulator, authority), (app, PROV.wasDerivedFrom, source),
        (product, RDFS.label, ox.Literal("p")), (authority, RDFS.label, ox.Literal("x")),
        (authority, CTKG.jurisdiction, place), (place, RDFS.label, ox.Literal("j"))]
    if published:
        facts.append((source, DCTERMS.issued, day(published)))
    if read:
        facts.append((source, DCTERMS.date, day(read)))
    return graph_of(facts)


@pytest.mark.parametrize(("published", "read", "reported", "basis"), [
    ("2025-11-25", "2026-11", "2025-11-25", "published"),
    (None, "2026-11", "2026-11", "read (no publication date)"),
    (None, None, None, "source undated"),
])
def test_a_review_is_dated_by_the_source_that_reports_it(published, read, reported, basis):
    db = review_graph(published, read)
    (row,) = ask(db, "pending-reviews")
    assert (row["reportedOn"], row["asOfBasis"]) == (reported, basis)
    (decision,) = ask(db, "decisions-by-product", product=node(ID["product/p"]))
    assert (decision["reportedOn"], decision["readOn"]) == (published, read)


def test_the_seed_articles_reviews_say_their_source_is_undated(store):
    answer = {r["jurisdictionLabel"]: r["asOfBasis"] for r in ask(store, "pending-reviews")
              if short(r["application"]).startswith("equecabtagene")}
    assert answer == {"Saudi Arabia": "source undated", "Singapore": "source undated"}


# --- item 5: the smaller corrections ----------------------------------------------------------------------


def test_isaf_has_its_portuguese_name_and_no_wrong_one(store):
    names = {r["name"] for r in rows(store, """
        SELECT ?name WHERE { id:authority\\/macao-isaf rdfs:label|skos:altLabel ?name }""")}
    assert "Instituto para a Supervisão e Administração Farmacêutica" in names
    wrong = rows(store, """
        SELECT ?s ?p WHERE { ?s ?p ?text . FILTER(?p IN (rdfs:label, skos:altLabel, ctkg:claimText))
                             FILTER(CONTAINS(STR(?text), "Assuntos Farmac")) }""")
    assert wrong == []


def test_websites_from_the_regulators_list_are_stored_as_the_domains_it_gives(store):
    listed = ox.NamedNode(str(ID["source/reference-regulators"]))
    answer = {short(r["a"]): (r["domain"], r["url"]) for r in rows(store, """
        SELECT ?a ?domain ?url WHERE {
          GRAPH ?g { ?a a ctkg:RegulatoryAuthority ; ctkg:webDomain ?domain . OPTIONAL { ?a schema:url ?url } } }""",
                                                                     {"g": listed})}
    assert answer["fda"] == ("fda.gov", None) and answer["anvisa"] == ("gov.br/anvisa", None)
    assert answer["hk-department-of-health"] == ("drugoffice.gov.hk", None)
    assert all(url is None for _, url in answer.values())  # no address is stored as if a page at it was read


def test_the_four_inferred_extension_types_are_marked(store):
    answer = {short(r["a"]): r["inferred"] == "true" for r in rows(store, """
        SELECT ?a (MAX(CONTAINS(COALESCE(?note, ""), "inferred, not stated")) AS ?inferred) WHERE {
          GRAPH <https://w3id.org/ctkg/id/source/reference-cell-therapy-approvals> {
            ?a ctkg:applicationType ctkg:IndicationExtension . OPTIONAL { ?a ctkg:curationNote ?note } } }
        GROUP BY ?a""")}
    assert {a for a, inferred in answer.items() if inferred} == {
        "axicabtagene-ciloleucel-fda-extension-2022", "lisocabtagene-maraleucel-fda-extension-2024",
        "ciltacabtagene-autoleucel-fda-extension-2024", "relmacabtagene-autoleucel-nmpa-extension-2022"}
    assert {a for a, inferred in answer.items() if not inferred} == {  # the list says "extension" or "added"
        "tisagenlecleucel-fda-extension-2018", "idecabtagene-vicleucel-eu-extension-2024",
        "ciltacabtagene-autoleucel-eu-extension-2024"}


def test_an_announcement_day_is_kept_as_the_announcement_and_the_decision_by_its_month(store):
    (row,) = rows(store, """
        SELECT (DATATYPE(?date) AS ?type) ?date ?announced WHERE {
          id:application\\/inaticabtagene-autoleucel-nmpa ctkg:decisionDate ?date ; ctkg:announcementDate ?announced ;
              ctkg:dateBasis ctkg:AnnouncementDateBasis }""")
    assert (row["date"], row["type"], row["announced"]) == ("2023-11", str(XSD.gYearMonth), "2023-11-08")
