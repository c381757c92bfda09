"""`--format json`: every fact carries exactly the keys of the gold schema for its kind."""

import json

from kg.intake.gold import COMMON, EXTRA, dumps, to_gold


def test_every_fact_has_the_keys_of_its_kind(read):
    x = read("Acme Bio founder and CEO John Roe said: “Good news.”\n"
             "On 4 March 2024, the NRA approved Zorvex (zorvatabtagene autoleucel; zorva-cel) for adults.\n"
             "In May 2024, the SMB accepted the marketing authorisation application for Zorvex.\n"
             "The NRA issued Acme Bio a GMP certificate after a GMP inspection.\n"
             "Zorvex was studied in the ORBIT-3 trial.\n"
             "The SMB became a member of PIC/S.\n"
             "Zorvex is the first CAR-T therapy to be approved in Freedonia.")
    facts = to_gold(x)
    assert {f["kind"] for f in facts} == {"person_role", "approval", "alias", "under_review", "gmp_inspection",
                                          "clinical_study", "pics_membership", "claim"}
    for fact in facts:
        assert set(fact) == set(COMMON) | set(EXTRA[fact["kind"]]), fact["kind"]
        assert fact["evidence"] in x.article.text
        if fact["date_text"] is not None:
            assert fact["date_text"] in x.article.text
    approval = next(f for f in facts if f["kind"] == "approval")
    assert (approval["product"], approval["inn"], approval["authority"], approval["date"]) == (
        "Zorvex", "zorvatabtagene autoleucel", "NRA", "2024-03-04")
    assert approval["product_aliases"] == ["zorva-cel"]
    assert json.loads(dumps(facts)) == facts and dumps(facts).endswith("\n")


def test_a_relative_date_stays_null_with_its_words(read):
    x = read("Today’s approval of Zorvex by the NRA is good news for adults.", published="2024-03-13")
    (approval,) = [f for f in to_gold(x) if f["kind"] == "approval"]
    assert approval["date"] is None and approval["date_text"] == "Today’s"
    assert "2024-03-13" in approval["note"] and "inference" in approval["note"]


def test_a_capitalised_brand_ending_in_cel_is_no_inn(read):
    x = read("The NRA approved Quendacel for adults with lymphoma.")
    (approval,) = [f for f in to_gold(x) if f["kind"] == "approval"]
    assert (approval["product"], approval["inn"]) == ("Quendacel", None)


def test_an_inn_written_with_capitals_is_given_in_lower_case(read):
    x = read("The NRA approved Zorvex (Zorvatabtagene Autoleucel) for adults with lymphoma.")
    (approval,) = [f for f in to_gold(x) if f["kind"] == "approval"]
    assert approval["inn"] == "zorvatabtagene autoleucel"
