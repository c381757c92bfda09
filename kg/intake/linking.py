"""Linking names read in an article to the resources of the built graph (labels, other names, INNs, brands).

A name resolves to a resource when it equals one of the graph's names once case, curly quotes, a leading
"the", a possessive and spacing are set aside, or when a parenthesised part of it does ("Ministry of Health,
Labour and Welfare (MHLW)" resolves through "MHLW"). A name that resolves to nothing is new.
The names are read once from the store with `kg/intake/names.rq` and `regulators.rq`.
"""

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

import pyoxigraph as ox

from ..query import rows
from ..rq import read_query

# A resource of several classes (an authority is also an organization) is linked as its most specific kind.
KIND_ORDER = ("product", "authority", "company", "jurisdiction", "study", "person", "pathway", "organization")

_QUOTES = str.maketrans({"’": "'", "‘": "'", "“": '"', "”": '"', "\u00a0": " "})
_PARENTHESIS = re.compile(r"\s*[(\[]([^()\[\]]*)[)\]]\s*")


def normalise(name: str) -> str:
    """A name as it is compared: lower case, straight quotes, single spaces, no leading "the", no possessive.

    >>> normalise("the Hong Kong Department of Health’s")
    'hong kong department of health'
    """
    text = " ".join(name.translate(_QUOTES).split()).lower().strip(" .,;:'\"")
    text = re.sub(r"^the ", "", text)
    return re.sub(r"'s?$", "", text).strip()


@dataclass(frozen=True)
class Resource:
    iri: str
    kind: str
    label: str  # one of its names, for messages and new-resource proposals
    jurisdiction: str | None = None


@dataclass
class Names:
    """The graph's names, ready to resolve what an article writes."""

    by_name: dict[str, Resource] = field(default_factory=dict)
    regulators: dict[str, list[str]] = field(default_factory=dict)  # jurisdiction IRI -> deciding authorities
    names_of: dict[str, list[str]] = field(default_factory=dict)  # IRI -> every name, first the label

    @classmethod
    def from_rows(cls, names: Iterable[dict], regulators: Iterable[dict] = ()) -> "Names":
        """From rows of `names.rq` (resource, kind, name, jurisdiction) and `regulators.rq`."""
        best: dict[str, dict] = {}
        for row in names:
            kept = best.get(row["resource"])
            if kept is None or KIND_ORDER.index(row["kind"]) < KIND_ORDER.index(kept["kind"]):
                best[row["resource"]] = {"kind": row["kind"], "jurisdiction": row.get("jurisdiction")}
        found = cls()
        for row in names:
            iri = row["resource"]
            info = best[iri]
            found.names_of.setdefault(iri, [])
            if row["name"] not in found.names_of[iri]:
                found.names_of[iri].append(row["name"])
            resource = Resource(iri, info["kind"], found.names_of[iri][0], info["jurisdiction"])
            key = normalise(row["name"])
            kept = found.by_name.get(key)
            if key and (kept is None or KIND_ORDER.index(resource.kind) < KIND_ORDER.index(kept.kind)):
                found.by_name[key] = resource
        for row in regulators:
            found.regulators.setdefault(row["jurisdiction"], []).append(row["authority"])
        return found

    @classmethod
    def from_store(cls, store: ox.Store) -> "Names":
        return cls.from_rows(rows(store, read_query("kg", "intake", "names")),
                             rows(store, read_query("kg", "intake", "regulators")))

    def resolve(self, name: str, kinds: Iterable[str] | None = None) -> Resource | None:
        """The resource a name stands for, if the graph knows it (and it is of one of `kinds`)."""
        wanted = set(kinds) if kinds is not None else None
        for candidate in _candidates(name):
            resource = self.by_name.get(candidate)
            if resource is not None and (wanted is None or resource.kind in wanted):
                return resource
        return None

    def derived_authority(self, jurisdiction: str) -> str | None:
        """The one authority that decides on applications in a jurisdiction, if the graph knows exactly one."""
        authorities = sorted(set(self.regulators.get(jurisdiction, [])))
        return authorities[0] if len(authorities) == 1 else None

    def patterns(self) -> list[tuple[str, Resource]]:
        """Every (name as the graph writes it, resource), for the phrase matcher."""
        out = []
        for iri, names in self.names_of.items():
            resource = self.by_name.get(normalise(names[0]))
            if resource is None or resource.iri != iri:
                resource = next((r for n in names if (r := self.by_name.get(normalise(n))) and r.iri == iri), None)
            if resource is None:
                continue
            out += [(n, resource) for n in names if self.by_name.get(normalise(n)) == resource]
        return out


def _candidates(name: str) -> list[str]:
    """The forms of a name to look up: whole, without its parentheses, and each parenthesised part."""
    out = [normalise(name)]
    inner = _PARENTHESIS.findall(name)
    outer = _PARENTHESIS.sub(" ", name)
    out.append(normalise(outer))
    out += [normalise(part) for text in inner for part in re.split(r"[;,]", text)]
    return [c for c in dict.fromkeys(out) if c]
