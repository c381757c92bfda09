"""The search index answers what `api/queries/search-contains.rq` answers on the store, row for row and page
for page: on the real data, and on names made to be hard (accents, case that changes length, final sigma,
text shorter than a trigram, SPARQL and FTS5 metacharacters, aliases without a label, several labels)."""

from pathlib import Path

import pyoxigraph as ox
import pytest
from rdflib.namespace import RDFS, SKOS

from kg import search_index
from kg.quality import LABEL_COLLISION, label_collisions, qc_findings
from kg.sparql_text import bind_values
from kg.store import StoreLayout
from kg.vocab import ID, PREFIXES

ROOT = Path(__file__).resolve().parents[2]
SEARCH_CONTAINS = (ROOT / "api" / "queries" / "search-contains.rq").read_text(encoding="utf-8")

# (resource, predicate, name): the names of the hard cases.
HARD_NAMES = [
    ("product/cafe", RDFS.label, "Café Éclair"),
    ("product/cafe", SKOS.altLabel, "CAFÉ"),
    ("product/plain-cafe", RDFS.label, "cafe eclair"),
    ("product/greek", RDFS.label, "ΟΔΟΣ ΣΟΦΙΑΣ"),
    ("product/turkish", RDFS.label, "İstanbul"),
    ("product/strasse", RDFS.label, "Straße"),
    ("product/strasse", SKOS.altLabel, "STRASSE"),
    ("product/digraph", RDFS.label, "ǅemal"),
    ("product/quoted", RDFS.label, 'the "quoted" name 100% _x_ *y* (z) [w] \\ back'),
    ("product/a", RDFS.label, "a"),
    ("product/ab", RDFS.label, "Ab"),
    ("product/alias-only", SKOS.altLabel, "Alias Only"),
    ("product/two-labels", RDFS.label, "Zeta one"),
    ("product/two-labels", RDFS.label, "alpha one"),
    ("product/tagged", RDFS.label, ("Onkologie", "de")),
    ("product/emoji", RDFS.label, "cell 🧬 therapy"),
    ("product/same-label", RDFS.label, "ab"),
]
HARD_TEXTS = ["é", "É", "caf", "CAFÉ", "cafe", "éclair", "a", "A", "ab", "σ", "ς", "οσ", "ΟΔΟΣ", "σοφιας", "i̇",
              "İst", "ss", "ß", "STRASSE", "ǆ", "ǅe", '"', '"quoted"', "%", "_x_", "*y*", "(z)", "[w]", "\\",
              " ", "one", "alias", "ONKO", "🧬", "l 🧬 t", "nothing like it", "AND", "NEAR", "ca\x00fe", "\x00"]


def contains_rows(store: ox.Store, text: str) -> list[dict]:
    """search-contains.rq's answer on the store, each row as the API reads it."""
    query = bind_values(SEARCH_CONTAINS, {"text": ox.Literal(text)})
    return [{name: row[name].value for name in ("resource", "label", "matched") if row[name] is not None}
            for row in store.query(query, prefixes=PREFIXES)]


def window(rows: list[dict], offset: int, limit: int) -> tuple[list[dict], int]:
    """A page of rows as `api.jobs.Page` cuts it: items are runs of rows with the same resource."""
    out, item, previous = [], -1, None
    for row in rows:
        if row["resource"] != previous:
            item, previous = item + 1, row["resource"]
        if offset <= item < offset + limit:
            out.append(row)
    return out, item + 1


def in_order(rows: list[dict]) -> list[dict]:
    """Rows with the rows of each run of one resource in a fixed order (the engine's order among rows whose
    sort keys are equal, a resource's labels equal ignoring case, is its own)."""
    runs: list[list[dict]] = []
    for row in rows:
        if runs and runs[-1][0]["resource"] == row["resource"]:
            runs[-1].append(row)
        else:
            runs.append([row])
    return [row for run in runs for row in sorted(run, key=lambda r: sorted(r.items()))]


def assert_same_answers(store: ox.Store, path: Path, text: str) -> None:
    expected = contains_rows(store, text)
    rows, total = search_index.search(path, text, offset=0, limit=10_000)
    assert (in_order(rows), total) == (in_order(expected), window(expected, 0, 10_000)[1]), text
    for offset, limit in ((1, 2), (3, 1)):
        rows, total = search_index.search(path, text, offset=offset, limit=limit)
        page, items = window(expected, offset, limit)
        assert (in_order(rows), total) == (in_order(page), items), (text, offset)


@pytest.fixture(scope="module")
def hard(tmp_path_factory) -> tuple[ox.Store, Path]:
    store = ox.Store()
    for resource, predicate, name in HARD_NAMES:
        literal = ox.Literal(name[0], language=name[1]) if isinstance(name, tuple) else ox.Literal(name)
        store.add(ox.Quad(ox.NamedNode(f"{ID}{resource}"), ox.NamedNode(str(predicate)), literal))
    # Names that are not of an instance: not found.
    store.add(ox.Quad(ox.NamedNode("https://example.org/elsewhere"), ox.NamedNode(str(RDFS.label)), ox.Literal("cafe")))
    store.add(ox.Quad(ox.BlankNode(), ox.NamedNode(str(RDFS.label)), ox.Literal("cafe")))
    path = tmp_path_factory.mktemp("hard") / search_index.FILE
    assert search_index.write(store, path) == len(HARD_NAMES)
    return store, path


@pytest.mark.parametrize("text", HARD_TEXTS)
def test_hard_names_are_found_as_the_query_finds_them(hard, text):
    assert_same_answers(*hard, text)


def test_every_part_of_a_real_name_is_found_as_the_query_finds_it(built, store):
    path = StoreLayout(built.store_dir).current_build() / search_index.FILE
    names = sorted({q.object.value for p in (RDFS.label, SKOS.altLabel)
                    for q in store.quads_for_pattern(None, ox.NamedNode(str(p)), None, ox.DefaultGraph())})
    texts = {"a", "e", "ca", "CAR", "hong kong", "Bio", "no such name at all"}
    for name in names[::max(1, len(names) // 25)]:
        texts |= {name, name.upper(), name[:2], name[1:5], name[len(name) // 2:]}
    for text in sorted(t for t in texts if t.strip()):
        assert_same_answers(store, path, text)


def test_a_search_past_its_deadline_is_stopped(hard, monkeypatch):
    _, path = hard
    monkeypatch.setattr(search_index, "PROGRESS_STEPS", 1)  # the deadline looked at every step
    with pytest.raises(search_index.SearchTimeout):
        search_index.search(path, "a", offset=0, limit=10, deadline=0.0)


def test_shared_names_are_what_the_label_collision_check_finds(tmp_path):
    label, alias = ox.NamedNode(str(RDFS.label)), ox.NamedNode(str(SKOS.altLabel))
    store = ox.Store()
    for slug, predicate, name in [("product/z", label, ox.Literal("Same")), ("company/a", alias, ox.Literal("SAME")),
                                  ("product/m", label, ox.Literal("same", language="en")),
                                  ("source/s", label, ox.Literal("same")),  # sources are left out
                                  ("product/q", label, ox.Literal("Ünique")),
                                  ("product/r", alias, ox.Literal("üNIQUE")),
                                  ("product/alone", label, ox.Literal("alone")),
                                  ("product/iri", alias, ox.NamedNode("https://example.org/same-iri")),
                                  ("company/iri", alias, ox.NamedNode("https://example.org/SAME-IRI"))]:
        store.add(ox.Quad(ox.NamedNode(f"{ID}{slug}"), predicate, name))
    path = tmp_path / search_index.FILE
    search_index.write(store, path)
    expected = [f for f in qc_findings(store) if f.path == LABEL_COLLISION]
    assert len(expected) == 3
    assert sorted(label_collisions(search_index.collisions(path))) == sorted(expected)
    # After a change to product/r alone, only its name can have become shared.
    changed = search_index.collisions(path, {f"{ID}product/r", f"{ID}product/alone"})
    assert label_collisions(changed) == [f for f in expected if "ünique" in f.message]
