"""What a client's SPARQL must pass before an engine sees it.

Two stages:
- `check_size` runs in the server, before its answer cache is asked: the text's size.
- `screen` runs in the worker process that will run the query, before any parser reads it: how deeply its
  brackets nest, read from its tokens with no parser at all (pyoxigraph dies of a segmentation fault on
  braces nested deeply enough, and rdflib's parser recurses once per level), that it is not empty, then
  `inspect`. A parser that misbehaves takes down a worker, which the server replaces, never the server; and
  the server, whose one event loop every request crosses, spends no time reading tokens. `inspect` refuses
  updates and SERVICE and says what the query is (its form, the graphs a FROM or FROM NAMED names). Most
  queries are read from their tokens (`quick_shape`, in the same pass as the nesting): that reading is exact
  when the text has none of the constructs on which lexers disagree. The rest are parsed with rdflib and
  their parse tree is read (`parsed_shape`), which costs far more than reading tokens and so is not the
  first resort.

rdflib (and Jena) decode `\\uXXXX` escapes anywhere in a query, as SPARQL 1.1 says, and pyoxigraph only
inside strings and IRIs, so two engines can read one text differently. A text with such an escape
therefore always goes to the parser. There the nesting is measured on the raw and the decoded text, and
SERVICE is looked for in the parse tree (rdflib's reading) and, as a second guard, among the raw text's
keywords (pyoxigraph's).

A relative IRI is resolved against `BASE_IRI`, the instance namespace (`<product/x>` is
`https://w3id.org/ctkg/id/product/x`), by both parsers: resolving names a graph or a resource, never fetches it.
"""

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Literal

from kg.sparql_text import TOKENS, keyword_at
from kg.vocab import ID

from .errors import QueryError, QuerySyntaxError, QueryTooDeep, QueryTooLarge, ServiceRefused, UpdateRefused

Form = Literal["SELECT", "ASK", "CONSTRUCT", "DESCRIBE"]

_BRACKET = re.compile(r"[()\[\]]")
_ESCAPE = re.compile(r"\\u([0-9A-Fa-f]{4})|\\U([0-9A-Fa-f]{8})")
# What a relative IRI in a client's query is resolved against (a query's own BASE is resolved against it too).
BASE_IRI = str(ID)


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


@dataclass
class _Reading:
    """What one pass over a query's tokens finds (`_read`)."""

    deepest: int = 0  # how deeply `{ ( [` nest (from `_skim`: at most this deep, the count of those characters)
    empty: bool = True  # nothing but white space and comments
    service: bool = False  # SERVICE as a keyword
    first: str | None = None  # the first keyword after the prologue
    exact: bool = True  # the tokens are every lexer's reading, and there is no FROM (see `quick_shape`)


def _read(text: str) -> _Reading:
    """One pass over a query's tokens. Brackets inside what reads as an IRI count too: `?a<((1))>?b` is an IRI
    to a lexer but a comparison to a parser, so an IRI must not be a place to hide brackets. Over-counting only
    refuses a query."""
    found = _Reading(exact=not ("\\u" in text or "\\U" in text or "'''" in text or '"""' in text))
    depth = deepest = 0
    for match in TOKENS.finditer(text):
        kind = match.lastgroup
        if kind == "comment":
            continue
        found.empty = False
        if kind == "open":
            depth += 1
            deepest = max(deepest, depth)
        elif kind == "close":
            depth = max(0, depth - 1)
        elif kind == "word":
            # Once the form is known only SERVICE and FROM matter: the other words are not looked at twice.
            if found.first is not None and len(match.group()) not in (4, 7):
                continue
            word = match.group().upper()
            if (found.first is not None and word not in ("SERVICE", "FROM")) or not keyword_at(text, match, word):
                continue
            if word == "SERVICE":
                found.service = True
            elif word == "FROM":
                found.exact = False
            elif found.first is None and word not in ("PREFIX", "BASE"):
                found.first = word
        elif kind == "iri" and _BRACKET.search(match.group()):  # most IRIs have none: skip the loop
            for char in match.group():
                depth += 1 if char in "([" else -1 if char in ")]" else 0
                deepest = max(deepest, depth)
                depth = max(0, depth)
        elif kind == "other" and match.group() == "\\":
            found.exact = False
    found.deepest = deepest
    return found


_WORD_BEFORE = frozenset(b"abcdefghijklmnopqrstuvwxyz_:@")
_WORD_AFTER = frozenset(b"abcdefghijklmnopqrstuvwxyz0123456789_:")
_WORDS_CHECKED = 16


def _may_have_from_or_service(text: str) -> bool:
    """Whether a text without a backslash or three quotes in a row has the keyword FROM or SERVICE, as `_read` finds
    them, found without reading every token; True also for a text with more than `_WORDS_CHECKED` words spelt so
    (the full pass then reads it: a long text of such words is not read twice over).

    The words spelt so are found first, in bytes (each character one byte, a non-ASCII one `?`, letters lowered).
    A word token (`TOKENS`) there never follows an ASCII letter or an underscore (a token ending in one would have
    taken the word in) and is never followed by a letter, digit or underscore; a keyword (`keyword_at`) follows no
    `:` or `@` and is followed by no `:`. Such a text has no token across a line end, `\n` or `\r` (only a long
    string or an escape could hold one; other line separators are in tokens like any character), so each line
    starts a token: the tokens are read from the line of the first word found, forward only, skipping the lines
    between two words: each character is read once at most, however many words there are.

    >>> _may_have_from_or_service("SELECT * { ?s prov:wasDerivedFrom ?o ; ex:service 1 } # from the source")
    False
    >>> _may_have_from_or_service("SELECT * FroM <g> {}"), _may_have_from_or_service("ASK{'#'SERVICE<x>{}}")
    (True, True)
    """
    lowered = text.encode("ascii", "replace").lower()
    words = []  # (where, the keyword it may be)
    for word in (b"from", b"service"):
        start = lowered.find(word)
        while start >= 0:
            end = start + len(word)
            if ((start == 0 or lowered[start - 1] not in _WORD_BEFORE)
                    and (end == len(lowered) or lowered[end] not in _WORD_AFTER)):
                words.append((start, word.decode().upper()))
                if len(words) > _WORDS_CHECKED:
                    return True
            start = lowered.find(word, end)
    tokens, token = None, None  # the tokens read forward, and the first one not before the last word's place
    for start, keyword in sorted(words):
        since = 0 if tokens is None else token.start()  # the line ends between the reading and the word
        line = max(text.rfind("\n", since, start), text.rfind("\r", since, start)) + 1
        if tokens is None or line > 0:  # the reading is behind the word's line: it starts again there
            tokens = TOKENS.finditer(text, line)
            token = next(tokens, None)
        while token is not None and token.start() < start:
            token = next(tokens, None)
        if token is None:  # no token from here to the end
            return False
        if token.start() == start and keyword_at(text, token, keyword):
            return True
    return False


def _skim(text: str, max_depth: int) -> _Reading | None:
    """`_read`'s reading of a text whose tokens past its first keyword cannot change it, from the tokens up to
    that keyword; None for any other text. Such a text has no backslash and no three quotes in a row (so its
    reading is exact), no more opening brackets in all than `max_depth` (so they cannot nest deeper, wherever
    they are), and neither FROM nor SERVICE as a keyword (`_may_have_from_or_service`). Its `deepest` is that count
    of brackets. Most queries are such texts, and are read in microseconds instead of a pass over every token.

    >>> _skim("PREFIX ex: <http://e/> select * { ?s ex:from ?o } # from here", 64).first
    'SELECT'
    >>> _skim("SELECT * FROM <g> { }", 64) is None
    True
    """
    brackets = text.count("{") + text.count("(") + text.count("[")
    if ("\\" in text or "'''" in text or '"""' in text or brackets > max_depth
            or _may_have_from_or_service(text)):
        return None
    found = _Reading(deepest=brackets)
    for match in TOKENS.finditer(text):
        kind = match.lastgroup
        if kind == "comment":
            continue
        found.empty = False
        if kind == "word":
            word = match.group().upper()
            if word not in ("PREFIX", "BASE") and keyword_at(text, match, word):
                found.first = word
                return found
    return None  # no keyword after the prologue: `_read` reads it all


def nesting_depth(text: str) -> int:
    """How deeply `{ ( [` nest outside comments and strings (see `_read`)."""
    return _read(text).deepest


def check_size(text: str, max_bytes: int) -> None:
    """Raise QueryTooLarge; for the server, before anything else."""
    size = len(text.encode("utf-8", "surrogatepass"))
    if size > max_bytes:
        raise QueryTooLarge(f"The query is {size} bytes; this endpoint accepts at most {max_bytes}.")


def _check_nesting(text: str, reading: _Reading, max_depth: int) -> None:
    depth = reading.deepest
    if "\\" in text:  # only an escape can make the decoded text differ
        depth = max(depth, nesting_depth(decode_escapes(text)))
    if depth > max_depth:
        raise QueryTooDeep(f"The query nests brackets {depth} deep; this endpoint accepts at most {max_depth}.")


def check_size_and_nesting(text: str, max_bytes: int, max_depth: int) -> None:
    """Raise QueryTooLarge or QueryTooDeep; cheap, and safe to run on any text."""
    check_size(text, max_bytes)
    _check_nesting(text, _read(text), max_depth)


def _check_not_empty(reading: _Reading) -> None:
    if reading.empty:
        raise QuerySyntaxError("The query is empty: send a SELECT, ASK, CONSTRUCT or DESCRIBE query.")


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


def _bad_escape(text: str) -> str | None:
    """A message naming the first `\\U` escape past U+10FFFF, the last code point; SPARQL decodes escapes
    before it reads anything, so one is an error anywhere, even in a comment."""
    for match in _ESCAPE.finditer(text):
        if int(match.group(1) or match.group(2), 16) > 0x10FFFF:
            line = text.count("\n", 0, match.start()) + 1
            column = match.start() - (text.rfind("\n", 0, match.start()) + 1) + 1
            return (f"SPARQL syntax error at line {line}, column {column}: {match.group()} is not a character "
                    "(the last code point is U+10FFFF); SPARQL decodes escapes anywhere in a query, comments included.")
    return None


def _is_update(text: str) -> bool:
    """Whether the text is an update with at least one operation (an empty text parses as an empty update)."""
    from pyparsing import ParseException
    from rdflib.plugins.sparql.parser import parseUpdate

    try:
        update = parseUpdate(text)
    except (ParseException, RecursionError, ValueError, TypeError):
        return False
    return "request" in update


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
    return _quick_shape(_read(text))


def _quick_shape(reading: _Reading) -> QueryShape | None:
    if reading.service:  # a keyword wherever it is, as `parsed_shape` also refuses it
        raise ServiceRefused(_NO_SERVICE)
    if not reading.exact:
        return None
    if reading.first in _UPDATES:
        raise UpdateRefused(_READ_ONLY)
    return QueryShape(reading.first) if reading.first in _FORMS else None


def inspect(text: str, prefixes: dict[str, str]) -> QueryShape:
    """Refuse what the endpoint does not run, and say what the query is; for the worker process.

    Most queries are read from their tokens (`quick_shape`, cheap); the others are parsed by rdflib
    (`parsed_shape`, which costs more the larger the query). Raises UpdateRefused,
    ServiceRefused, QuerySyntaxError or QueryTooDeep. `prefixes` are those the engine predeclares, used to
    read a FROM written with a prefixed name.
    """
    return _inspect(text, _read(text), prefixes)


def _inspect(text: str, reading: _Reading, prefixes: dict[str, str]) -> QueryShape:
    if "<?" in text or "<$" in text or _ANDS_IN_IRI.search(text):  # what `_check_comparison_iris` looks for
        _check_comparison_iris(text)
    return _quick_shape(reading) or parsed_shape(text, prefixes)


def screen(text: str, prefixes: dict[str, str], max_depth: int) -> QueryShape:
    """What a worker checks of a client's query before an engine reads it, from one pass over its tokens (or, for
    most queries, over its prologue's: `_skim`): its nesting (QueryTooDeep beyond `max_depth`), that it is not
    empty (QuerySyntaxError), then `inspect`."""
    reading = _skim(text, max_depth) or _read(text)
    _check_nesting(text, reading, max_depth)
    _check_not_empty(reading)
    return _inspect(text, reading, prefixes)


_OPERAND = re.compile(r"[?$][A-Za-z0-9_]+|[0-9.]+|\)")
_ANDS_IN_IRI = re.compile(r"<[^<>\"{}|^`\\\x00-\x20]*&&")  # `&&` in what reads as an IRI (`TOKENS`)


def _check_comparison_iris(text: str) -> None:
    """Refuse an IRI that its parsers read as comparisons: by SPARQL's longest-token rule `?x<?a&&?b>?y` is a
    variable, the IRI `<?a&&?b>` and a variable, which is no expression, but pyoxigraph and rdflib read it as
    `?x < ?a && ?b > ?y`. Written with spaces it is those comparisons. An IRI that starts with a variable's
    sign or holds `&&`, right after an operand, is taken for one (no real IRI looks like that)."""
    previous = None
    for match in TOKENS.finditer(text):
        kind = match.lastgroup
        if kind == "iri" and previous is not None and previous.end() == match.start():
            inside = match.group()[1:-1]
            if (inside[:1] in "?$" or "&&" in inside) and _OPERAND.fullmatch(previous.group()):
                raise QuerySyntaxError(
                    f"SPARQL syntax error: {match.group()[:100]} right after {previous.group()} is an IRI by SPARQL's "
                    "longest-token rule, not comparisons; put spaces around < and > to compare.")
        if kind != "comment":
            previous = match


def explain_syntax_error(text: str, prefixes: dict[str, str], engine_message: str) -> QueryError:
    """The error to answer when the engine could not read a query: rdflib's, which shows the line and column
    with a caret, when rdflib finds a fault; else the engine's own message."""
    try:
        _parsed_shape(text, prefixes)
    except _ParserFailed:
        pass
    except QueryError as exc:
        return exc
    return QuerySyntaxError(f"SPARQL syntax error: {engine_message}")


def parsed_shape(text: str, prefixes: dict[str, str]) -> QueryShape:
    """Parse a client's query with rdflib and read its parse tree: refuses as `inspect` does."""
    try:
        return _parsed_shape(text, prefixes)
    except _ParserFailed as exc:
        raise QuerySyntaxError(exc.message) from None


def _parsed_shape(text: str, prefixes: dict[str, str]) -> QueryShape:
    from pyparsing import ParseException
    from rdflib.plugins.sparql.algebra import translatePrologue
    from rdflib.plugins.sparql.parser import parseQuery
    from rdflib.plugins.sparql.parserutils import CompValue

    if has_service_keyword(text):
        raise ServiceRefused(_NO_SERVICE)
    if (bad_escape := _bad_escape(text)) is not None:
        raise QuerySyntaxError(bad_escape)
    try:
        prologue, query = parseQuery(text)
    except RecursionError:
        raise QueryTooDeep("The query nests too deeply to be checked.") from None
    except ParseException as exc:
        if _is_update(text):
            raise UpdateRefused(_READ_ONLY) from None
        raise QuerySyntaxError(_syntax_message(exc, decode_escapes(text))) from None
    except (ValueError, TypeError) as exc:  # raised by rdflib's parse actions, on some valid queries too (`-1.0`)
        raise _ParserFailed(_PARSER_FAILED + f" ({exc})") from None
    if any(isinstance(node, CompValue) and node.name == "ServiceGraphPattern" for node in _walk((prologue, query))):
        raise ServiceRefused(_NO_SERVICE)
    form: Form = query.name.removesuffix("Query").upper()  # SelectQuery -> SELECT
    resolved = translatePrologue(prologue, BASE_IRI, initNs=prefixes)
    default, named = [], []
    try:
        # CompValue.get(key) answers the key itself when it is missing, so test membership first.
        for clause in query["datasetClause"] if "datasetClause" in query else []:
            if "default" in clause:
                default.append(str(resolved.absolutize(clause["default"])))
            else:
                named.append(str(resolved.absolutize(clause["named"])))
    except Exception as exc:  # rdflib raises a bare Exception for a prefix the query does not declare
        if "Unknown namespace prefix" not in str(exc):
            raise
        raise QuerySyntaxError(f"{exc}: declare it with PREFIX, or write the graph's IRI in full") from None
    return QueryShape(form, tuple(default), tuple(named))


class _ParserFailed(QuerySyntaxError):
    """rdflib's parser failed on a query without finding a fault in it: `explain_syntax_error` then gives the
    engine's own message instead. Never leaves this module (only `api.errors` types cross the pipe)."""


_PARSER_FAILED = ("This query cannot be checked: the checker this endpoint runs on queries with FROM, FROM NAMED, "
                  "\\u escapes or long strings (rdflib's SPARQL parser) failed on it. Write the failing part "
                  "another way (a negative decimal as \"-1.0\"^^xsd:decimal)")
_READ_ONLY = ("This endpoint is read-only: SPARQL Update (INSERT, DELETE, LOAD, CLEAR, CREATE, DROP, COPY, MOVE, "
              "ADD) is not accepted.")
_NO_SERVICE = ("SERVICE (federated query) is not allowed: this endpoint never sends requests to other servers. "
               "Query the other endpoint yourself and combine the answers.")
