"""Reading facts out of an article's text: the sentences that announce a regulatory event, and for each event the
product, authority or jurisdiction, date and evidence that belong to it, among the names `kg.intake.mentions`
found; then one fact per event.

The rules are data (`kg.intake.patterns`), matched on a blank English spaCy pipeline: its tokenizer, a
sentencizer and a `Matcher` for the words of an event (names: `kg.intake.mentions`). Nothing is
downloaded and no statistical model runs. Every fact carries the sentence it was read in, with its offsets in
the article's text. A value the text does not state stays None.
"""

import re
from collections import Counter
from dataclasses import dataclass, field

from . import patterns as P
from .dates import DateMention, find_dates, parse_published, resolve
from .linking import Names, normalise
from .mentions import INN, Name, NameFinder, Sentence, longest
from .people import PERSON, ends_organisation, find_role, is_role_word
from .reading import Article

SUBJECT_PRODUCT = "The sentence does not name the product; it is the article's subject."
SUBJECT_COMPANY = "The sentence does not name the company; it is the article's subject."
DECISIONS = ("approval", "under_review", "rejection", "withdrawal")
# The kinds of fact, in the order they are listed.
KINDS = DECISIONS + ("gmp_inspection", "pics_membership", "clinical_study", "alias", "person_role", "claim")


@dataclass
class Fact:
    kind: str
    evidence: tuple[int, int]  # offsets of the sentence in the article's text
    product: Name | None = None
    authority: Name | None = None
    jurisdiction: Name | None = None
    sponsor: Name | None = None
    company: Name | None = None
    date: DateMention | None = None
    derived_authority: str | None = None  # an authority IRI worked out from the jurisdiction, marked derived
    fields: dict = field(default_factory=dict)  # what the kind adds: application, status, study, person, ...
    notes: list[str] = field(default_factory=list)
    score: int = 0  # how many of its values its own sentence gave: the evidence kept when facts merge
    from_headline: bool = False

    @property
    def date_value(self) -> str | None:
        return self.date.value if self.date is not None and not self.date.relative else None


@dataclass
class Extraction:
    article: Article
    facts: list[Fact]
    names: dict[str, list[Name]]  # key -> every mention of that resource

    def label(self, key: str) -> str:
        """A resource's name: its graph label, or its longest written form for a new one."""
        mentions = self.names.get(key, [])
        if mentions and mentions[0].resource is not None:
            return mentions[0].resource.label
        return max((m.text for m in mentions), key=len) if mentions else key.rsplit(":", 1)[-1]

    def written(self, key: str) -> list[str]:
        """Every way the article writes a resource, in order of first appearance."""
        return list(dict.fromkeys(m.text for m in self.names.get(key, [])))


# --- names -------------------------------------------------------------------------------------------------

_STUDY = re.compile(r"\b((?:[A-Z][A-Z0-9]*(?:-[A-Z0-9]+)+|[A-Z]{3,}[0-9]*)(?:\s+(?:[A-Z]{2,}[0-9]*|\d{2,4}))*)"
                    r"\s+(?:(?:registrational|pivotal|clinical|confirmatory|phase\s+[0-9IV]+[ab]?)\s+)*"
                    r"(?:trial|study)\b")


class Extractor:
    """The pipeline and the rules, built once and used for many articles (`extract`)."""

    def __init__(self, names: Names):
        import spacy
        from spacy.matcher import Matcher

        self.names = names
        self.nlp = spacy.blank("en")
        self.nlp.add_pipe("sentencizer")
        self.triggers = Matcher(self.nlp.vocab)
        for kind, rules in P.TRIGGERS.items():
            self.triggers.add(kind, rules)
        self.finder = NameFinder(self.nlp, names)

    # The steps of one article.
    def extract(self, article: Article, published: str | None = None) -> Extraction:
        """Every fact the rules find in `article`. `published` (YYYY-MM-DD) is the publication date relative
        dates are resolved against; without it, the article's header date is used; without both, none is."""
        published = published or parse_published(article.published_text)
        sentences = list(self._sentences(article))
        names = self.finder.find(sentences)
        reading = _Reading(article, sentences, names, self.names, published)
        for sentence in sentences:
            reading.decisions(sentence, self._triggers(sentence))
            reading.gmp_and_pics(sentence, self._triggers(sentence))
            reading.studies(sentence)
            reading.people(sentence)
            reading.claims(sentence)
        reading.aliases()
        return Extraction(article, reading.merged(), reading.by_key)

    def _sentences(self, article: Article):
        """(start, end, doc, from_headline) of each sentence, boilerplate lines left out."""
        text = article.text
        spans = []
        if article.headline is not None:
            spans.append((article.headline[0], article.headline[1], True))
        offset = article.body_start
        for line in text[article.body_start:].split("\n"):
            if line.strip() and not _boilerplate(line):
                spans.append((offset, offset + len(line), False))
            offset += len(line) + 1
        docs = self.nlp.pipe(text[s:e] for s, e, _ in spans)
        for (start, _end, headline), doc in zip(spans, docs, strict=True):
            for sent in doc.sents:
                begin = start + sent.start_char
                body = sent.text.rstrip()
                if body.strip():
                    yield Sentence(begin, begin + len(body), text[begin:begin + len(body)], sent.as_doc(),
                                    headline)

    def _triggers(self, sentence: Sentence) -> list[tuple[str, int, int, str]]:
        """(kind, start, end, words) of each word announcing an event, longest first where two overlap."""
        spans = []
        for label, begin, end in self.triggers(sentence.doc):
            span = sentence.doc[begin:end]
            spans.append((span.start_char, span.end_char, self.nlp.vocab.strings[label]))
        return [(kind, sentence.start + s, sentence.start + e, sentence.text[s:e]) for s, e, kind in longest(spans)]


class _Reading:
    """What one article yields, fact by fact; `merged` gives one fact per event."""

    def __init__(self, article: Article, sentences: list[Sentence], names: list[Name], graph: Names,
                 published: str | None):
        self.article = article
        self.sentences = sentences
        self.all_names = names
        self.graph = graph
        self.published = published
        self.by_key: dict[str, list[Name]] = {}
        for n in names:
            self.by_key.setdefault(n.key, []).append(n)
        self.facts: list[Fact] = []
        self.subject_product = _most_named(names, "product")
        self.subject_company = _most_named(names, "company")

    def names_in(self, start: int, end: int, kind: str) -> list[Name]:
        return [n for n in self.all_names if n.kind == kind and start <= n.start and n.end <= end]

    # Decisions: approvals, applications under review, refusals, withdrawals.
    def decisions(self, s: Sentence, triggers: list) -> None:
        found = [t for t in triggers if t[0] in DECISIONS and self._counts(s, t)]
        segments = []
        for trigger in found:
            if segments and segments[-1][0][0] == trigger[0]:
                continue  # the same kind again: one event, one segment
            start = s.start if not segments else trigger[1]
            segments.append((trigger, start))
        for i, (trigger, start) in enumerate(segments):
            end = segments[i + 1][1] if i + 1 < len(segments) else s.end
            self._decision(s, trigger, start, end)

    def _counts(self, s: Sentence, trigger: tuple) -> bool:
        """Whether a trigger announces an event here: not undone by the words around it, nor part of a claim."""
        kind, start, end, _ = trigger
        if _negated(s.text[max(0, start - s.start - 60):start - s.start], P.NEGATIONS.get(kind, set())):
            return False
        after = s.text[end - s.start:].lower()
        following = re.findall(r"[\w’']+", after)
        if set(following[:1]) & P.FOLLOWERS_UNDO.get(kind, set()):
            return False
        if kind in DECISIONS and set(following[:P.FUTURE_WINDOW]) & P.FUTURE:
            return False
        clause = re.split(r"[,;:]", after, maxsplit=1)[0]
        if kind in DECISIONS and re.search(r"\b(?:is|are|remains|was|were)\s+(?:now\s+)?(?:"
                                           + "|".join(P.FUTURE) + r")\b", clause):
            return False
        if kind == "approval" and any(w in after[:60] for w in P.TRIAL_APPROVAL):
            return False
        return not any(c in s.lower_before(start, 400) for c in P.CLAIM_WORDS)

    def _decision(self, s: Sentence, trigger: tuple, start: int, end: int) -> None:
        """The events one trigger announces in its segment [start, end): one, or one per place where the segment
        names places and no authority ("reviews ongoing in A and B")."""
        words = trigger[3]
        authorities = self.names_in(start, end, "authority")
        jurisdictions = self.names_in(start, end, "jurisdiction")
        authority = authorities[0] if authorities else None
        if authority is None and len(jurisdictions) > 1 and words.lower() != "renewed":
            places = [(None, place) for place in jurisdictions]
        else:
            places = [(authority, self._jurisdiction(authority, jurisdictions))]
        for who, where in places:
            self._decision_in(s, trigger, start, end, who, where)

    def _decision_in(self, s: Sentence, trigger: tuple, start: int, end: int, authority: Name | None,
                     jurisdiction: Name | None) -> None:
        kind, words = trigger[0], trigger[3]
        fact = Fact(kind, (s.start, s.end), authority=authority, jurisdiction=jurisdiction, from_headline=s.headline)
        if words.lower() == "renewed":
            fact.fields["application"] = "renewal"
            earlier = next((f for f in reversed(self.facts) if f.kind == "approval"), None)
            if earlier is not None and fact.authority is None and fact.jurisdiction is None:
                fact.authority, fact.jurisdiction = earlier.authority, earlier.jurisdiction
                fact.product = earlier.product
                fact.notes.append("The renewal is of the authorisation the text states just before it.")
        if fact.authority is None and fact.jurisdiction is None:
            return
        products = self.names_in(start, end, "product") or self.names_in(s.start, s.end, "product")
        if fact.product is None:
            fact.product = products[0] if products else self._subject_product(fact)
        if fact.product is None:
            return
        self._date(fact, s, start, end)
        fact.sponsor = self._sponsor(s, start, end)
        lowered = s.text[start - s.start:end - s.start].lower()
        application = next((v for k, v in P.APPLICATION_TYPES.items() if re.search(rf"\b{re.escape(k)}\b", lowered)),
                           None)
        fact.fields.setdefault("application", application)
        indication = _indication(s.text[start - s.start:end - s.start])
        fact.fields["indication"] = indication
        if kind == "under_review":
            fact.fields["status"] = _status(words)
        if kind == "approval":
            pathway = _pathway(s.text)
            if pathway:
                fact.notes.append(f"Pathway: {pathway}.")
            fact.fields["reliance"] = self._reliance(s, fact)
        fact.score = sum(x is not None for x in (fact.authority, fact.jurisdiction, fact.date, fact.sponsor,
                                                 application, indication)) + bool(products)
        if fact.jurisdiction is not None and fact.authority is None:
            derived = self.graph.derived_authority(fact.jurisdiction.key)
            if derived:
                fact.derived_authority = derived
        self.facts.append(fact)

    def _subject_product(self, fact: Fact) -> Name | None:
        if self.subject_product is None:
            return None
        fact.notes.append(SUBJECT_PRODUCT)
        return self.subject_product

    def _jurisdiction(self, authority: Name | None, jurisdictions: list[Name]) -> Name | None:
        """The jurisdiction of the event: one named beside the authority that is the authority's own, or any
        named when there is no authority; or the jurisdiction written inside the authority's name."""
        if authority is None:
            return jurisdictions[0] if jurisdictions else None
        own = authority.resource.jurisdiction if authority.resource else None
        for j in jurisdictions:
            if own is None or j.key == own:
                return j
        if own is not None:
            for written in self.graph.names_of.get(own, []):
                at = re.search(rf"(?<!\w){re.escape(written)}(?!\w)", authority.text)
                if at and len(written) > 1:
                    return Name(written, authority.start + at.start(), authority.start + at.end(), "jurisdiction",
                                own, self.graph.by_name.get(normalise(written)))
        return None

    def _date(self, fact: Fact, s: Sentence, start: int, end: int) -> None:
        """The decision's date: the first date of the segment that no words make another date's; a relative
        expression that a calendar date follows in apposition ("on Friday, 3 May 2024") is that calendar date."""
        candidates = []
        for mention in find_dates(s.text[start - s.start:end - s.start], start):
            before = s.lower_before(mention.start, 40)
            if any(w in before for w in P.NOT_DECISION_DATES):
                fact.notes.append(f"“{mention.text}” is not the date of this decision ({_why(before)}).")
            else:
                candidates.append(mention)
        if not candidates or fact.date is not None:
            return
        mention = candidates[0]
        if mention.relative and len(candidates) > 1 and not candidates[1].relative and re.fullmatch(
                r",?\s*(?:the\s+)?", self.article.text[mention.end:candidates[1].start]):
            mention = candidates[1]
        fact.date = mention
        if any(w in s.text.lower() for w in P.ANNOUNCEMENT_WORDS) and not mention.relative:
            fact.fields["announcement"] = True
            fact.notes.append("The date is that of the announcement; the text gives no separate decision date.")
        if mention.relative:
            value = resolve(mention, self.published)
            if value:
                fact.fields["date_derived"] = value
                fact.notes.append(f"“{mention.text}” is relative; counted from the publication date "
                                  f"{self.published} it points to {value}, an inference.")
            elif dict(mention.groups).get("unit", "").lower() == "week":
                fact.notes.append(f"“{mention.text}” names no calendar date (a week is no day, month or year); "
                                  "the date is left out.")
            elif self.published:
                fact.notes.append(f"“{mention.text}” is relative and the publication date {self.published} is "
                                  "not precise enough to resolve it; the date is left out.")
            else:
                fact.notes.append(f"“{mention.text}” is relative and no publication date resolves it; the "
                                  "date is left out.")

    def _sponsor(self, s: Sentence, start: int, end: int) -> Name | None:
        """A company the sentence makes the holder: the subject of "has received/submitted", or the owner in
        "Company’s Product"."""
        for company in self.names_in(s.start, s.end, "company"):
            after = s.text[company.end - s.start:company.end - s.start + 40]
            if re.match(r"(’s|'s|’|')\s", after) and self.names_in(company.end, company.end + 40, "product"):
                return company
            if re.match(r"\s+(has|have|had)\s+(received|submitted|filed|been granted|obtained|won)\b", after):
                return company
            before = s.lower_before(company.start, 12)
            if re.search(r"\bapproved\s+$", before):
                return company
        return None

    def _reliance(self, s: Sentence, fact: Fact) -> dict | None:
        lowered = s.text.lower()
        phrase = next((r for r in P.RELIANCE if r in lowered), None)
        if phrase is None:
            return None
        at = s.start + lowered.index(phrase)
        later = [n for n in self.all_names if n.start >= at and n.end <= s.end and n.kind in ("authority",
                                                                                             "jurisdiction")]
        other = next((n for n in later if fact.authority is None or n.key != fact.authority.key), None)
        if other is None:
            return None
        pathway = _pathway(s.text)
        relation = f"reliance: {self.article.text[at:other.end]}" + (f" (pathway: {pathway})" if pathway else "")
        return {"authority": other if other.kind == "authority" else None,
                "jurisdiction": other if other.kind == "jurisdiction" else None, "relation": relation}

    # GMP inspections and licences; PIC/S membership.
    def gmp_and_pics(self, s: Sentence, triggers: list) -> None:
        lowered = s.text.lower()
        kinds = {t[0] for t in triggers}
        if "gmp_inspection" in kinds and any(w in lowered for w in P.GMP_CONTEXT):
            authorities = self.names_in(s.start, s.end, "authority")
            if authorities:
                fact = Fact("gmp_inspection", (s.start, s.end), authority=authorities[0], from_headline=s.headline)
                fact.jurisdiction = self._jurisdiction(fact.authority, self.names_in(s.start, s.end, "jurisdiction"))
                companies = self.names_in(s.start, s.end, "company")
                fact.company = companies[0] if companies else self.subject_company
                if not companies and fact.company is not None:
                    fact.notes.append(SUBJECT_COMPANY)
                products = self.names_in(s.start, s.end, "product")
                fact.product = products[0] if products else self.subject_product
                if not products and fact.product is not None:
                    fact.notes.append(SUBJECT_PRODUCT)
                trigger = max((t for t in triggers if t[0] == "gmp_inspection"), key=lambda t: t[2] - t[1])
                fact.fields["event"] = trigger[3]
                fact.fields["outcome"] = _outcome(lowered)
                site = _SITE.search(s.text)
                fact.fields["site"] = site.group(1).strip(" ,") if site else None
                self._date(fact, s, s.start, s.end)
                fact.score = 2 + (fact.date is not None) + bool(companies)
                self.facts.append(fact)
        if "pics_membership" in kinds and any(n in lowered for n in P.PICS_NAMES):
            named = self.names_in(s.start, s.end, "authority")
            places = [] if named else self.names_in(s.start, s.end, "jurisdiction")
            for who in named or places:
                fact = Fact("pics_membership", (s.start, s.end), from_headline=s.headline, score=1)
                if who.kind == "authority":
                    fact.authority = who
                    fact.jurisdiction = self._jurisdiction(who, [])
                else:
                    fact.jurisdiction = who
                self._date(fact, s, s.start, s.end)
                fact.score += fact.date is not None
                self.facts.append(fact)

    def studies(self, s: Sentence) -> None:
        for m in _STUDY.finditer(s.text):
            name = m.group(1)
            if name.lower() in P.NOT_STUDY_NAMES or self.graph.resolve(name, ("authority", "company", "jurisdiction",
                                                                               "product", "organization")):
                continue
            start = s.start + m.start(1)
            if any(n.start <= start < n.end and n.kind != "study" for n in self.all_names):
                continue
            products = self.names_in(s.start, s.end, "product")
            fact = Fact("clinical_study", (s.start, s.end), from_headline=s.headline, score=1)
            fact.product = products[0] if products else self.subject_product
            fact.fields["study"] = name
            words = s.text[max(0, m.start(1) - 60):m.start(1)].lower() + " " + m.group().lower()
            design = [d for d in P.STUDY_DESIGN if re.search(rf"\b{re.escape(d)}\b", words)]
            fact.fields["design"] = ", ".join(design) or None
            known = self.graph.resolve(name, ("study",))
            fact.fields["study_iri"] = known.iri if known else None
            self.facts.append(fact)

    def people(self, s: Sentence) -> None:
        lowered = s.text.lower()
        if not any(re.search(rf"\b{re.escape(w)}\b", lowered) for w in P.SPEECH):
            return
        organisations = [(n.start - s.start, n.end - s.start) for n in self.all_names
                         if s.start <= n.start < s.end and n.kind != "person"]
        for m in PERSON.finditer(s.text):
            words = m.group(1).split()
            while words and (words[0].lower().rstrip(".") in {h.rstrip(".") for h in P.HONORIFICS}
                             or is_role_word(words[0]) or words[0].isupper()):
                words = words[1:]
            if len(words) < 2 or len(words) > 3:
                continue
            name = " ".join(words)
            start = m.start(1) + m.group(1).rindex(name)
            end = start + len(name)
            if any(start < e and b < end for b, e in organisations):
                continue
            if any(w.isupper() and len(w) > 1 for w in words) or any(ends_organisation(w) for w in words):
                continue
            if any(w.lower().strip("’'") in P.ROLE_WORDS or w.lower() in P.SPEECH for w in words):
                continue
            role, organisation = find_role(s.text, start, end)
            if role is None:
                continue
            fact = Fact("person_role", (s.start, s.end), from_headline=s.headline, score=1)
            known = self.graph.resolve(name, ("person",))
            fact.fields.update(person=name, role=role, organisation=organisation,
                               person_iri=known.iri if known else None,
                               organisation_name=self._organisation(organisation))
            self.facts.append(fact)

    def _organisation(self, written: str | None) -> Name | None:
        if not written:
            return None
        return next((n for n in self.all_names if n.kind in ("company", "authority", "organization")
                     and normalise(n.text) == normalise(written)), None)

    def claims(self, s: Sentence) -> None:
        lowered = s.text.lower()
        if s.headline or not any(re.search(rf"(?<![\w-]){re.escape(c)}\b", lowered) for c in P.CLAIM_WORDS):
            return
        about = [n for n in self.all_names if s.start <= n.start < s.end and n.kind in ("product", "company")]
        if not about and self.subject_product is not None:
            about = [self.subject_product]
        fact = Fact("claim", (s.start, s.end), score=1)
        fact.fields["about"] = list(dict.fromkeys(n.key for n in about))
        self.facts.append(fact)

    def aliases(self) -> None:
        """One alias fact per resource the article names in more than one way (products beyond a brand and an
        INN, companies), with the sentence that shows two of the names together where there is one."""
        for key, mentions in self.by_key.items():
            kind = mentions[0].kind
            if kind not in ("product", "company"):
                continue
            written = list(dict.fromkeys(m.text for m in mentions))
            distinct = list(dict.fromkeys(normalise(w) for w in written))
            if len(distinct) < 2:
                continue
            if kind == "product" and len(distinct) < 3 and all(self._brand_or_inn(w, mentions[0]) for w in written):
                continue
            names = []
            for w in written:
                if normalise(w) not in [normalise(x) for x in names]:
                    names.append(w)
            together = next((s for s in self.sentences if sum(s.start <= m.start < s.end for m in mentions) >= 2),
                            None)
            first = together or next(s for s in self.sentences if s.start <= mentions[0].start < s.end)
            fact = Fact("alias", (first.start, first.end), score=1)
            fact.fields.update(entity_type=kind, names=names, key=key)
            if kind == "product":
                fact.product = mentions[0]
            else:
                fact.company = mentions[0]
            self.facts.append(fact)

    def _brand_or_inn(self, written: str, mention: Name) -> bool:
        """Whether a product's name is its INN or a brand (one capitalised word, or a name the graph has): a
        brand and an INN are the product's own fields, not aliases."""
        text = written.strip()
        return bool(INN.fullmatch(text)) or (len(text.split()) == 1 and text[:1].isupper()) or (
            mention.resource is not None and self.graph.resolve(text, ("product",)) is not None)

    def merged(self) -> list[Fact]:
        """One fact per event: facts of one kind on the same product and the same authority (or an authority
        and its jurisdiction, or the same jurisdiction) are one, keeping every value either states."""
        out: list[Fact] = []
        for fact in self.facts:
            same = next((f for f in out if _same_event(f, fact, self.graph)), None)
            if same is None:
                out.append(fact)
            else:
                _absorb(same, fact)
        for fact in out:
            # A note that the evidence sentence does not name the product holds only if it still does not.
            for note, name in ((SUBJECT_PRODUCT, fact.product), (SUBJECT_COMPANY, fact.company)):
                if note in fact.notes and name is not None and any(
                        m.key == name.key and fact.evidence[0] <= m.start < fact.evidence[1] for m in self.all_names):
                    fact.notes.remove(note)
        self._prior_dates(out)
        return out

    def _prior_dates(self, facts: list[Fact]) -> None:
        """A reliance's earlier decision takes the date the article gives that decision elsewhere."""
        for fact in facts:
            reliance = fact.fields.get("reliance")
            if not reliance:
                continue
            place = reliance["authority"] or reliance["jurisdiction"]
            earlier = next((f for f in facts if f is not fact and f.kind == "approval" and f.product is not None
                            and fact.product is not None and f.product.key == fact.product.key
                            and place is not None and place.key in {x.key for x in (f.authority, f.jurisdiction)
                                                                      if x is not None}), None)
            if earlier is not None and earlier.date_value:
                reliance["date"] = earlier.date_value


def _negated(before: str, negations: set[str]) -> bool:
    """Whether one of the last `NEGATION_WINDOW` words before a trigger undoes it; "May" and "Will" written with
    a capital are a month and a name, not modals."""
    words = re.findall(r"[\w’']+", before)[-P.NEGATION_WINDOW:]
    return any(w.lower() in negations and not (w.lower() in P.MODAL_ONLY_IN_LOWER_CASE and w[:1].isupper())
               for w in words)


def _boilerplate(line: str) -> bool:
    """Whether a line is navigation, an advert or a sponsor notice: it starts with a boilerplate phrase, or is
    short and contains one."""
    lowered = line.strip().lower()
    if lowered.startswith(P.BOILERPLATE):
        return True
    return len(lowered.split()) <= P.BOILERPLATE_MAX_WORDS and any(b in lowered for b in P.BOILERPLATE)


def _most_named(names: list[Name], kind: str) -> Name | None:
    counts = Counter(n.key for n in names if n.kind == kind)
    if not counts:
        return None
    top = max(counts.values())
    key = next(n.key for n in names if n.kind == kind and counts[n.key] == top)
    return next(n for n in names if n.key == key)


def _status(words: str) -> str:
    lowered = words.lower()
    if lowered.startswith(("accept", "validat")):
        return "accepted"
    if lowered.startswith(("submit", "file", "filing", "submission")):
        return "submitted"
    if "recommend" in lowered or "opinion" in lowered:
        return "positive recommendation (not a marketing authorisation)"
    return "under review"


def _outcome(lowered: str) -> str | None:
    if re.search(r"\b(non-compliant|failed|suspended|revoked|warning letter)\b", lowered):
        return "non-compliant"
    if re.search(r"\b(secure|secured|granted|received|obtained|passed|recognition|awarded|issued)\b", lowered):
        return "compliant"
    return None


_PATHWAY_PHRASE = re.compile(r"(?:under|via|through|following|after|in line with)\s+(?:the|a|an|its)?\s*([^,.;]{0,70}?"
                             r"(?:mechanism|pathway|route|procedure))", re.IGNORECASE)


# A manufacturing site as a sentence on an inspection names it: "its site in Leiden", "the facility at ...".
_SITE = re.compile(r"\b(?:site|facility|plant|factory|premises)\s+(?:located\s+)?(?:in|at)\s+"
                   r"((?:[A-Z][\w.-]*(?:,?\s+|$))+)")


def _pathway(text: str) -> str | None:
    lowered = text.lower()
    for phrase in P.PATHWAYS:
        if phrase in ("mechanism", "pathway"):
            m = _PATHWAY_PHRASE.search(text)
            if m:
                return m.group(1).strip()
            continue
        if re.search(rf"\b{re.escape(phrase)}\b", lowered):
            return phrase
    return None


_INDICATION = re.compile(r"\b(?:for the treatment of|to treat|indicated for|for use in|for)\s+"
                         r"((?:adults?|adult patients|patients|children|paediatric|pediatric|relapsed|refractory|"
                         r"repair)[^.;]*)")


def _indication(text: str) -> str | None:
    m = _INDICATION.search(text)
    return m.group(1).strip().rstrip(",") if m else None


def _why(before: str) -> str:
    word = next((w for w in P.NOT_DECISION_DATES if w in before), "")
    return f"it follows “{word}”"


def _same_event(a: Fact, b: Fact, graph: Names) -> bool:
    if a.kind != b.kind:
        return False
    if a.kind == "clinical_study":
        return normalise(a.fields["study"]) == normalise(b.fields["study"])
    if a.kind == "person_role":
        return normalise(a.fields["person"]) == normalise(b.fields["person"])
    if a.kind == "alias":
        return a.fields["key"] == b.fields["key"]
    if a.kind == "claim":
        return a.evidence == b.evidence
    if a.kind in DECISIONS or a.kind == "gmp_inspection":
        if (a.product is None) != (b.product is None) or (a.product and a.product.key != b.product.key):
            return False
        if a.fields.get("application") == "renewal" or b.fields.get("application") == "renewal":
            if a.fields.get("application") != b.fields.get("application"):
                return False
        if a.date_value and b.date_value and a.date_value != b.date_value:
            return False
    if a.kind == "gmp_inspection" and a.company and b.company and a.company.key != b.company.key:
        return False
    return _same_place(a, b)


def _same_place(a: Fact, b: Fact) -> bool:
    if a.authority is not None and b.authority is not None:
        return a.authority.key == b.authority.key
    ja = a.jurisdiction.key if a.jurisdiction else _own(a.authority)
    jb = b.jurisdiction.key if b.jurisdiction else _own(b.authority)
    return ja is not None and ja == jb


def _own(authority: Name | None) -> str | None:
    return authority.resource.jurisdiction if authority is not None and authority.resource is not None else None


def _absorb(kept: Fact, other: Fact) -> None:
    """Fold `other` into `kept`: values `kept` lacks, and the better evidence (a body sentence that gave more)."""
    better = (other.score, not other.from_headline) > (kept.score, not kept.from_headline)
    for name in ("product", "authority", "jurisdiction", "sponsor", "company", "derived_authority"):
        if getattr(kept, name) is None:
            setattr(kept, name, getattr(other, name))
    if kept.date is None or (kept.date.relative and other.date is not None and not other.date.relative):
        if other.date is not None:
            kept.date = other.date
    for k, v in other.fields.items():
        if kept.fields.get(k) in (None, "", []):
            kept.fields[k] = v
    if kept.authority is not None and kept.derived_authority is not None:
        kept.derived_authority = None
    for note in other.notes:
        if note not in kept.notes:
            kept.notes.append(note)
    if better:
        kept.evidence, kept.score, kept.from_headline = other.evidence, other.score, other.from_headline
