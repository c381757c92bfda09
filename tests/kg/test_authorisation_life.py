"""The life of an authorisation: first authorisations and extensions typed (stated or derived) and linked, events
that end an authorisation, and the questions that read them (`authorisation-history`, `approvals-as-of`)."""

import pyoxigraph as ox
import pytest

from kg.build import build
from kg.errors import BuildError
from kg.query import questions, rows
from kg.vocab import ID

from .conftest import settings_for

XSD_DATE = ox.NamedNode("http://www.w3.org/2001/XMLSchema#date")


def ask(store, name: str, **bindings) -> list[dict]:
    return rows(store, questions()[name].text, bindings)


def short(iri: str | None) -> str | None:
    return iri.rsplit("/", 1)[-1].rsplit("#", 1)[-1] if iri else iri


def as_of(store, day: str) -> set[tuple[str, str]]:
    answer = ask(store, "approvals-as-of", asOf=ox.Literal(day, datatype=XSD_DATE))
    return {(r["jurisdictionLabel"], r["productLabel"]) for r in answer}


@pytest.mark.parametrize(("day", "product", "approved"), [
    ("2015-05-05", "sipuleucel-T", True),   # EU authorisation 2013-09-06
    ("2015-05-06", "sipuleucel-T", False),  # withdrawn by the Commission on 2015-05-06
    ("2014-11-18", "MACI", True),           # EU authorisation 2013-06-27
    ("2014-11-19", "MACI", False),          # suspended 2014-11-19, expired 2018-07-01
    ("2019-10-08", "nalotimagene carmaleucel", True),
    ("2019-10-09", "nalotimagene carmaleucel", False),  # Zalmoxis withdrawn
])
def test_approvals_as_of_end_at_withdrawal_suspension_or_expiry(store, day, product, approved):
    assert (("European Union", product) in as_of(store, day)) is approved


def test_an_event_dated_by_month_ends_the_authorisation_from_the_end_of_that_month(store):
    # Invossa-K: approved 2017-07, licence revoked 2019-05 (the month only).
    assert ("Republic of Korea", "Invossa-K Inj.") in as_of(store, "2019-05-30")
    assert ("Republic of Korea", "Invossa-K Inj.") not in as_of(store, "2019-05-31")


def test_authorisation_history_gives_a_products_decisions_and_events_in_order(store):
    answer = ask(store, "authorisation-history", product=ox.NamedNode(ID["product/sipuleucel-t"]))
    assert [(r["date"], short(r["what"]), short(r["step"]), short(r["caseType"]), short(r["authorisation"]))
            for r in answer] == [
        ("2007", "Rejected", "sipuleucel-t-fda-refusal-2007", "FirstAuthorisation", "sipuleucel-t-fda-refusal-2007"),
        ("2010-04", "Approved", "sipuleucel-t-fda", "FirstAuthorisation", "sipuleucel-t-fda"),
        ("2013-09-06", "Approved", "sipuleucel-t-eu", "FirstAuthorisation", "sipuleucel-t-eu"),
        ("2015-05-06", "Withdrawal", "sipuleucel-t-eu-withdrawal", None, "sipuleucel-t-eu")]


def test_authorisation_history_of_a_conversion_and_a_renewal(store):
    holoclar = [(r["date"], short(r["step"]), short(r["caseType"]), short(r["typeBasis"]), short(r["authorisation"]))
                for r in ask(store, "authorisation-history", product=ox.NamedNode(ID["product/holoclar"]))]
    assert holoclar == [
        ("2015-02", "holoclar-eu", "FirstAuthorisation", "DerivedTypeBasis", "holoclar-eu"),
        ("2024-02-22", "holoclar-eu-conversion", "AuthorisationConversion", "StatedTypeBasis", "holoclar-eu"),
        # The UK's conditional authorisation is not in the graph: the conversion extends nothing known.
        ("2024-03-08", "holoclar-mhra-conversion", "AuthorisationConversion", "StatedTypeBasis",
         "holoclar-mhra-conversion")]
    chondrocelect = [(r["date"], short(r["what"])) for r in ask(store, "authorisation-history",
                                                                 product=ox.NamedNode(ID["product/chondrocelect"]))]
    assert chondrocelect == [("2009-10-05", "Approved"), ("2014", "Renewal"), ("2016-07-29", "Withdrawal")]


def test_an_application_under_review_has_its_submission_date_as_an_event(store):
    answer = [(r["date"], short(r["what"]), short(r["step"])) for r in ask(
        store, "authorisation-history", product=ox.NamedNode(ID["product/stemirac"]))]
    assert answer == [("2018-12-28", "Approved", "stemirac-mhlw"),
                      ("2025-11", "Submission", "stemirac-mhlw-conversion-submission"),
                      (None, "UnderReview", "stemirac-mhlw-conversion")]  # no decision yet: undated, last


def test_every_extension_extends_the_first_authorisation_of_the_same_product_by_the_same_authority(store):
    answer = rows(store, """
        SELECT DISTINCT ?extension ?first ?sameProduct ?sameRegulator ?firstCase WHERE {
          ?extension ctkg:caseType ctkg:AuthorisationExtension .
          OPTIONAL { ?extension ctkg:extends ?first . ?first ctkg:caseType ?firstCase .
                     BIND(EXISTS { ?extension ctkg:product ?p . ?first ctkg:product ?p } AS ?sameProduct)
                     BIND(EXISTS { ?extension ctkg:regulator ?r . ?first ctkg:regulator ?r } AS ?sameRegulator) }
        }""")
    assert len(answer) == 25  # 7 of the approvals list, 18 of the events list
    assert {(r["sameProduct"], r["sameRegulator"], short(r["firstCase"])) for r in answer} == {
        ("true", "true", "FirstAuthorisation")}


def test_extensions_say_whether_their_type_is_stated_or_derived(store):
    derived = {short(r["a"]) for r in rows(store, """
        SELECT DISTINCT ?a WHERE {
          ?a ctkg:caseType ctkg:AuthorisationExtension ; ctkg:typeBasis ctkg:DerivedTypeBasis }""")}
    # The approvals list gives these as later decisions by the same authority without calling them extensions.
    assert derived == {"axicabtagene-ciloleucel-fda-extension-2022", "lisocabtagene-maraleucel-fda-extension-2024",
                       "ciltacabtagene-autoleucel-fda-extension-2024", "relmacabtagene-autoleucel-nmpa-extension-2022"}
    untyped = rows(store, """
        SELECT ?a WHERE { ?a a ctkg:RegulatoryApplication FILTER NOT EXISTS { ?a ctkg:caseType ?t } }""")
    # Only the seed article's applications still under review, which no reference list states, have no case type.
    assert {short(r["a"]) for r in untyped} == {"equecabtagene-autoleucel-saudi-arabia",
                                                "equecabtagene-autoleucel-singapore"}


EVENT = """source:
  id: event-test
  label: A test source
events:
  - id: e
{fields}    evidence: a test snippet
"""


@pytest.mark.parametrize(("fields", "fails_with"), [
    ("    of: equecabtagene-autoleucel-mainland-china-bla\n    type: withdrawal\n    date: 2030-01\n", None),
    ("    type: withdrawal\n    date: 2030-01\n", "An event concerns exactly one application"),
    ("    of: equecabtagene-autoleucel-mainland-china-bla\n    date: 2030-01\n", "An event has exactly one type"),
], ids=["valid", "without-application", "without-type"])
def test_event_shapes(tmp_path, seed_only, fields, fails_with):
    (seed_only / "event.yaml").write_text(EVENT.format(fields=fields), encoding="utf-8")
    settings = settings_for(seed_only, tmp_path / "store")
    if fails_with is None:
        build(settings)
        return
    with pytest.raises(BuildError, match=fails_with):
        build(settings)
