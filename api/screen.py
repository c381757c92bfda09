"""What a client's SPARQL must pass before an engine sees it.

Two stages, because a bad query can crash a parser:
- `check_size_and_nesting` runs in the server: the text's size and how deeply its brackets nest, with
  no parser at all (pyoxigraph dies of a segmentation fault on braces nested deeply enough, and rdflib's
  parser recurses once per level);
- `inspect` runs in the worker process that will run the query, so that a parser that misbehaves takes
  down a worker, which the server replaces, never the server. It refuses updates and SERVICE and says
  what the query is (its form, the graphs a FROM or FROM NAMED names). Most queries are read from their
  tokens (`quick_shape`): that reading is exact when the text has none of the constructs on which
  lexers disagree. The rest are parsed with rdflib and their parse tree is read (`parsed_shape`), which
  costs far more than reading tokens and so is not the first resort.

rdflib (and Jena) decode `\\uXXXX` escapes anywhere in a query, as SPARQL 1.1 says, and pyoxigraph only
inside strings and IRIs, so two engines can read one text differently. A text with such an escape
therefore always goes to the parser. There the nesting is measured on the raw and the decoded text, and
SERVICE is looked for in the parse tree (rdflib's reading) and, as a second guard, among the raw text's
keywords (pyoxigraph's).
"""

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Literal

from kg.sparql_text import TOKENS, keyword_at

from .errors import QueryError, QuerySyntaxError, QueryTooDeep, QueryTooLarge, ServiceRefused, UpdateRefused

Form = Literal["SELECT", "ASK", "CONSTRUCT", "DESCRIBE"]

_BRACKET = re.compile(r"[()\[\]]")
_ESCAPE = re.compile(r"\\u([0-9A-Fa-f]{4})|\\U([0-9A-Fa-f]{8})")


@dataclass(frozen=True)
class QueryShape:
    """What the screen learnt from a query's parse tree."""

    form: Form
    default_graphs: tuple[str, ...] = ()  # FROM <g>
    named_graphs: tuple[str, ...] = ()  # FROM NAMED <g>

    @property
    def has_dataset(self) -> bool:
        return bool(self.default_graphs or self.named_graphs)


def decode_escapes(text: str) -> str:
    r"""The text as rdflib's parser reads it, with `\uXXXX` and `\UXXXXXXXX` decoded."""

    def char(match: re.Match) -> str:
        code = int(match.group(1) or match.group(2), 16)
        return chr(code) if code <= 0x10FFFF else match.group(0)

    return _ESCAPE.sub(char, text)


def nesting_depth(text: str) -> int:
    """How deeply `{ ( [` nest outside comments and strings.

    Brackets inside what reads as an IRI count too: `?a<((1))>?b` is an IRI to a lexer but a comparison
    to a parser, so an IRI must not be a place to hide brackets. Over-counting only refuses a query.
    """
    depth = deepest = 0
    for match in TOKENS.finditer(text):
        kind = match.lastgroup
        if kind == "iri" and _BRACKET.search(match.group()):  # most IRIs have none: skip the loop
            for char in match.group():
                depth += 1 if char in "([" else -1 if char in ")]" else 0
                deepest = max(deepest, depth)
                depth = max(0, depth)
        elif kind == "open":
            depth += 1
            deepest = max(deepest, depth)
        elif kind == "close":
            depth = max(0, depth - 1)
    return deepest


def check_size_and_nesting(text: str, max_bytes: int, max_depth: int) -> None:
    """Raise QueryTooLarge or QueryTooDeep; cheap, and safe to run on any text."""
    size = len(text.encode("utf-8", "surrogatepass"))
    if size > max_bytes:
        raise QueryTooLarge(f"The query is {size} bytes; this endpoint accepts at most {max_bytes}.")
    depth = nesting_depth(text)
    if "\\" in text:  # only an escape can make the decoded text differ
        depth = max(depth, nesting_depth(decode_escapes(text)))
    if depth > max_depth:
        raise QueryTooDeep(f"The query nests brackets {depth} deep; this endpoint accepts at most {max_depth}.")


def has_service_keyword(text: str) -> bool:
    """Whether SERVICE appears as a keyword: not in a string, IRI or comment, nor part of a variable,
    a prefixed name or a language tag. A false alarm only refuses a query."""
    for match in TOKENS.finditer(text):
        if keyword_at(text, match, "SERVICE"):
            return True
    return False


def _walk(node) -> Iterator[object]:
    """Every node of an rdflib parse tree, without recursion (a tree can be deep)."""
    from pyparsing import ParseResults

    stack = [node]
    while stack:
        item = stack.pop()
        yield item
        if isinstance(item, dict):  # CompValue is an OrderedDict
            stack.extend(item.values())
        elif isinstance(item, list | tuple | ParseResults):  # ParseResults is not a list subclass
            stack.extend(item)


def _syntax_message(exc, text: str) -> str:
    line_no = getattr(exc, "lineno", None)
    col = getattr(exc, "col", None)
    if not line_no or not col:
        return f"SPARQL syntax error: {exc}"
    lines = text.splitlines() or [""]
    line = lines[line_no - 1] if line_no <= len(lines) else ""
    return (f"SPARQL syntax error at line {line_no}, column {col}: {getattr(exc, 'msg', exc)}\n"
            f"{line}\n{' ' * (col - 1)}^")


def _is_update(text: str) -> bool:
    from pyparsing import ParseException
    from rdflib.plugins.sparql.parser import parseUpdate

    try:
        parseUpdate(text)
    except (ParseException, RecursionError):
        return False
    return True


_FORMS = {"SELECT", "ASK", "CONSTRUCT", "DESCRIBE"}
_UPDATES = {"INSERT", "DELETE", "LOAD", "CLEAR", "CREATE", "DROP", "COPY", "MOVE", "ADD", "WITH"}


def quick_shape(text: str) -> QueryShape | None:
    """A query's shape read from its tokens alone, when that reading is every engine's; None otherwise.

    Tokens give the same reading as any SPARQL parser's lexer when the text has no `\\u` escape (rdflib and
    Jena decode those before they read anything), no long string (three quotes in a row, whose ends lexers disagree on),
    and no backslash but a prefixed name's escapes (`id:product\\/x`). Then SERVICE is refused wherever it is a
    keyword, an update by its first keyword, and the form is the first keyword after the prologue. A query with
    FROM (whose graphs must be resolved) or anything else unusual gets None, and goes to the parser. Syntax
    errors are left to the engine (the worker explains them with `explain_syntax_error`).
    """
    if "\\u" in text or "\\U" in text or "'''" in text or '"""' in text:
        return None
    first = None
    for match in TOKENS.finditer(text):
        kind = match.lastgroup
        if kind == "other" and match.group() == "\\":
            return None
        if kind != "word" or not keyword_at(text, match, match.group().upper()):
            continue
        word = match.group().upper()
        if word == "SERVICE":
            raise ServiceRefused(_NO_SERVICE)
        if word == "FROM":
            return None
        if first is None and word not in ("PREFIX", "BASE"):
            first = word
    if first in _UPDATES:
        raise UpdateRefused(_READ_ONLY)
    return QueryShape(first) if first in _FORMS else None


def inspect(text: str, prefixes: dict[str, str]) -> QueryShape:
    """Refuse what the endpoint does not run, and say what the query is; for the worker process.

    Most queries are read from their tokens (`quick_shape`, microseconds); the others are parsed by rdflib
    (`parsed_shape`, about a millisecond for a small query and tens for a large one). Raises UpdateRefused,
    ServiceRefused, QuerySyntaxError or QueryTooDeep. `prefixes` are those the engine predeclares, used to
    read a FROM written with a prefixed name.
    """
    return quick_shape(text) or parsed_shape(text, prefixes)


def explain_syntax_error(text: str, prefixes: dict[str, str], engine_message: str) -> QueryError:
    """The error to answer when the engine could not read a query: rdflib's, which shows the line and column
    with a caret, when rdflib finds a fault; else the engine's own message."""
    try:
        parsed_shape(text, prefixes)
    except QueryError as exc:
        return exc
    return QuerySyntaxError(f"SPARQL syntax error: {engine_message}")


def parsed_shape(text: str, prefixes: dict[str, str]) -> QueryShape:
    """Parse a client's query with rdflib and read its parse tree: refuses as `inspect` does."""
    from pyparsing import ParseException
    from rdflib.plugins.sparql.algebra import translatePrologue
    from rdflib.plugins.sparql.parser import parseQuery
    from rdflib.plugins.sparql.parserutils import CompValue

    if has_service_keyword(text):
        raise ServiceRefused(_NO_SERVICE)
    try:
        prologue, query = parseQuery(text)
    except RecursionError:
        raise QueryTooDeep("The query nests too deeply to be checked.") from None
    except ParseException as exc:
        if _is_update(text):
            raise UpdateRefused(_READ_ONLY) from None
        raise QuerySyntaxError(_syntax_message(exc, decode_escapes(text))) from None
    if any(isinstance(node, CompValue) and node.name == "ServiceGraphPattern" for node in _walk((prologue, query))):
        raise ServiceRefused(_NO_SERVICE)
    form: Form = query.name.removesuffix("Query").upper()  # SelectQuery -> SELECT
    resolved = translatePrologue(prologue, None, initNs=prefixes)
    default, named = [], []
    # CompValue.get(key) answers the key itself when it is missing, so test membership first.
    for clause in query["datasetClause"] if "datasetClause" in query else []:
        if "default" in clause:
            default.append(str(resolved.absolutize(clause["default"])))
        else:
            named.append(str(resolved.absolutize(clause["named"])))
    return QueryShape(form, tuple(default), tuple(named))


_READ_ONLY = ("This endpoint is read-only: SPARQL Update (INSERT, DELETE, LOAD, CLEAR, CREATE, DROP, COPY, MOVE, "
              "ADD) is not accepted.")
_NO_SERVICE = ("SERVICE (federated query) is not allowed: this endpoint never sends requests to other servers. "
               "Query the other endpoint yourself and combine the answers.")
