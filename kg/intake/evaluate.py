"""Scoring proposals against gold files, by one matching rule that anyone can apply the same way.

A proposed fact matches a gold fact of the same kind when each non-null value of the gold fact's product (its
INN where it has no product), its authority (its jurisdiction where it has no authority) and its date is
matched: a name by the proposal's product or INN (authority or jurisdiction) when, ignoring case, either
contains the other or both resolve to the same resource of the graph; a date by an equal string. Each gold
fact matches at most one proposal and each proposal at most one gold fact (a maximum matching).

Over the matched pairs it also counts invented values (a value proposed where the gold fact has null, among
product, INN, sponsor, authority, jurisdiction and date) and dates more precise than the gold date.

>>> gold = [{"kind": "approval", "product": "Zeta", "inn": None, "authority": "Agency X", "jurisdiction": None,
...          "date": "2023-06", "sponsor": None}]
>>> good = {"kind": "approval", "product": "zeta", "inn": None, "authority": "the Agency X (AX)",
...         "jurisdiction": None, "date": "2023-06", "sponsor": None}
>>> len(match(gold, [good]))
1
>>> len(match(gold, [dict(good, date="2023-06-30")]))
0
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from .gold import KINDS, load, to_gold
from .linking import Names

VALUE_KEYS = ("product", "inn", "sponsor", "authority", "jurisdiction", "date")
PRECISION = {None: 0, 4: 1, 7: 2, 10: 3}  # a date's length: YYYY, YYYY-MM, YYYY-MM-DD


def _names_match(gold: str, proposed: str, names: Names | None) -> bool:
    g, p = gold.casefold().strip(), proposed.casefold().strip()
    if g and p and (g in p or p in g):
        return True
    if names is None:
        return False
    a, b = names.resolve(gold), names.resolve(proposed)
    return a is not None and b is not None and a.iri == b.iri


def matches(gold: dict, proposed: dict, names: Names | None = None) -> bool:
    """Whether one proposal matches one gold fact (see the module's docstring)."""
    if gold["kind"] != proposed["kind"]:
        return False
    for main, fallback in (("product", "inn"), ("authority", "jurisdiction")):
        wanted = gold.get(main) or gold.get(fallback)
        if wanted is None:
            continue
        offered = [v for v in (proposed.get(main), proposed.get(fallback)) if v]
        if not any(_names_match(wanted, v, names) for v in offered):
            return False
    return gold.get("date") is None or gold.get("date") == proposed.get("date")


def match(gold: list[dict], proposed: list[dict], names: Names | None = None) -> list[tuple[int, int]]:
    """A maximum one-to-one matching: (gold index, proposal index) pairs."""
    edges = {g: [p for p, prop in enumerate(proposed) if matches(fact, prop, names)] for g, fact in enumerate(gold)}
    owner: dict[int, int] = {}  # proposal -> gold

    def augment(g: int, seen: set[int]) -> bool:
        for p in edges[g]:
            if p in seen:
                continue
            seen.add(p)
            if p not in owner or augment(owner[p], seen):
                owner[p] = g
                return True
        return False

    for g in edges:
        augment(g, set())
    return sorted((g, p) for p, g in owner.items())


def invented(gold: dict, proposed: dict) -> int:
    return sum(gold.get(k) is None and proposed.get(k) is not None for k in VALUE_KEYS)


def more_precise(gold: dict, proposed: dict) -> bool:
    return PRECISION.get(len(proposed["date"]) if proposed.get("date") else None, 0) > \
        PRECISION.get(len(gold["date"]) if gold.get("date") else None, 0)


@dataclass
class Tally:
    gold: int = 0
    proposed: int = 0
    matched: int = 0

    @property
    def precision(self) -> float | None:
        return self.matched / self.proposed if self.proposed else None

    @property
    def recall(self) -> float | None:
        return self.matched / self.gold if self.gold else None

    @property
    def f1(self) -> float | None:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p and r else (0.0 if p is not None and r is not None else None)


@dataclass
class Scores:
    kinds: dict[str, Tally] = field(default_factory=lambda: {k: Tally() for k in KINDS})
    invented: int = 0
    more_precise: int = 0
    unscored: int = 0  # proposals of kinds the gold files do not have (claims)
    files: int = 0
    misses: list[str] = field(default_factory=list)  # "file: kind (what)" of each unmatched gold fact or proposal

    @property
    def overall(self) -> Tally:
        t = Tally()
        for k in self.kinds.values():
            t.gold += k.gold
            t.proposed += k.proposed
            t.matched += k.matched
        return t

    def add(self, name: str, gold: list[dict], proposed: list[dict], names: Names | None) -> None:
        self.files += 1
        scored = [p for p in proposed if p["kind"] in self.kinds]
        self.unscored += len(proposed) - len(scored)
        pairs = match(gold, scored, names)
        for fact in gold:
            self.kinds.setdefault(fact["kind"], Tally()).gold += 1
        for fact in scored:
            self.kinds[fact["kind"]].proposed += 1
        for g, p in pairs:
            self.kinds[gold[g]["kind"]].matched += 1
            self.invented += invented(gold[g], scored[p])
            self.more_precise += more_precise(gold[g], scored[p])
        matched_gold, matched_proposed = {g for g, _ in pairs}, {p for _, p in pairs}
        self.misses += [f"{name}: missed {f['kind']} ({_brief(f)})" for i, f in enumerate(gold)
                        if i not in matched_gold]
        self.misses += [f"{name}: extra {f['kind']} ({_brief(f)})" for i, f in enumerate(scored)
                        if i not in matched_proposed]


def _brief(fact: dict) -> str:
    return ", ".join(str(fact[k]) for k in ("product", "authority", "jurisdiction", "date", "person", "study")
                     if fact.get(k)) or (fact.get("evidence") or "")[:60]


def evaluate(folder: Path, propose: Callable[[Path], list[dict]], names: Names | None = None) -> Scores:
    """Score `propose(text file)` on every `*.txt` of `folder` that has a `*.facts.json` beside it."""
    scores = Scores()
    for text in sorted(folder.glob("*.txt")):
        gold_file = text.with_name(text.name.removesuffix(".txt") + ".facts.json")
        if gold_file.is_file():
            scores.add(text.name, load(gold_file), propose(text), names)
    return scores


def propose_with(extractor) -> Callable[[Path], list[dict]]:
    """What `evaluate` scores: the extractor's facts in the gold schema, read with no date given beside the
    article (only what the file itself carries)."""
    from .reading import read_article

    return lambda path: to_gold(extractor.extract(read_article(path)))


def table(scores: Scores) -> str:
    """The scores as a Markdown table: per kind, then overall, then the counts of invented values and of dates
    more precise than the gold."""
    def cell(value: float | None) -> str:
        return "–" if value is None else f"{value:.2f}"

    lines = ["| kind | gold | proposed | matched | precision | recall | F1 |", "|---|---|---|---|---|---|---|"]
    for kind, t in list(scores.kinds.items()) + [("**overall**", scores.overall)]:
        lines.append(f"| {kind} | {t.gold} | {t.proposed} | {t.matched} | {cell(t.precision)} | {cell(t.recall)} "
                     f"| {cell(t.f1)} |")
    lines.append("")
    lines.append(f"{scores.files} article(s); invented values: {scores.invented}; dates more precise than the "
                 f"gold: {scores.more_precise}; claims proposed (not a gold kind, not scored): {scores.unscored}")
    return "\n".join(lines)
