"""Each kind of fact, and each rule of "nothing invented", on short sentences written for the test."""

import pytest

from kg.intake.extract import SUBJECT_PRODUCT

from .conftest import ID, of_kind


def test_approval_links_product_and_authority(read):
    x = read("The National Regulatory Agency has approved Zorvex for adults with relapsed lymphoma.")
    (fact,) = of_kind(x, "approval")
    assert fact.product.key == ID + "product/zorvatabtagene-autoleucel"
    assert fact.authority.key == ID + "authority/nra"
    assert fact.sponsor is None and fact.date is None  # the sentence names neither


def test_approval_keeps_evidence_and_its_position(read):
    text = "Some words of introduction go here.\nOn 4 March 2024, the NRA approved Zorvex for adults with lymphoma."
    x = read(text)
    (fact,) = of_kind(x, "approval")
    start, end = fact.evidence
    assert x.article.text[start:end] == "On 4 March 2024, the NRA approved Zorvex for adults with lymphoma."
    assert fact.date_value == "2024-03-04"


def test_sponsor_only_when_the_sentence_makes_it_the_holder(read):
    x = read("Acme Bio has received the Sylvania Medicines Board’s approval for Zorvex in adults.")
    (fact,) = of_kind(x, "approval")
    assert fact.sponsor.key == ID + "company/acme-bio"


def test_application_accepted_is_under_review_with_a_month(read):
    x = read("In May 2024, the NRA accepted the marketing authorisation application for Zorvex in adults.")
    (fact,) = of_kind(x, "under_review")
    assert fact.fields["status"] == "accepted"
    assert fact.date_value == "2024-05"  # a month stays a month
    assert fact.fields["application"] == "MAA"


def test_reviews_ongoing_in_two_countries_are_two_facts(read):
    x = read("Zorvex is approved by the NRA, with reviews ongoing in Sylvania and Freedonia.")
    kinds = {(f.kind, (f.authority or f.jurisdiction).key) for f in x.facts}
    assert kinds == {("approval", ID + "authority/nra"), ("under_review", ID + "jurisdiction/sylvania"),
                     ("under_review", ID + "jurisdiction/freedonia")}


def test_seeking_approval_is_no_approval(read):
    x = read("Acme Bio has submitted an application to the NRA seeking approval of Zorvex for children.")
    assert of_kind(x, "approval") == []
    (fact,) = of_kind(x, "under_review")
    assert fact.fields["status"] == "submitted"


def test_an_approval_still_to_come_is_no_approval(read):
    x = read("An approval of Zorvex by the NRA is expected in 2025, and the SMB is expected to approve it later.")
    assert of_kind(x, "approval") == []


def test_notice_of_compliance_is_an_approval(read):
    x = read("The SMB issued a Notice of Compliance for Zorvex on 3 May 2024.")
    (fact,) = of_kind(x, "approval")
    assert (fact.authority.key, fact.date_value) == (ID + "authority/smb", "2024-05-03")


def test_complete_response_letter_is_a_refusal(read):
    x = read("The NRA issued a complete response letter for Zorvex after reviewing the data.")
    (fact,) = of_kind(x, "rejection")
    assert fact.authority.key == ID + "authority/nra"
    assert of_kind(x, "approval") == []


def test_withdrawal_keeps_the_decision_date_not_the_effective_one(read):
    x = read("On 2 April 2022, the NRA withdrew the marketing authorisation for Zorvex, effective as of 1 June 2022.")
    (fact,) = of_kind(x, "withdrawal")
    assert fact.date_value == "2022-04-02"
    assert any("effective" in note for note in fact.notes)


def test_reliance_names_the_earlier_decision_and_the_pathway(read):
    x = read("The SMB approved Zorvex in 2023 under its reliance pathway, which reviewed previous approval in "
             "Freedonia and data from the ZEN-2 pivotal study.")
    (fact,) = [f for f in of_kind(x, "approval") if f.authority is not None]
    reliance = fact.fields["reliance"]
    assert reliance["jurisdiction"].key == ID + "jurisdiction/freedonia"
    assert reliance["relation"].startswith("reliance: reviewed previous approval in Freedonia")
    assert any(n.startswith("Pathway: ") for n in fact.notes)
    (study,) = of_kind(x, "clinical_study")
    assert study.fields["study"] == "ZEN-2"


def test_gmp_certificate_after_inspection(read):
    x = read("After a GMP inspection of its plant, the NRA issued Acme Bio a GMP certificate for Zorvex.")
    (fact,) = of_kind(x, "gmp_inspection")
    assert fact.authority.key == ID + "authority/nra"
    assert fact.company.key == ID + "company/acme-bio"
    assert fact.fields["outcome"] == "compliant"


def test_gmp_inspection_names_the_site(read):
    x = read("The NRA inspected the manufacturing site in Port Royal, Freedonia and found it GMP compliant.")
    (fact,) = of_kind(x, "gmp_inspection")
    assert fact.fields["site"] == "Port Royal, Freedonia"
    assert fact.company is None  # the sentence names none and the article has no subject company


def test_pics_membership(read):
    x = read("The Sylvania Medicines Board became a member of PIC/S, the scheme announced on 1 January 2021.")
    (fact,) = of_kind(x, "pics_membership")
    assert fact.authority.key == ID + "authority/smb"
    assert fact.date_value == "2021-01-01"


def test_clinical_study_named_before_trial(read):
    x = read("Zorvex was studied in the open-label ORBIT-3 trial in 120 patients.")
    (fact,) = of_kind(x, "clinical_study")
    assert fact.fields["study"] == "ORBIT-3"
    assert "open-label" in fact.fields["design"]
    assert fact.product.key == ID + "product/zorvatabtagene-autoleucel"


def test_person_and_role(read):
    x = read("“We are delighted for patients,” said Jane Doe, chief medical officer of Acme Bio.")
    (fact,) = of_kind(x, "person_role")
    assert (fact.fields["person"], fact.fields["role"], fact.fields["organisation"]) == (
        "Jane Doe", "chief medical officer", "Acme Bio")


def test_person_role_before_the_name(read):
    x = read("Acme Bio founder and CEO John Roe said: “This is a good day for our company.”")
    (fact,) = of_kind(x, "person_role")
    assert (fact.fields["person"], fact.fields["role"], fact.fields["organisation"]) == (
        "John Roe", "founder and CEO", "Acme Bio")


def test_claim_first_is_a_claim_not_an_approval(read):
    x = read("Zorvex is the first CAR-T therapy approved in Freedonia.")
    assert of_kind(x, "approval") == []
    (claim,) = of_kind(x, "claim")
    assert ID + "product/zorvatabtagene-autoleucel" in claim.fields["about"]


def test_product_names_together_are_one_product_with_aliases(read):
    x = read("The NRA approved Zorvex (zorvatabtagene autoleucel; zorva-cel) for adults. Doctors call it zorva-cel.")
    (alias,) = of_kind(x, "alias")
    assert alias.fields["names"] == ["Zorvex", "zorvatabtagene autoleucel", "zorva-cel"]
    assert {m.key for m in x.names[ID + "product/zorvatabtagene-autoleucel"]} == {
        ID + "product/zorvatabtagene-autoleucel"}


def test_brand_and_inn_alone_are_no_alias(read):
    x = read("The NRA approved Zorvex (zorvatabtagene autoleucel) for adults with lymphoma.")
    assert of_kind(x, "alias") == []


# Rules of point 3: nothing invented.

def test_relative_date_is_absent_without_a_publication_date(read):
    x = read("Last Friday, the NRA approved Zorvex for adults with lymphoma.")
    (fact,) = of_kind(x, "approval")
    assert fact.date_value is None
    assert fact.date.text == "Last Friday"
    assert "date_derived" not in fact.fields
    assert any("Last Friday" in n and "left out" in n for n in fact.notes)


def test_relative_date_resolved_against_the_publication_date_is_derived(read):
    x = read("Last Friday, the NRA approved Zorvex for adults with lymphoma.", published="2024-03-13")
    (fact,) = of_kind(x, "approval")
    assert fact.date_value is None  # the stated date stays absent
    assert fact.fields["date_derived"] == "2024-03-08"
    assert any("inference" in n for n in fact.notes)


def test_last_week_is_never_a_date(read):
    x = read("Last week the NRA approved Zorvex for adults.", published="2024-03-13")
    (fact,) = of_kind(x, "approval")
    assert fact.date_value is None and "date_derived" not in fact.fields
    (note,) = fact.notes
    assert "names no calendar date" in note and "no publication date" not in note


def test_a_weekday_with_a_calendar_date_is_the_calendar_date(read):
    x = read("On Friday, 3 May 2024, the NRA approved Zorvex for adults.")
    (fact,) = of_kind(x, "approval")
    assert (fact.date_value, fact.date.text) == ("2024-05-03", "3 May 2024")
    assert "date_derived" not in fact.fields


def test_a_calendar_date_later_in_the_sentence_does_not_replace_a_relative_one(read):
    x = read("On Friday the NRA approved Zorvex, for which Acme Bio had applied in June 2023.")
    (fact,) = of_kind(x, "approval")
    assert fact.date_value is None and fact.date.text == "On Friday"


def test_month_without_a_year_is_left_absent(read):
    x = read("In September, the NRA approved Zorvex for adults.")
    (fact,) = of_kind(x, "approval")
    assert fact.date_value is None and fact.date.text == "In September"


def test_country_only_is_a_jurisdiction_and_a_derived_authority(read):
    x = read("Zorvex was approved in Sylvania in March 2024 for adults.")
    (fact,) = of_kind(x, "approval")
    assert fact.authority is None
    assert fact.jurisdiction.key == ID + "jurisdiction/sylvania"
    assert fact.derived_authority == ID + "authority/smb"
    assert fact.date_value == "2024-03"


def test_product_from_the_article_subject_is_said_so(read):
    x = read("Zorvex treats lymphoma. Zorvex is given once.\nThe NRA granted approval after a short review.")
    (fact,) = of_kind(x, "approval")
    assert fact.product.key == ID + "product/zorvatabtagene-autoleucel"
    assert SUBJECT_PRODUCT in fact.notes


def test_navigation_adverts_and_sponsor_lines_are_not_facts(read):
    x = read("Latest News\nSponsored by Acme Bio: the NRA approved Zorvex\nSubscribe to our newsletter for news "
             "of how the NRA approved Zorvex\nThe weather was mild in Freedonia and Sylvania this week.")
    assert x.facts == []


def test_an_approval_without_authority_or_place_is_not_proposed(read):
    x = read("Zorvex has been approved for the treatment of adults with lymphoma.")
    assert of_kind(x, "approval") == []


@pytest.mark.parametrize("text", [
    "Sign up now: the NRA approved Zorvex for adults",
    "Our newsletter says the NRA approved Zorvex",
    "Read more: NRA approved Zorvex",
])
def test_a_short_line_with_a_boilerplate_phrase_is_no_fact(read, text):
    assert of_kind(read(text + "\nThe weather was mild in Freedonia this week, as it often is."), "approval") == []


def test_a_paragraph_that_contains_a_boilerplate_phrase_keeps_its_facts(read):
    x = read("On 4 March 2024 the NRA approved Zorvex for adults with lymphoma; clinicians who sign up to the "
             "registry can read more about the sponsor and the cookie-cutter dosing advice in the label.")
    (fact,) = of_kind(x, "approval")
    assert (fact.authority.key, fact.date_value) == (ID + "authority/nra", "2024-03-04")


# A decision denied, still to come or only possible is no decision.

@pytest.mark.parametrize("text", [
    "The NRA did not approve Zorvex for adults with lymphoma.",
    "The NRA didn't approve Zorvex for adults with lymphoma.",
    "The NRA has not yet approved Zorvex for adults with lymphoma.",
    "The NRA never approved Zorvex for adults with lymphoma.",
    "The SMB could approve Zorvex by June 2025.",
    "The SMB may approve Zorvex for adults.",
    "The SMB might grant approval to Zorvex for adults.",
    "The SMB would approve Zorvex only with more data.",
    "The SMB will approve Zorvex if the data hold.",
    "The SMB should approve Zorvex, say patient groups.",
])
def test_a_denied_or_possible_approval_is_no_approval(read, text):
    assert of_kind(read(text), "approval") == []


@pytest.mark.parametrize("text, kind", [
    ("The NRA did not issue a complete response letter for Zorvex.", "rejection"),
    ("The SMB may issue a refusal for Zorvex in adults.", "rejection"),
    ("The NRA has not revoked the marketing authorisation for Zorvex.", "withdrawal"),
    ("The NRA could have accepted the marketing authorisation application for Zorvex.", "under_review"),
    ("Acme Bio will be filing an application for Zorvex with the NRA.", "under_review"),
])
def test_a_denied_or_possible_decision_of_any_kind_is_none(read, text, kind):
    assert of_kind(read(text), kind) == []


def test_may_as_a_month_does_not_undo_an_approval(read):
    x = read("In May the NRA approved Zorvex for adults with lymphoma.")
    (fact,) = of_kind(x, "approval")
    assert fact.authority.key == ID + "authority/nra"


def test_a_count_of_patients_is_no_date(read):
    x = read("The NRA approved Zorvex for adults after it was tested in 2000 patients.")
    (fact,) = of_kind(x, "approval")
    assert fact.date is None


# New products are read by the stems of INNs for cell therapies, never from ordinary words or names.

@pytest.mark.parametrize("text", [
    "The NRA approved Zorvex; Acme Bio withdrew its request to cancel the hearing.",
    "Marcel Martin, CEO of Acme Bio, said the NRA approved Zorvex for adults.",
    "The parcel of data that the NRA approved for Zorvex was small.",
])
def test_ordinary_words_and_names_ending_in_cel_are_no_products(read, text):
    written = {n.text for mentions in read(text).names.values() for n in mentions if n.kind == "product"}
    assert written == {"Zorvex"}


@pytest.mark.parametrize("inn", ["quorvaleucel", "brenastemcel-L", "tavorimidacel", "selvacabtagene autoleucel",
                                 "Selvacabtagene Autoleucel"])
def test_a_new_inn_is_a_new_product(read, inn):
    (fact,) = of_kind(read(f"The NRA approved {inn} for adults with lymphoma."), "approval")
    assert (fact.product.text, fact.product.new) == (inn, True)


def test_a_capitalised_word_ending_in_cel_is_a_product_only_when_the_graph_has_it(read):
    assert of_kind(read("The NRA approved Velumacel for adults with lymphoma."), "approval") == []
    (fact,) = of_kind(read("The NRA approved Quendacel for adults with lymphoma."), "approval")
    assert fact.product.key == ID + "product/quendacel"
