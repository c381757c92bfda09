"""Content negotiation, in one place: the table from media type to serializer, and the choice from an
`Accept` header (or a `format` parameter, for browsers and for clients such as SPARQLWrapper).

Each format serves one *kind of answer*:
- `solutions`: a SELECT's rows or an ASK's boolean (SPARQL 1.1 Query Results formats);
- `graph`: RDF triples (CONSTRUCT, DESCRIBE, a linked-data description, the service description);
- `record`: a REST lookup's JSON document, plain or as JSON-LD;
- `page`: an HTML page for a browser.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

import pyoxigraph as ox

from kg.formats import GRAPH_FORMATS, RESULT_FORMATS

Kind = Literal["solutions", "graph", "record", "page"]


@dataclass(frozen=True)
class Format:
    name: str  # the canonical value of the `format` parameter
    media_type: str  # the Content-Type of the answer
    kind: Kind
    syntax: ox.QueryResultsFormat | ox.RdfFormat | None = None  # pyoxigraph's serializer, when it has one
    names: tuple[str, ...] = ()  # other values of `format` that choose it
    accepts: tuple[str, ...] = ()  # other media types in `Accept` that choose it

    def matches_name(self, value: str) -> bool:
        value = value.strip().lower()
        return value == self.name or value in self.names or value == self.media_type or value in self.accepts


# The order matters: within a kind, the first format is the default for `*/*` and for no Accept header.
# pyoxigraph's serializer for each comes from the project's one table of formats (`kg.formats`).
FORMATS: tuple[Format, ...] = (
    Format("json", "application/sparql-results+json", "solutions", RESULT_FORMATS["json"],
           names=("srj",), accepts=("application/json",)),
    Format("xml", "application/sparql-results+xml", "solutions", RESULT_FORMATS["xml"],
           names=("srx",), accepts=("application/xml", "text/xml")),
    Format("csv", "text/csv", "solutions", RESULT_FORMATS["csv"]),
    Format("tsv", "text/tab-separated-values", "solutions", RESULT_FORMATS["tsv"]),
    Format("turtle", "text/turtle", "graph", GRAPH_FORMATS["turtle"],
           names=("ttl", "n3"), accepts=("application/x-turtle", "application/turtle", "text/n3")),
    Format("ntriples", "application/n-triples", "graph", GRAPH_FORMATS["ntriples"],
           names=("nt", "n-triples"), accepts=("text/plain",)),
    Format("jsonld", "application/ld+json", "graph", GRAPH_FORMATS["jsonld"],
           names=("json-ld", "json"), accepts=("application/json", "application/x-json+ld")),
    Format("rdfxml", "application/rdf+xml", "graph", GRAPH_FORMATS["rdfxml"],
           names=("rdf+xml", "rdf", "xml"), accepts=("application/xml", "text/xml")),
    Format("json", "application/json", "record"),
    Format("jsonld", "application/ld+json", "record", names=("json-ld",)),
    Format("html", "text/html", "page", names=("htm",), accepts=("application/xhtml+xml",)),
)


def formats(*kinds: Kind) -> list[Format]:
    return [f for f in FORMATS if f.kind in kinds]


def by_name(kind: Kind, name: str) -> Format:
    """The format of a kind with this canonical name (names are unique within a kind)."""
    return next(f for f in FORMATS if f.kind == kind and f.name == name)


def _accept_ranges(header: str) -> list[tuple[str, float]]:
    """`Accept` as (media range, q) pairs; ranges with an unreadable q are ignored, as RFC 9110 allows."""
    ranges = []
    for part in header.split(","):
        media, *params = (p.strip() for p in part.split(";"))
        if "/" not in media:
            continue
        q = 1.0
        for param in params:
            key, _, value = param.partition("=")
            if key.strip().lower() == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = -1.0
        if 0.0 <= q <= 1.0:
            ranges.append((media.lower(), q))
    return ranges


def _quality(fmt: Format, ranges: list[tuple[str, float]]) -> float:
    """The q the client gives this format: that of its most specific matching range (RFC 9110 §12.5.1)."""
    best_specificity, best_q = -1, 0.0
    kind = fmt.media_type.split("/")[0]
    for media_range, q in ranges:
        if media_range == fmt.media_type or media_range in fmt.accepts:
            specificity = 2
        elif media_range == f"{kind}/*":  # wildcards match the format's own media type, not its aliases
            specificity = 1
        elif media_range == "*/*":
            specificity = 0
        else:
            continue
        if specificity > best_specificity or (specificity == best_specificity and q > best_q):
            best_specificity, best_q = specificity, q
    return best_q


def negotiate(accept: str | None, kinds: Iterable[Kind], requested: str | Iterable[str] | None = None) -> Format | None:
    """The format to answer with, or None when the client accepts none of those this answer can take.

    `requested` is the `format` parameter, which wins over `Accept` when given: a name (`json`, `turtle`)
    or a media type, possibly repeated or comma-separated (SPARQLWrapper sends
    `format=json-ld&format=application/ld+json,application/x-json+ld`); the first that fits is taken.
    """
    candidates = formats(*kinds)
    values = [requested] if isinstance(requested, str) else list(requested or [])
    names = [name for value in values for name in value.split(",") if name.strip()]
    if names:
        return next((f for name in names for f in candidates if f.matches_name(name)), None)
    ranges = _accept_ranges(accept or "")
    if not ranges:
        return candidates[0] if candidates else None
    best, best_q = None, 0.0
    for fmt in candidates:
        q = _quality(fmt, ranges)
        if q > best_q:
            best, best_q = fmt, q
    return best


def offered(*kinds: Kind) -> str:
    """The media types an answer of these kinds can take, for a 406 message."""
    return ", ".join(dict.fromkeys(f.media_type for f in formats(*kinds)))
