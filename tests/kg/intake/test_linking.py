"""Names resolve to the graph's resources: by label, other name, acronym or country; a new name to nothing;
one company named three ways is one resource."""

import pytest

from kg.intake.linking import Names, normalise

from .conftest import ID, of_kind


def test_resolve_by_label_alias_acronym_and_parenthesis(names):
    assert names.resolve("Acme Biotherapeutics").iri == ID + "company/acme-bio"
    assert names.resolve("acme bio’s").iri == ID + "company/acme-bio"
    assert names.resolve("the NRA").iri == ID + "authority/nra"
    assert names.resolve("National Regulatory Agency (NRA)").iri == ID + "authority/nra"
    assert names.resolve("Sylvania").kind == "jurisdiction"
    assert names.resolve("Omega Therapeutics") is None


def test_most_specific_kind_wins(names):
    assert names.resolve("NRA").kind == "authority"
    assert names.resolve("Acme Bio").kind == "company"


def test_derived_authority_only_when_one_decides_there(names):
    assert names.derived_authority(ID + "jurisdiction/sylvania") == ID + "authority/smb"
    assert names.derived_authority(ID + "jurisdiction/nowhere") is None
    two = Names.from_rows([], [{"authority": "a", "jurisdiction": "j"}, {"authority": "b", "jurisdiction": "j"}])
    assert two.derived_authority("j") is None


def test_normalise():
    assert normalise("  The  Acme   Bio’s ") == "acme bio"


def test_a_company_named_three_ways_is_one_company_with_aliases(read):
    x = read("Acme Biotherapeutics has received the NRA’s approval for Zorvex in adults.\n"
             "Acme Bio chief executive officer Jane Doe said: “A good day.”\n"
             "The company, trading as Acme Pharma in Freedonia, will supply Zorvex.")
    companies = {n.key for names in x.names.values() for n in names if n.kind == "company"}
    assert companies == {ID + "company/acme-bio"}
    (alias,) = [f for f in of_kind(x, "alias") if f.fields["entity_type"] == "company"]
    assert alias.fields["names"] == ["Acme Biotherapeutics", "Acme Bio", "Acme Pharma"]


def test_a_new_company_with_an_acronym_is_one_new_resource(read):
    x = read("Orion Cell Therapies (OCTL) has been granted a GMP manufacturing licence by the NRA.\n"
             "A spokesperson for OCTL said the licence covers T-cell products.")
    keys = {n.key for names in x.names.values() for n in names if n.kind == "company"}
    assert keys == {"new:company:orion cell therapies"}
    (alias,) = of_kind(x, "alias")
    assert alias.fields["names"] == ["Orion Cell Therapies", "OCTL"]
    (gmp,) = of_kind(x, "gmp_inspection")
    assert gmp.company.new and gmp.company.key == "new:company:orion cell therapies"


@pytest.mark.usefixtures("built")
def test_the_seed_articles_names_resolve_in_the_built_graph(store):
    graph = Names.from_store(store)
    iaso = {graph.resolve(n).iri for n in ("IASO Bio", "IASO Biotechnology", "IASO Biotherapeutics")}
    assert iaso == {ID + "company/iaso-bio"}
    assert graph.resolve("Fucaso").iri == graph.resolve("Equecabtagene Autoleucel").iri
    assert graph.resolve("NMPA").iri == ID + "authority/nmpa"
    assert graph.resolve("Mainland China").kind == "jurisdiction"
    assert graph.resolve("FUMANBA-1").kind == "study"
