"""Finding the names an article writes: the graph's own (a spaCy `PhraseMatcher`: acronyms as written, other
names ignoring case) and new ones by their shape ("Full Name (ACRONYM)", a capitalised phrase that ends in a
company word, an INN by its stem, "Brand (INN; short name)"), and each new name where it is written again alone.
Every name carries its offsets in the article's text and the key of what it stands for: a graph IRI, or one key
shared by every name of one new resource.
"""

import re
from dataclasses import dataclass

from . import patterns as P
from .linking import Names, Resource, normalise


@dataclass
class Name:
    """A name as the article writes it, and what it stands for: a graph resource, or a new one (`resource` None)."""

    text: str
    start: int
    end: int
    kind: str  # product, authority, company, jurisdiction, organization, study, person
    key: str  # the graph IRI, or "new:<kind>:<normalised name>" shared by every name of one new resource
    resource: Resource | None = None

    @property
    def new(self) -> bool:
        return self.resource is None


@dataclass
class Sentence:
    """A sentence of the article: its offsets in the article's text, its text and its spaCy doc."""

    start: int
    end: int
    text: str
    doc: object
    headline: bool

    def lower_before(self, position: int, chars: int) -> str:
        offset = position - self.start
        return self.text[max(0, offset - chars):offset].lower()


_CAP = r"[A-Z][\w’'&.-]*"
_COMPANY = re.compile(r"\b((?:" + _CAP + r"\s+){0,3}(?:" + "|".join(
    re.escape(e.title()) if e.islower() and "." not in e else re.escape(e) for e in sorted(
        {w for e in P.COMPANY_ENDINGS for w in (e, e.upper(), e.title())}, key=len, reverse=True)) + r"))(?![\w-])")
_ACRONYM_PHRASE = re.compile(r"((?:" + _CAP + r"|of|for|and|the|on|de|&|,)(?:\s+(?:" + _CAP
                             + r"|of|for|and|the|on|de|&|,)){0,10})\s*\(([A-Z][A-Za-z/]{1,9})\)")
_PARENTHETICAL = re.compile(r"([\w-]+(?:\s+[\w-]+)?)\s+\(([^()]{2,120})\)")
INN = re.compile(P.INN)  # case matters: see patterns.INN


def _new_key(kind: str, text: str) -> str:
    return f"new:{kind}:{normalise(text)}"


class NameFinder:
    """The graph's names as phrase patterns, built once, and the rules for new names."""

    def __init__(self, nlp, names: Names):
        from spacy.matcher import PhraseMatcher

        self.nlp = nlp
        self.names = names
        # Acronyms match as written ("US" is not "us"); other names ignoring case.
        self.exact = PhraseMatcher(nlp.vocab, attr="ORTH")
        self.loose = PhraseMatcher(nlp.vocab, attr="LOWER")
        self.resources: dict[str, Resource] = {}
        exact, loose = [], []
        for text, resource in names.patterns():
            label = str(len(self.resources))
            self.resources[label] = resource
            doc = nlp.make_doc(text)
            (exact if len(text) <= 5 and text.upper() == text else loose).append((label, doc))
        for matcher, docs in ((self.exact, exact), (self.loose, loose)):
            for label, doc in docs:
                matcher.add(label, [doc])

    def find(self, sentences: list[Sentence]) -> list[Name]:
        """Every name in the article: the graph's, then new companies, authorities and products."""
        found: list[Name] = []
        for s in sentences:
            matches = [(m, "exact") for m in self.exact(s.doc)] + [(m, "loose") for m in self.loose(s.doc)]
            spans = []
            for (label, begin, end), _ in matches:
                span = s.doc[begin:end]
                spans.append((span.start_char, span.end_char, self.resources[self.nlp.vocab.strings[label]]))
            for start, end, resource in longest(spans):
                found.append(Name(s.text[start:end], s.start + start, s.start + end, resource.kind, resource.iri,
                                  resource))
        found += self._new_names(sentences, found)
        return sorted(found, key=lambda n: (n.start, -n.end))

    def _new_names(self, sentences: list[Sentence], known: list[Name]) -> list[Name]:
        taken = [(n.start, n.end) for n in known]
        local: dict[str, tuple[str, str]] = {}  # normalised name -> (kind, key): names learnt in this article
        out: list[Name] = []

        def add(text: str, start: int, kind: str, key: str, resource: Resource | None = None) -> None:
            end = start + len(text)
            if any(start < e and s < end for s, e in taken):
                return
            taken.append((start, end))
            out.append(Name(text, start, end, kind, key, resource))
            local.setdefault(normalise(text), (kind, key))

        for s in sentences:
            # "Full Name (ACRONYM)": one resource, two names.
            for m in _ACRONYM_PHRASE.finditer(s.text):
                phrase, acronym = _trim_phrase(m.group(1)), m.group(2)
                if not phrase:
                    continue
                resource = self.names.resolve(acronym) or self.names.resolve(phrase)
                kind = resource.kind if resource else _kind_of_phrase(phrase)
                if kind is None:
                    continue
                key = resource.iri if resource else _new_key(kind, phrase)
                start = s.start + m.start(1) + m.group(1).index(phrase)
                add(phrase, start, kind, key, resource)
                add(acronym, s.start + m.start(2), kind, key, resource)
            for m in _COMPANY.finditer(s.text):
                phrase = _trim_phrase(m.group(1))
                if len(phrase.split()) < 2 or phrase.split()[0].lower() in ("the", "a", "an", "its", "our", "in"):
                    continue
                resource = self.names.resolve(phrase)
                if resource is not None and resource.kind != "company":
                    continue
                if resource is None:
                    # A longer form of a company the article names ("Acme Bio", "Acme Biotherapeutics Ltd").
                    resource = next((n.resource for n in known if n.kind == "company"
                                     and _first_word(n.text) == _first_word(phrase)), None)
                add(phrase, s.start + m.start(1) + m.group(1).index(phrase), "company",
                    resource.iri if resource else _company_key(phrase, local), resource)
            for m in INN.finditer(s.text):
                resource = self.names.resolve(m.group())
                if resource is None or resource.kind == "product":
                    add(m.group(), s.start + m.start(), "product",
                        resource.iri if resource else _new_key("product", m.group()), resource)
        # Names of products given together ("Brand (INN; short name)") are one product.
        products = {n.start: n for n in known + out if n.kind == "product"}
        for s in sentences:
            for m in _PARENTHETICAL.finditer(s.text):
                outer = next((n for n in products.values() if n.end == s.start + m.end(1)), None)
                inner_start = s.start + m.start(2)
                parts = _parts(m.group(2), inner_start)
                inner = [products.get(start) for _, start in parts]
                anchor = outer or next((n for n in inner if n is not None), None)
                if anchor is None or (outer is None and not _is_name(m.group(1))):
                    continue
                if outer is None:
                    add(m.group(1), s.start + m.start(1), "product", anchor.key, anchor.resource)
                for text, start in parts:
                    if products.get(start) is None:
                        add(text, start, "product", anchor.key, anchor.resource)
        # A name learnt here, written again elsewhere on its own ("CTPL", "liso-cel").
        for s in sentences:
            for name, (kind, key) in local.items():
                if len(name) < 3:
                    continue
                for m in re.finditer(r"(?<![\w-])" + re.escape(name) + r"(?![\w-])", s.text, re.IGNORECASE):
                    resource = next((n.resource for n in out if n.key == key), None)
                    add(m.group(), s.start + m.start(), kind, key, resource)
        return out


def longest(spans: list[tuple[int, int, object]]) -> list[tuple[int, int, object]]:
    """Spans that do not overlap, the longest kept where two do, in text order."""
    kept: list[tuple[int, int, object]] = []
    for span in sorted(spans, key=lambda x: (x[0] - x[1], x[0])):
        if all(span[1] <= k[0] or k[1] <= span[0] for k in kept):
            kept.append(span)
    return sorted(kept, key=lambda x: x[0])


def _trim_phrase(phrase: str) -> str:
    words = phrase.replace(",", " , ").split()
    while words and (words[0].lower() in ("the", "of", "for", "and", "on", "de", "&", ",", "a", "an", "in", "by",
                                          "as", "with", "its", "to") or words[0][0].islower()):
        words = words[1:]
    while words and words[-1] in (",", "&", "and", "of", "the"):
        words = words[:-1]
    return " ".join(words).replace(" , ", ", ")


def _kind_of_phrase(phrase: str) -> str | None:
    words = phrase.lower().split()
    if not words:
        return None
    if words[-1] in P.AUTHORITY_ENDINGS or words[0] in P.AUTHORITY_STARTS:
        return "authority"
    if words[-1] in P.COMPANY_ENDINGS:
        return "company"
    return None


def _first_word(name: str) -> str:
    return normalise(name).split()[0] if normalise(name) else ""


def _company_key(phrase: str, local: dict[str, tuple[str, str]]) -> str:
    """A new company's key: the one of a company already named with the same first word."""
    for name, (kind, key) in local.items():
        if kind == "company" and _first_word(name) == _first_word(phrase) and key.startswith("new:"):
            return key
    return _new_key("company", phrase)


def _parts(inner: str, start: int) -> list[tuple[str, int]]:
    out = []
    offset = 0
    for piece in re.split(r"(;|,)", inner):
        if piece not in (";", ","):
            text = piece.strip()
            if text:
                out.append((text, start + offset + piece.index(text)))
        offset += len(piece)
    return out


def _is_name(text: str) -> bool:
    return bool(text) and text[0].isupper()
