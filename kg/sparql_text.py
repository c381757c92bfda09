"""SPARQL read as text, without a parser: its tokens, and values bound into it as VALUES blocks.

Values reach a query one way, whatever runs it (the embedded store or a remote SPARQL server, which knows
nothing of pyoxigraph's substitutions): `bind_values` opens every `WHERE {` group of the query, its
subqueries' included, with a `VALUES` block of the bound terms. A term is written by pyoxigraph's own
N-Triples serializer (`str(term)`), which escapes it, so a value is always one IRI or one literal and can
never become syntax. A variable left out of the bindings stays free, as with substitutions.

    >>> import pyoxigraph as ox
    >>> bind_values("SELECT ?label WHERE { ?s rdfs:label ?label }", {"s": ox.NamedNode("http://example.org/a")})
    'SELECT ?label WHERE { VALUES (?s) { (<http://example.org/a>) } ?s rdfs:label ?label }'
"""

import re
from collections.abc import Iterable, Mapping

import pyoxigraph as ox

# What can hide a bracket or a keyword: comments, strings (long ones first) and IRIs. An escape of a prefixed
# name's local part (`id:product\/x`, `ex:a\#b`) is its own token, so its `#` does not open a comment.
TOKENS = re.compile(r"""
    (?P<comment>\#[^\n\r]*)
  | (?P<string>'''(?:[^'\\]|\\.|'(?!''))*'''|\"\"\"(?:[^"\\]|\\.|"(?!""))*\"\"\"
              |'(?:[^'\\\n\r]|\\.)*'|"(?:[^"\\\n\r]|\\.)*")
  | (?P<iri><[^<>"{}|^`\\\x00-\x20]*>)
  | (?P<escape>\\[_~.\-!$&'()*+,;=/?\#@%])
  | (?P<open>[{(\[])
  | (?P<close>[})\]])
  | (?P<word>[A-Za-z_][A-Za-z0-9_]*)
  | (?P<other>[?$][A-Za-z0-9_]+|[^\s])
""", re.VERBOSE | re.DOTALL)
VARIABLE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def keyword_at(text: str, match: re.Match, keyword: str) -> bool:
    """Whether a `word` token is this keyword, and not part of a prefixed name (`ex:where`, `where:x`) or a
    language tag (`"x"@where`)."""
    if match.lastgroup != "word" or match.group().upper() != keyword:
        return False
    before = text[match.start() - 1] if match.start() else " "
    after = text[match.end()] if match.end() < len(text) else " "
    return before not in ":@" and after != ":"


def where_groups(text: str) -> list[int]:
    """The offsets just inside the `{` that opens each `WHERE` group, in order.

    >>> where_groups('SELECT * WHERE { ?s ?p "WHERE {" }')
    [16]
    """
    found, after_where = [], False
    for match in TOKENS.finditer(text):
        kind = match.lastgroup
        if kind == "comment":
            continue
        if after_where and kind == "open" and match.group() == "{":
            found.append(match.end())
        after_where = keyword_at(text, match, "WHERE")
    return found


def values_block(bindings: Mapping[str, ox.NamedNode | ox.Literal]) -> str:
    """`VALUES (?a ?b) { (<iri> "literal") }`; raises ValueError for a name that is not a SPARQL variable
    name or a value that is not an IRI or a literal.

    >>> values_block({"p": ox.NamedNode("http://example.org/x"), "n": ox.Literal("a")})
    'VALUES (?p ?n) { (<http://example.org/x> "a") }'
    """
    for name, term in bindings.items():
        if not VARIABLE.fullmatch(name):
            raise ValueError(f"{name!r} is not a variable name (letters, digits and _, without ? or $)")
        if not isinstance(term, ox.NamedNode | ox.Literal):
            raise ValueError(f"the value of ?{name} must be an IRI or a literal, not {type(term).__name__}")
    names = " ".join(f"?{name}" for name in bindings)
    terms = " ".join(str(term) for term in bindings.values())
    return f"VALUES ({names}) {{ ({terms}) }}"


def rows_block(name: str, terms: Iterable[ox.NamedNode | ox.Literal]) -> str:
    """`VALUES ?name { <iri> "literal" ... }`: one variable, a row per term; checked as `values_block` checks.

    >>> rows_block("p", [ox.NamedNode("http://example.org/x"), ox.NamedNode("http://example.org/y")])
    'VALUES ?p { <http://example.org/x> <http://example.org/y> }'
    """
    terms = list(terms)
    if not VARIABLE.fullmatch(name):
        raise ValueError(f"{name!r} is not a variable name (letters, digits and _, without ? or $)")
    for term in terms:
        if not isinstance(term, ox.NamedNode | ox.Literal):
            raise ValueError(f"the values of ?{name} must be IRIs or literals, not {type(term).__name__}")
    return f"VALUES ?{name} {{ {' '.join(str(term) for term in terms)} }}"


def bind_values(text: str, bindings: Mapping[str, ox.NamedNode | ox.Literal]) -> str:
    """The query with `bindings` as a VALUES block opening each of its WHERE groups. Raises ValueError when
    there are bindings and the query has no `WHERE {` to put them in (write the keyword WHERE out)."""
    if not bindings:
        return text
    return _open_where_groups(text, values_block(bindings))


def bind_rows(text: str, name: str, terms: Iterable[ox.NamedNode | ox.Literal]) -> str:
    """The query with `?name` bound to each of `terms` in turn (`rows_block`), as `bind_values` binds one value:
    its answer is the union of its answers for each term. No terms: no answer."""
    return _open_where_groups(text, rows_block(name, terms))


def _open_where_groups(text: str, block: str) -> str:
    groups = where_groups(text)
    if not groups:
        raise ValueError("values can be bound only into a query that writes its WHERE keyword out "
                         "(`SELECT ?x WHERE { ... }`, not `SELECT ?x { ... }`)")
    parts, start = [], 0
    for offset in groups:
        parts += [text[start:offset], " ", block]
        start = offset
    parts.append(text[start:])
    return "".join(parts)
