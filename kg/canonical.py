"""The canonical form of facts files: the one layout `ctkg fmt` writes and the data tests require.

A facts file is in canonical form when `canonical_text` gives it back unchanged. The form fixes:

- the layout YAML leaves free: block mappings for the file, `source` and each fact; two spaces per level, a
  list's `- ` two spaces in from its key; no line folded by the writer (a long value stays on its line);
  UTF-8 with `\\n` line ends and one final newline;
- the order of keys: `source` first, then the sections in the order of `kg.facts.KINDS` (the table of
  `data/README.md`); in `source` and in each fact, the fields in the order of `FIELD_ORDER`, `id` first;
- blank lines: exactly one before each section after `source`, none elsewhere between keys or facts;
- comments: a comment line is indented like the key below it, an end-of-line comment two spaces after its
  line's text.

It keeps what the curator chose: comments (a comment line moves with the key below it), the order of facts
in a section, quoting, flow lists (`[a, b]`) and folded text (`>-`) with its line breaks. Every value is read
as text, as `kg.facts` reads it, so nothing is re-typed or re-spelled (`2023-06` stays `2023-06`).
Reordering moves whole lines; the result is checked to hold the same document and the same comment lines,
and a file that cannot be put in canonical form without changing either raises `FactsError`.
"""

import io
from collections import Counter
from pathlib import Path

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.emitter import RoundTripEmitter
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.resolver import VersionedResolver

from .errors import FactsError
from .facts import KINDS, read_yaml

SECTION_ORDER: tuple[str, ...] = ("source",) + tuple(kind.section for kind in KINDS)

# Fields every fact may carry, before and after its own: first what it is called; last, what describes it and
# where it was read.
_NAMES = ("label", "aliases")
_LAST = ("description", "confidence", "same_as", "source_url", "evidence", "note")

FIELD_ORDER: dict[str, tuple[str, ...]] = {
    "source": ("id", "label", "title", "publisher", "published", "accessed", "url", "description", "note"),
    **{section: ("id", *head, *_NAMES, *own, *_LAST) for section, head, own in (
        ("jurisdictions", (), ()),
        ("authorities", (), ("jurisdiction", "website", "domain", "pics_participating_unit")),
        ("companies", (), ("website",)),
        ("organizations", ("type",), ("website",)),
        ("people", (), ("affiliation", "roles")),
        ("antigens", (), ()),
        ("products", ("type",), ("inn", "brand_names", "sponsor", "target")),
        ("studies", (), ("role", "product")),
        ("pathways", (), ("jurisdiction", "authority")),
        ("applications", (), ("product", "regulator", "opinion_by", "opinion_date", "applicant", "status", "type",
                              "case", "type_basis", "extends", "decision_date", "date_basis", "announcement_date",
                              "indication", "pathway", "relies_on", "supporting_studies")),
        ("events", (), ("of", "type", "authority", "date")),
        ("memberships", (), ("jurisdiction", "authority", "scheme", "accession_date")),
        ("accession_steps", (), ("jurisdiction", "authority", "status", "status_date")),
        ("inspections", (), ("inspecting_authority", "inspected_organization", "product", "date", "outcome",
                             "standard")),
        ("claims", (), ("text", "about")),
    )},
}

INDENT = 2  # spaces per level; a list's `- ` sits INDENT spaces in from its key
EOL_COMMENT_GAP = 2  # spaces between a line's text and its end-of-line comment


class _TextResolver(VersionedResolver):
    """Every scalar stays text, as `kg.facts` reads it: nothing is re-typed when the file is written back."""

    @property
    def versioned_resolver(self) -> dict:
        return {}


class _Emitter(RoundTripEmitter):
    """Writes an end-of-line comment EOL_COMMENT_GAP spaces after its line's text, wherever it stood."""

    def write_comment(self, comment, pre: bool = False) -> None:
        if not pre and self.column and comment.value.startswith("#"):
            comment.start_mark.column = self.column + EOL_COMMENT_GAP
        super().write_comment(comment, pre)


def _yaml() -> YAML:
    yaml = YAML(typ="rt")
    yaml.Resolver = _TextResolver
    yaml.Emitter = _Emitter
    yaml.preserve_quotes = True
    yaml.width = 1 << 16  # never fold a line: a long quote stays on its line
    yaml.indent(mapping=INDENT, sequence=2 * INDENT, offset=INDENT)
    return yaml


def canonical_text(text: str, path: Path | str = "") -> str:
    """The facts file `text` in canonical form; `path` only names the file in errors.

    >>> canonical_text("companies:\\n- id: x\\n  evidence: 'an x'\\nsource: {id: s}\\n")
    "source:\\n  id: s\\n\\ncompanies:\\n  - id: x\\n    evidence: 'an x'\\n"
    """
    yaml = _yaml()
    doc = _load(yaml, text, path)
    _check_layout(doc, path)
    for node in _structure(doc):
        node.fa.set_block_style()
    written = _dump(yaml, doc)
    result = "\n".join(_arrange_file(written.splitlines(), _load(yaml, written, path))) + "\n"
    if _plain(_load(yaml, result, path)) != _plain(doc) or _lines(result) != _lines(written):
        raise FactsError(path, "", "cannot put this file in canonical form without changing its content or "
                                   "comments (a block scalar that keeps trailing blank lines, `|+`?); lay it out "
                                   "as data/README.md shows by hand")
    return result


def is_canonical(text: str, path: Path | str = "") -> bool:
    return canonical_text(text, path) == text


def format_file(path: Path, write: bool = True) -> bool:
    """Put the facts file at `path` in canonical form (only when `write`); True when it was not in it. A file
    the build would refuse (a control character, a tag, a text over the limit) is refused here the same way."""
    read_yaml(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise FactsError(path, "", f"cannot read the file ({exc.__class__.__name__}); save it as UTF-8 text") from None
    canonical = canonical_text(text, path)
    if canonical == text:
        return False
    if write:
        path.write_text(canonical, encoding="utf-8", newline="\n")
    return True


# --- reading and writing ---


def _load(yaml: YAML, text: str, path: Path | str):
    try:
        return yaml.load(text)
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        at = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise FactsError(path, "", f"invalid YAML{at}: {exc.problem or exc.context}; fix the YAML syntax "
                                   "there") from None
    except YAMLError as exc:
        raise FactsError(path, "", f"invalid YAML: {exc}; fix the YAML syntax") from None


def _dump(yaml: YAML, doc) -> str:
    stream = io.StringIO()
    yaml.dump(doc, stream)
    return stream.getvalue()


def _check_layout(doc, path: Path | str) -> None:
    """The shape `kg.facts` reads: a mapping of `source` (a mapping) and sections (lists of mappings)."""
    if not isinstance(doc, CommentedMap):
        raise FactsError(path, "", "expected a mapping with a 'source' section and fact sections")
    for section, items in doc.items():
        if section == "source":
            if not isinstance(items, CommentedMap):
                raise FactsError(path, "source", "'source' must be a mapping of fields, starting with 'id:'")
        elif isinstance(items, CommentedSeq):
            for index, item in enumerate(items):
                if not isinstance(item, CommentedMap):
                    raise FactsError(path, f"{section}[{index}]", "each fact is a mapping that starts with '- id:'")
        elif items not in ("", None):
            raise FactsError(path, str(section), f"'{section}' must be a list of facts, each starting with '- id:'")


def _structure(doc: CommentedMap):
    """The file, `source`, each section and each fact: the nodes that the canonical form writes in block style."""
    yield doc
    for items in doc.values():
        if isinstance(items, CommentedMap | CommentedSeq):
            yield items
        if isinstance(items, CommentedSeq):
            yield from items


# --- arranging lines: keys in order, comments with the key below them, blank lines only between sections ---
#
# Each key's lines run from its own line to the next key's; comment and blank lines at the end of that run,
# no deeper than the key, belong to the key that follows (blank lines are dropped, comments move with it).


def _arrange_file(lines: list[str], doc: CommentedMap) -> list[str]:
    starts = [doc.lc.key(key)[0] for key in doc]
    header = lines[:starts[0]]
    while header and not header[-1].strip():
        header.pop()
    blocks, tail = _blocks(lines, starts, len(lines), 0)
    arranged = []
    for key, (lead, first, end) in zip(doc, blocks, strict=True):
        arranged.append((key, lead + _arrange_section(lines, first, end, key, doc[key])))
    out = header
    for n, (_, block) in enumerate(_ordered(arranged, SECTION_ORDER)):
        out += ([""] if n else []) + block
    return out + tail


def _arrange_section(lines: list[str], first: int, end: int, key: str, items) -> list[str]:
    """A top-level key's lines: `source` with its fields in order, or a section with each fact's fields in
    order (the facts keep theirs)."""
    if isinstance(items, CommentedMap):  # source
        return _arrange_mapping(lines, first, end, items, FIELD_ORDER["source"], INDENT)
    if not isinstance(items, CommentedSeq) or not items:
        return lines[first:first + 1] + _keep(lines[first + 1:end], INDENT)
    starts = [items.lc.item(n)[0] for n in range(len(items))]
    out = lines[first:first + 1] + _keep(lines[first + 1:starts[0]], INDENT)
    blocks, tail = _blocks(lines, starts, end, INDENT)
    for fact, (lead, start, stop) in zip(items, blocks, strict=True):
        out += lead + _arrange_fact(lines, start, stop, fact, FIELD_ORDER.get(key, ("id",)))
    return out + tail


def _arrange_fact(lines: list[str], first: int, end: int, fact: CommentedMap, order: tuple[str, ...]) -> list[str]:
    """One fact's lines, fields in `order`; its `- ` goes to whichever field comes first."""
    dash = INDENT
    assert lines[first][dash:dash + INDENT] == "- ", lines[first]
    fact_lines = list(lines)
    fact_lines[first] = lines[first][:dash] + " " * INDENT + lines[first][dash + INDENT:]
    out = _arrange_mapping(fact_lines, first, end, fact, order, 2 * INDENT)
    key_line = next(n for n, line in enumerate(out) if not line.lstrip().startswith("#"))
    out[key_line] = out[key_line][:dash] + "- " + out[key_line][dash + INDENT:]
    return out


def _arrange_mapping(lines: list[str], first: int, end: int, mapping: CommentedMap, order: tuple[str, ...],
                     indent: int) -> list[str]:
    """`first` is the line of the mapping's key (or its first field); its fields, sitting at `indent`, in
    `order`."""
    if not mapping:
        return lines[first:first + 1] + _keep(lines[first + 1:end], indent)
    starts = [mapping.lc.key(key)[0] for key in mapping]
    out = lines[first:first + 1] + _keep(lines[first + 1:starts[0]], indent) if starts[0] > first else []
    blocks, tail = _blocks(lines, starts, end, indent)
    fields = [(key, lead + lines[start:stop]) for key, (lead, start, stop) in zip(mapping, blocks, strict=True)]
    for _, block in _ordered(fields, order):
        out += block
    return out + tail


def _blocks(lines: list[str], starts: list[int], end: int, indent: int) -> tuple[list, list[str]]:
    """Cut lines[starts[0]:end] at `starts`: for each key, (the comment lines above it, its first line, the
    line after its last); and the comment lines after the last key."""
    blocks = []
    lead: list[str] = []
    for start, stop in zip(starts, [*starts[1:], end], strict=True):
        last = stop
        while last > start + 1 and _between_keys(lines[last - 1], indent):
            last -= 1
        blocks.append((lead, start, last))
        lead = _keep(lines[last:stop], indent)
    return blocks, lead


def _between_keys(line: str, indent: int) -> bool:
    stripped = line.lstrip()
    return not stripped or (stripped.startswith("#") and len(line) - len(stripped) <= indent)


def _keep(comments: list[str], indent: int) -> list[str]:
    """Comment lines between keys, without blank lines, indented like the keys."""
    return [" " * indent + line.strip() for line in comments if line.strip()]


def _ordered(items: list[tuple[str, list[str]]], order: tuple[str, ...]) -> list[tuple[str, list[str]]]:
    """Keys in `order`; keys it does not name (which `kg.facts` rejects) after them, as they were."""
    rank = {key: n for n, key in enumerate(order)}
    return sorted(items, key=lambda item: rank.get(item[0], len(order)))


# --- comparing content ---


def _plain(node):
    if isinstance(node, dict):
        return {str(key): _plain(value) for key, value in node.items()}
    if isinstance(node, list):
        return [_plain(value) for value in node]
    return None if node is None else str(node)


def _lines(text: str) -> Counter:
    return Counter(line.strip().removeprefix("- ") for line in text.splitlines() if line.strip())
