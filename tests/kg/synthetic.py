"""The synthetic facts files (tests/kg/data/synthetic: three articles and the reference list, written by
bench/generate.py; tests/bench/test_generate.py keeps them in step with it), edited as the tests of split and
incremental validation need: one fact per "  - id:" block, removed or changed, and the breakages both are
checked on."""

import re
from pathlib import Path

SYNTHETIC = Path(__file__).parent / "data" / "synthetic"


def article(data: Path, n: int) -> Path:
    return data / "articles" / f"synthetic-article-{n:06d}.yaml"


def blocks(text: str) -> list[tuple[int, int, str]]:
    """(start, end, id) of every fact block in a generated file."""
    starts = [(m.start(), m.group(1)) for m in re.finditer(r'^  - id: "([^"]+)"\n', text, re.M)]
    out = []
    for i, (start, fact_id) in enumerate(starts):
        end = starts[i + 1][0] if i + 1 < len(starts) else len(text)
        section_end = re.search(r"^\S", text[start:end], re.M)  # a new section ends the block too
        out.append((start, start + section_end.start() if section_end else end, fact_id))
    return out


def remove_fact(path: Path, fact_id: str) -> None:
    text = path.read_text(encoding="utf-8")
    ((start, end, _),) = [b for b in blocks(text) if b[2] == fact_id]
    path.write_text(text[:start] + text[end:], encoding="utf-8")


def set_field(path: Path, fact_id: str, field: str, value: str | None) -> None:
    """Set (or with None remove) one field of one fact."""
    text = path.read_text(encoding="utf-8")
    ((start, end, _),) = [b for b in blocks(text) if b[2] == fact_id]
    block = re.sub(rf"^    {field}: .*\n", "", text[start:end], flags=re.M)
    if value is not None:
        block = block.rstrip("\n") + f"\n    {field}: {value}\n"
    path.write_text(text[:start] + block + text[end:], encoding="utf-8")


def cross_file_product(data: Path) -> tuple[Path, str, Path]:
    """A product declared in one article and applied for in another: (its file, its id, the other file)."""
    for path in sorted((data / "articles").glob("*.yaml")):
        for match in re.finditer(r'^    product: "(synthetic-product-(\d+)-4)"', path.read_text(), re.M):
            home = article(data, int(match.group(2)))
            if home != path:
                return home, match.group(1), path
    raise AssertionError("the generator always makes cross-file applications")


# --- breakages: each makes the synthetic data fail validation in its own way ---


def break_label(data):
    set_field(article(data, 0), "synthetic-product-000000-1", "label", None)


def break_cross_file_link(data):
    home, product, _ = cross_file_product(data)
    remove_fact(home, product)


def break_shared_label(data):
    # A second label for a product declared in article 1, given by article 2: a node of two files.
    text = article(data, 2).read_text()
    article(data, 2).write_text(text.replace("products:\n", 'products:\n  - id: "synthetic-product-000001-2"\n'
                                             '    label: "another name"\n    evidence: "named again"\n', 1))


def break_open_decision(data):
    set_field(article(data, 1), "synthetic-application-000001-2-3", "decision_date", '"2020-01-02"')


def break_scheme(data):
    set_field(data / "synthetic-reference.yaml", "synthetic-authority-0000-pics", "scheme", '"no-such-scheme"')


def break_evidence_and_status(data):
    set_field(article(data, 2), "synthetic-inspection-000002-3", "evidence", None)
    set_field(article(data, 2), "synthetic-application-000002-0-0", "regulator", None)


def break_name_collision(data):
    # Two companies of two other files named, in other cases, as article 0's product: three resources, one name.
    set_field(article(data, 2), "synthetic-company-000002-0", "aliases", '["SYNTHETIC PRODUCT 0-1"]')
    set_field(article(data, 1), "synthetic-company-000001-0", "aliases", '["Synthetic Product 0-1", "SCT 1-0"]')


BREAKAGES = {f.__name__.removeprefix("break_"): f for f in (
    break_label, break_cross_file_link, break_shared_label, break_open_decision, break_scheme,
    break_evidence_and_status, break_name_collision)}
