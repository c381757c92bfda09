"""The lists the build writes are the API's queries' answers, item for item and page for page, on the real
data and on the synthetic data (applications for products declared in other files); a page after an item is
the page at that item's offset. The rows a full build reads for a whole list without its query are that
query's rows, also on a graph tangled as the generator never writes one (several labels, dates and links)."""

from collections import Counter
from collections.abc import Iterable
from pathlib import Path

import pyoxigraph as ox
import pytest
from rdflib.namespace import RDF, RDFS, XSD

from kg import listings
from kg.build import build
from kg.rq import read_query
from kg.sparql_text import bind_values
from kg.store import StoreLayout, open_read_only, read_manifest
from kg.vocab import CTKG, PREFIXES

from .conftest import settings_for

ROOT = Path(__file__).resolve().parents[2]
# The API's queries of the three lists, with no filter (applications.rq: the open period).
OPEN_PERIOD = {"from": ox.Literal("0000-00-00"), "to": ox.Literal("9999-99-99"),
               "undated": ox.Literal("true", datatype=ox.NamedNode("http://www.w3.org/2001/XMLSchema#boolean"))}
API_QUERIES = {
    "products": (read_query("kg", "store_queries", "products"), {}),
    "authorities": (read_query("kg", "store_queries", "authorities"), {}),
    "applications": ((ROOT / "api" / "queries" / "applications.rq").read_text(encoding="utf-8"), OPEN_PERIOD),
}
LEFT_OUT = {"from", "to", "undated"}  # bound values that applications.rq selects


def api_rows(store: ox.Store, name: str) -> list[dict]:
    text, bindings = API_QUERIES[name]
    answer = store.query(bind_values(text, bindings), prefixes=PREFIXES)
    return [{v.value: row[v].value for v in answer.variables if row[v] is not None and v.value not in LEFT_OUT}
            for row in answer]


@pytest.fixture(scope="module")
def synthetic_build(tmp_path_factory) -> Path:
    settings = settings_for(ROOT / "tests" / "kg" / "data" / "synthetic", tmp_path_factory.mktemp("lists"))
    build(settings)
    return StoreLayout(settings.store_dir).current_build()


def check_lists(build_dir: Path) -> None:
    store, _ = open_read_only(build_dir.parent.parent)
    path = build_dir / listings.FILE
    manifest = read_manifest(build_dir)
    for name, listing in listings.LISTS.items():
        # The rows of an item in the file's order (the query's ORDER BY does not order them).
        runs = [listings.in_order(run) for run in listings.items(api_rows(store, name), listing.key)]
        assert manifest["lists"][name] == len(runs), name
        assert listings.page(path, name, 0, 10_000) == [row for run in runs for row in run], name
        for offset, limit in ((0, 1), (2, 3), (len(runs) - 1, 5), (len(runs) + 3, 5)):
            assert listings.page(path, name, offset, limit) == [r for run in runs[offset:offset + limit] for r in run]
        if len(runs) > 3:
            after = runs[1][0][listing.key]
            assert listings.page(path, name, 0, 2, after=after) == [r for run in runs[2:4] for r in run]
            assert listings.page(path, name, 1, 2, after=after) == [r for run in runs[3:5] for r in run]
    with pytest.raises(listings.NotListed):
        listings.page(path, "products", 0, 1, after="https://w3id.org/ctkg/id/product/no-such-product")


def test_the_lists_of_the_real_data_are_the_queries_answers(built):
    check_lists(StoreLayout(built.store_dir).current_build())


def test_the_lists_of_the_synthetic_data_are_the_queries_answers(synthetic_build):
    check_lists(synthetic_build)


def test_authorities_filtered_by_pics_membership(built):
    build_dir = StoreLayout(built.store_dir).current_build()
    store, _ = open_read_only(built.store_dir)
    path = build_dir / listings.FILE
    for member in (True, False):
        expected = [r for r in api_rows(store, "authorities") if r["isPicsMember"] == str(member).lower()]
        assert listings.page(path, "authorities", 0, 10_000, flag=member) == expected
        assert listings.count(path, "authorities", member) == len({r["authority"] for r in expected})


def test_the_manifest_counts_resources_per_class(built):
    store, _ = open_read_only(built.store_dir)
    manifest = read_manifest(StoreLayout(built.store_dir).current_build())
    answer = store.query(read_query("kg", "store_queries", "entities-per-class"), prefixes=PREFIXES)
    assert manifest["classes"] == [{"class": r["class"].value, "label": r["label"].value if r["label"] else None,
                                    "entities": int(r["entities"].value)} for r in answer]


# --- the whole lists, as a full build reads them (`Listing.whole`): the rows of their queries ---

DEFAULT = ox.DefaultGraph()


def term(iri) -> ox.NamedNode:
    return ox.NamedNode(str(iri))


def typed(text: str, datatype) -> ox.Literal:
    return ox.Literal(text, datatype=term(datatype))


def multiset(rows: Iterable[dict]) -> Counter:
    return Counter(tuple(sorted(row.items())) for row in rows)


def assert_whole_lists_are_the_queries_answers(store: ox.Store) -> None:
    whole = {name: listing for name, listing in listings.LISTS.items() if listing.whole is not None}
    assert set(whole) == {"products", "applications"}
    for name, listing in whole.items():
        rows = [row for group in listing.whole(store) for row in group]
        assert multiset(rows) == multiset(listings.rows(store, name)), name


def test_the_whole_lists_of_the_real_data_are_the_queries_rows(store):
    assert_whole_lists_are_the_queries_answers(store)


def test_the_whole_lists_of_the_synthetic_data_are_the_queries_rows(synthetic_build):
    store, _ = open_read_only(synthetic_build.parent.parent)
    assert_whole_lists_are_the_queries_answers(store)


def the(store: ox.Store, subject, predicate):
    (quad,) = store.quads_for_pattern(subject, term(predicate), None, DEFAULT)
    return quad.object


def set_all(store: ox.Store, subject, predicate, objects) -> None:
    """`subject`'s objects of `predicate` in the default graph are `objects`, and only them."""
    for quad in list(store.quads_for_pattern(subject, term(predicate), None, DEFAULT)):
        store.remove(quad)
    store.extend([ox.Quad(subject, term(predicate), obj, DEFAULT) for obj in objects])


@pytest.fixture(scope="module")
def tangled(synthetic_build, tmp_path_factory):
    """The default graph of the synthetic build, in a store of its own, with what the lists' rules are about and
    the generator never writes; returns the store and the applications changed, in the order below."""
    source, _ = open_read_only(synthetic_build.parent.parent)
    store = ox.Store(str(tmp_path_factory.mktemp("tangled") / "oxigraph"))
    store.extend(list(source.quads_for_pattern(None, None, None, DEFAULT)))
    apps = sorted((q.subject for q in store.quads_for_pattern(None, term(RDF.type), term(CTKG.RegulatoryApplication),
                                                                DEFAULT)), key=lambda node: node.value)[:10]
    product, regulator = the(store, apps[0], CTKG.product), the(store, apps[0], CTKG.regulator)
    other_jurisdiction = the(store, the(store, apps[9], CTKG.regulator), CTKG.jurisdiction)
    # Labels: two terms of one text, a text TSV escapes, a number; a regulator of two names and jurisdictions.
    set_all(store, product, RDFS.label, [ox.Literal("Twin name"), ox.Literal("Twin name", language="en"),
                                         ox.Literal('tab\there, "quoted", back\\slash,\nnewline, ünïcode'),
                                         typed("42", XSD.integer)])
    set_all(store, product, CTKG.inn, [ox.Literal("first inn"), ox.Literal("second inn")])
    store.add(ox.Quad(regulator, term(RDFS.label), ox.Literal("Second name"), DEFAULT))
    store.add(ox.Quad(regulator, term(CTKG.jurisdiction), other_jurisdiction, DEFAULT))
    store.add(ox.Quad(other_jurisdiction, term(RDFS.label), ox.Literal("Autre nom", language="fr"), DEFAULT))
    # Decision dates: the longest, then the least.
    set_all(store, apps[0], CTKG.decisionDate, [typed("2020", XSD.gYear), typed("2020-05", XSD.gYearMonth),
                                                typed("2020-05-01", XSD.date), typed("2020-04-30", XSD.date)])
    set_all(store, apps[1], CTKG.decisionDate, [typed("2021", XSD.gYear), typed("2019", XSD.gYear)])
    set_all(store, apps[1], CTKG.status, [term(CTKG.Approved), term(CTKG.Rejected)])
    set_all(store, apps[1], CTKG.applicationType, [term(CTKG.NewDrugApplication), term(CTKG.IndicationExtension)])
    # One text, two terms: one date. No type.
    set_all(store, apps[2], CTKG.decisionDate, [typed("2022-03-04", XSD.date), ox.Literal("2022-03-04")])
    set_all(store, apps[2], CTKG.applicationType, [])
    # A blank node, whose STR is an error, beside a date; alone.
    set_all(store, apps[3], CTKG.decisionDate, [ox.BlankNode("when"), typed("2018", XSD.gYear)])
    set_all(store, apps[4], CTKG.decisionDate, [ox.BlankNode("never")])
    # Texts that are not digits: read as the datatype their length gives them (a gYear with a time zone, then
    # written as pyoxigraph writes it); an IRI, by its text.
    set_all(store, apps[5], CTKG.decisionDate, [ox.Literal("02020"), typed("2020Z", XSD.gYear),
                                                ox.Literal("20201+00:00")])
    set_all(store, apps[6], CTKG.decisionDate, [ox.NamedNode("urn:date:2017"), typed("2017-01-01", XSD.date)])
    set_all(store, apps[7], CTKG.decisionDate, [ox.Literal("2016-1-2"), ox.Literal("2016-01-02+01:00")])
    # Two products, one a blank node with a label; a product without a label.
    blank = ox.BlankNode("product")
    store.add(ox.Quad(apps[8], term(CTKG.product), blank, DEFAULT))
    store.add(ox.Quad(blank, term(RDFS.label), ox.Literal("anonymous product"), DEFAULT))
    set_all(store, the(store, apps[9], CTKG.product), RDFS.label, [])
    # A product of no application, with no label.
    store.add(ox.Quad(ox.NamedNode("urn:product:alone"), term(RDF.type), term(CTKG.MedicinalProduct), DEFAULT))
    return store, [app.value for app in apps]


def test_the_whole_lists_of_a_tangled_graph_are_the_queries_rows(tangled):
    store, apps = tangled
    assert_whole_lists_are_the_queries_answers(store)
    # The graph has what it is meant to have, as the queries read it.
    answer = listings.rows(store, "applications")
    dates = {(row["application"], row.get("decisionDate")) for row in answer}
    assert {(apps[0], "2020-04-30"), (apps[1], "2019"), (apps[2], "2022-03-04"), (apps[3], "2018"), (apps[3], None),
            (apps[4], None), (apps[5], "20201Z")} <= dates
    assert len({(row["status"], row["applicationType"]) for row in answer if row["application"] == apps[1]}) == 4
    twins = multiset(row for row in answer if row["application"] == apps[0] and row.get("productLabel") == "Twin name")
    assert set(twins.values()) == {2}  # a row of each label term, with the same values
    products = listings.rows(store, "products")
    assert {"product": "urn:product:alone", "applications": "0"} in products


def test_a_tangled_graph_is_listed_whole_in_order(tangled, tmp_path):
    store, _ = tangled
    path = tmp_path / listings.FILE
    counts = listings.write(store, path)
    for name, listing in listings.LISTS.items():
        items: dict[str, list[dict]] = {}
        for row in listings.rows(store, name):
            items.setdefault(listing.order(row), []).append(row)
        assert counts[name] == len(items), name
        expected = [row for key in sorted(items) for row in listings.in_order(items[key])]
        assert listings.page(path, name, 0, 100_000) == expected, name
