"""Each competency question answers what the seed article says."""

import pytest

from kg.query import questions, rows
from kg.vocab import CTKG, ID

APP = "https://w3id.org/ctkg/id/application/"
FUCASO = str(ID["product/equecabtagene-autoleucel"])


def ask(store, name, **bindings):
    import pyoxigraph as ox

    return rows(store, questions()[name].text, {k: ox.NamedNode(v) for k, v in bindings.items()})


def test_there_are_at_least_ten_named_questions():
    assert len(questions()) >= 10
    for q in questions().values():
        assert q.title, f"{q.name}.rq must start with a comment saying what it answers"


def test_decisions_by_product_in_date_order(seed_store):
    answer = ask(seed_store, "decisions-by-product", product=FUCASO)
    assert [r["application"].removeprefix(APP) for r in answer[:3]] == [
        "equecabtagene-autoleucel-mainland-china-bla",  # June 2023
        "equecabtagene-autoleucel-macao-nda",  # March 2025
        "equecabtagene-autoleucel-hk-bla",  # approved, the article gives no date
    ]
    assert [r["date"] for r in answer[:2]] == ["2023-06", "2025-03"]
    assert {r["jurisdictionLabel"] for r in answer[3:]} == {"Saudi Arabia", "Singapore"}
    assert {r["status"] for r in answer[3:]} == {str(CTKG.UnderReview)}


def test_reliance_of_hong_kong_on_mainland_china(seed_store):
    (row,) = ask(seed_store, "reliance-approvals")
    assert row["application"] == APP + "equecabtagene-autoleucel-hk-bla"
    assert row["reliedOn"] == APP + "equecabtagene-autoleucel-mainland-china-bla"
    assert row["pathwayLabel"] == "“1+” mechanism"
    assert row["reliedOnDate"] == "2023-06"
    assert row["studies"] == "FUMANBA-1"


def test_pics_participants_named_by_the_article(seed_store):
    answer = ask(seed_store, "pics-participating-authorities")
    assert {r["authorityLabel"] for r in answer} == {
        "Pharmaceuticals and Medical Devices Agency", "U.S. Food and Drug Administration"}
    assert all(r["accessionDate"] is None for r in answer)  # the article gives no accession date


def test_source_contributions(seed_store):
    answer = {r["class"].split("#")[1]: int(r["facts"]) for r in ask(seed_store, "source-contributions")}
    assert answer == {
        "Antigen": 1, "CARTCellTherapy": 1, "Claim": 3, "ClinicalStudy": 1, "Company": 1,
        "CooperationScheme": 1, "GMPInspection": 1, "Jurisdiction": 7, "PICSMembership": 2, "Person": 1,
        "RegulatoryApplication": 5, "RegulatoryAuthority": 7, "RegulatoryPathway": 1,
    }


def test_products_by_target(seed_store):
    (row,) = ask(seed_store, "products-by-target")
    assert (row["inn"], row["antigenLabel"], row["sponsorLabel"], row["brands"]) == (
        "equecabtagene autoleucel", "BCMA", "IASO Biotherapeutics", "Fucaso")


def test_approvals_by_jurisdiction(seed_store):
    answer = {(r["jurisdictionLabel"], r["date"]) for r in ask(seed_store, "approvals-by-jurisdiction")}
    assert answer == {("Hong Kong SAR", None), ("Macao SAR", "2025-03"), ("Mainland China", "2023-06")}


def test_pending_reviews(seed_store):
    answer = {(r["authorityLabel"], r["jurisdictionLabel"]) for r in ask(seed_store, "pending-reviews")}
    assert answer == {("Saudi Food and Drug Authority", "Saudi Arabia"), ("Health Sciences Authority", "Singapore")}


def test_gmp_inspection_and_recognition(seed_store):
    (row,) = ask(seed_store, "gmp-inspections")
    assert row["inspectingAuthorityLabel"] == "Department of Health (Hong Kong)"
    assert row["organizationLabel"] == "IASO Biotherapeutics"
    assert row["outcome"] == str(CTKG.Compliant)
    assert row["standard"] == "PIC/S GMP"
    assert row["date"] is None  # not stated


def test_first_claims(seed_store):
    answer = {r["claim"].rsplit("/", 1)[1]: r for r in ask(seed_store, "first-claims")}
    assert set(answer) == {
        "first-china-developed-car-t-authorised-in-hong-kong",
        "first-china-developed-atmp-with-pics-gmp-recognition",
        "pics-has-more-than-56-authorities",
    }
    hong_kong = answer["first-china-developed-car-t-authorised-in-hong-kong"]
    assert APP + "equecabtagene-autoleucel-hk-bla" in hong_kong["subjects"]


def test_company_is_one_resource_with_its_aliases(seed_store):
    answer = {r["label"]: r["aliases"] for r in ask(seed_store, "organization-names")}
    assert answer["IASO Biotherapeutics"] == "IASO Bio; IASO Biotechnology"


def test_people_and_roles(seed_store):
    (row,) = ask(seed_store, "people-and-roles")
    assert (row["name"], row["organizationLabel"]) == ("Jinhua Zhang", "IASO Biotherapeutics")
    assert set(row["roles"].split(", ")) == {"founder", "chairperson", "CEO"}


def test_undated_approvals(seed_store):
    answer = [r["application"] for r in ask(seed_store, "undated-approvals")]
    assert answer == [APP + "equecabtagene-autoleucel-hk-bla"]


def test_application_evidence_cites_the_article(seed_store):
    answer = ask(seed_store, "application-evidence")
    assert {r["application"] for r in answer} >= {APP + "equecabtagene-autoleucel-hk-bla"}
    assert all(r["source"].endswith("pharmaceutical-technology-fucaso-hong-kong-approval") for r in answer)


@pytest.mark.parametrize("name", sorted(questions()))
def test_every_question_answers_on_the_full_graph(store, name):
    """On all of data/ each question has an answer, and no row twice: sources that state the same facts do
    not repeat rows."""
    answer = [tuple(sorted(row.items(), key=lambda item: item[0])) for row in ask(store, name)]
    assert answer, f"{name}.rq has no answer on the graph of data/"
    assert len(answer) == len(set(answer)), f"{name}.rq gives some rows more than once"
