"""The gold files' schema (`../shared/articles/*.facts.json`): facts as JSON objects with the common keys and
the keys of their kind, `null` (or `[]`) where the text says nothing. `ctkg intake --format json` prints an
extraction in it, so that proposals and gold files compare key by key.
"""

import json
from pathlib import Path

from .extract import Extraction, Fact
from .mentions import INN, Name

COMMON = ("kind", "product", "inn", "sponsor", "authority", "jurisdiction", "date", "date_text", "indication",
          "evidence", "note")
EXTRA: dict[str, tuple[str, ...]] = {
    "approval": ("product_aliases", "application", "prior_decision_mentioned"),
    "under_review": ("application", "status"),
    "clinical_study": ("study", "phase", "design", "location", "status", "role", "results", "registry_ids"),
    "gmp_inspection": ("event", "company", "site", "scope", "outcome", "date_inferred"),
    "alias": ("entity_type", "names", "identifiers"),
    "person_role": ("person", "role", "organisation"),
    "rejection": (),
    "withdrawal": (),
    "pics_membership": (),
    "claim": ("about",),  # not a kind of the gold files: a "first ..." statement, listed but never scored
}
KINDS = tuple(k for k in EXTRA if k != "claim")
LISTS = {"product_aliases", "registry_ids", "names", "identifiers", "about"}


def to_gold(extraction: Extraction) -> list[dict]:
    """Every fact of an extraction as a gold-schema object."""
    return [_fact(extraction, fact) for fact in extraction.facts]


def dumps(facts: list[dict]) -> str:
    """The gold files' layout: UTF-8, two-space indentation, non-ASCII unescaped, a final newline."""
    return json.dumps(facts, ensure_ascii=False, indent=2) + "\n"


def load(path: Path) -> list[dict]:
    return json.loads(path.read_text(encoding="utf-8"))


def _fact(x: Extraction, fact: Fact) -> dict:
    text = x.article.text
    out: dict = {key: None for key in COMMON}
    out.update({key: [] if key in LISTS else None for key in EXTRA[fact.kind]})
    out["kind"] = fact.kind
    out["evidence"] = text[fact.evidence[0]:fact.evidence[1]]
    if fact.product is not None and fact.kind in ("approval", "under_review", "rejection", "withdrawal",
                                                  "gmp_inspection", "clinical_study"):
        out["product"] = fact.product.text
        if fact.kind not in ("gmp_inspection", "clinical_study"):
            out["inn"] = _inn(x, fact.product)
    out["authority"] = _text(fact.authority)
    out["jurisdiction"] = _text(fact.jurisdiction)
    out["sponsor"] = _text(fact.sponsor)
    if fact.date is not None:
        out["date"] = fact.date_value
        out["date_text"] = fact.date.text
    out["indication"] = fact.fields.get("indication")
    notes = list(fact.notes)
    if fact.derived_authority:
        notes.append(f"The text names the jurisdiction only; the authority <{fact.derived_authority}> is derived "
                     "from the graph, not stated.")
    out["note"] = " ".join(notes) or None
    f = fact.fields
    if fact.kind == "approval":
        out["application"] = f.get("application")
        reliance = f.get("reliance")
        if reliance:
            out["prior_decision_mentioned"] = {"authority": _text(reliance["authority"]),
                                               "date": reliance.get("date"), "relation": reliance["relation"]}
        written = x.written(fact.product.key) if fact.product is not None else []
        out["product_aliases"] = [w for w in written if w != fact.product.text
                                  and w.lower() != (out["inn"] or "").lower()]
    elif fact.kind == "under_review":
        out["application"] = f.get("application")
        out["status"] = f.get("status")
    elif fact.kind == "clinical_study":
        out.update(study=f.get("study"), design=f.get("design"))
    elif fact.kind == "gmp_inspection":
        out.update(event=f.get("event"), company=_text(fact.company), site=f.get("site"), outcome=f.get("outcome"))
    elif fact.kind == "alias":
        out.update(entity_type=f.get("entity_type"), names=f.get("names", []))
    elif fact.kind == "person_role":
        out.update(person=f.get("person"), role=f.get("role"), organisation=f.get("organisation"))
    elif fact.kind == "claim":
        out["about"] = [x.label(k) for k in f.get("about", [])]
    return out


def _text(name: Name | None) -> str | None:
    return name.text if name is not None else None


def _inn(x: Extraction, product: Name) -> str | None:
    """The product's INN, only when the article writes it: a capitalised single word is a brand, never an INN."""
    for written in x.written(product.key):
        if INN.fullmatch(written):
            return written.lower() if written[0].isupper() else written
    return None
