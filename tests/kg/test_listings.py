"""The lists the build writes are the API's queries' answers, item for item and page for page, on the real
data and on the synthetic data (applications for products declared in other files); a page after an item is
the page at that item's offset."""

from pathlib import Path

import pyoxigraph as ox
import pytest

from kg import listings
from kg.build import build
from kg.rq import read_query
from kg.sparql_text import bind_values
from kg.store import StoreLayout, open_read_only, read_manifest
from kg.vocab import PREFIXES

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
        runs = listings.items(api_rows(store, name), listing.key)
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
