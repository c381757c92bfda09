"""The draft facts file of an article: the project's own facts format (data/README.md), in canonical form, for a
person to review before it is promoted into `data/sources/`.

Resources the graph already has are linked by their id; a resource that resolved to nothing is proposed as a
fact of its own, its `id` line marked `# new`. A value worked out rather than stated (an authority derived from
a jurisdiction, a date counted from the publication date) is marked `# derived` and explained in `note`. Each
evidence snippet is a verbatim substring of the article; its end-of-line comment gives its character offsets
in the article's text (`# chars START-END`), the position the facts format has no field for.
"""

import io
import re
from urllib.parse import urlparse

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq

from ..canonical import FIELD_ORDER
from ..facts import MAX_EVIDENCE_CHARS
from .dates import parse_published
from .extract import DECISIONS, Extraction, Fact
from .linking import Names
from .mentions import Name

ID_BASE = "https://w3id.org/ctkg/id/"
SEGMENT = {"product": "product", "authority": "authority", "company": "company", "jurisdiction": "jurisdiction",
           "organization": "organization", "study": "study", "person": "person", "pathway": "pathway"}
SECTION = {"product": "products", "authority": "authorities", "company": "companies", "jurisdiction": "jurisdictions",
           "organization": "organizations", "study": "studies", "person": "people"}
STATUS = {"approval": "approved", "under_review": "under-review", "rejection": "rejected"}
APPLICATION_TYPES = {"BLA", "NDA", "MAA"}  # the types the facts format knows; others go to the note


def slug(text: str) -> str:
    """An id from a name: lower-case letters and digits, single hyphens.

    >>> slug("IASO Biotherapeutics’ “1+” Mechanism")
    'iaso-biotherapeutics-1-mechanism'
    """
    return re.sub(r"-+", "-", re.sub(r"[^a-z0-9]+", "-", text.lower())).strip("-") or "x"


class _Draft:
    def __init__(self, x: Extraction, graph: Names, source_id: str | None, url: str | None, published: str | None):
        self.x = x
        self.graph = graph
        self.sections: dict[str, list[CommentedMap]] = {}
        self.ids: dict[str, str] = {}  # resource key -> id in this draft (graph ids kept)
        self.used: set[tuple[str, str]] = set()
        self.source = self._source(source_id, url, published)

    # Identifiers.
    def id_of(self, name: Name) -> str:
        """The id a name links with: the graph's, or a new resource's (proposed once, as a fact of its own)."""
        if name.key in self.ids:
            return self.ids[name.key]
        if name.resource is not None:
            ident = name.resource.iri.rsplit("/", 1)[-1]
            self.ids[name.key] = ident
            return ident
        ident = self._unique(SEGMENT[name.kind], slug(self.x.label(name.key)))
        self.ids[name.key] = ident
        self._new_resource(name, ident)
        return ident

    def ref(self, name: Name) -> str:
        return f"{SEGMENT[name.kind]}/{self.id_of(name)}"

    def _unique(self, segment: str, ident: str) -> str:
        base, n = ident, 1
        # A new resource never takes the id of one the graph has.
        while (segment, ident) in self.used or f"{ID_BASE}{segment}/{ident}" in self.graph.names_of:
            n += 1
            ident = f"{base}-{n}"
        self.used.add((segment, ident))
        return ident

    @staticmethod
    def _new_fact(ident: str) -> CommentedMap:
        """A fact about a resource the graph does not have: its id, marked `# new` for the reviewer."""
        fact = CommentedMap()
        fact["id"] = ident
        fact.yaml_add_eol_comment("new: no resource of the graph has this name", "id")
        return fact

    def _new_resource(self, name: Name, ident: str) -> None:
        mentions = self.x.names.get(name.key, [name])
        label = self.x.label(name.key)
        fact = self._new_fact(ident)
        if name.kind == "product":
            fact["type"] = "cell-therapy"
        fact["label"] = label
        aliases = [m for m in self.x.written(name.key) if m != label]
        if aliases:
            fact["aliases"] = _flow(aliases)
        first = mentions[0]
        self._evidence(fact, *self._sentence_of(first.start))
        if name.kind == "authority":
            fact["note"] = "The text does not say which jurisdiction this authority belongs to; add it."
        self.add(SECTION[name.kind], fact)

    def _sentence_of(self, position: int) -> tuple[int, int]:
        for f in self.x.facts:
            if f.evidence[0] <= position < f.evidence[1]:
                return f.evidence
        text = self.x.article.text
        start = text.rfind("\n", 0, position) + 1
        end = text.find("\n", position)
        return start, end if end >= 0 else len(text)

    # Building.
    def add(self, section: str, fact: CommentedMap) -> None:
        self.sections.setdefault(section, []).append(fact)

    def _evidence(self, fact: CommentedMap, start: int, end: int) -> None:
        text = self.x.article.text
        snippet = text[start:end].strip()
        start = text.index(snippet, start) if snippet else start
        if len(snippet) > MAX_EVIDENCE_CHARS:
            cut = snippet.rfind(" ", 0, MAX_EVIDENCE_CHARS)
            snippet = snippet[:cut if cut > 0 else MAX_EVIDENCE_CHARS].rstrip()
        fact["evidence"] = snippet
        fact.yaml_add_eol_comment(f"chars {start}-{start + len(snippet)}", "evidence")

    def _source(self, source_id: str | None, url: str | None, published: str | None) -> CommentedMap:
        a = self.x.article
        url = url or a.url
        title = a.title
        stem = a.path.rsplit("/", 1)[-1].rsplit(".", 1)[0]
        source = CommentedMap()
        source["id"] = source_id or slug(stem)
        source["label"] = f"Article: {title}" if title else f"Article read from {stem}"
        if title:
            source["title"] = title
        host = urlparse(url).hostname if url else None
        if host:
            source["publisher"] = host.removeprefix("www.")
        date = published or parse_published(a.published_text)
        if date:
            source["published"] = date
        if url:
            source["url"] = url
        notes = ["Draft by ctkg intake: every fact needs a person's review before this file moves to data/sources/."]
        if host:
            notes.append("The publisher is the host of the address.")
        if a.published_text and not date:
            notes.append(f"The page shows the date “{a.published_text}”, which is not a calendar date.")
        source["note"] = " ".join(notes)
        return source

    def render(self) -> str:
        """The file, laid out as `kg.canonical` lays it out (the tests check it is canonical): `source`, then each
        section in the canonical order after one blank line, each fact's keys in the canonical order."""
        yaml = YAML()
        yaml.width = 10_000  # a long value stays on its line
        yaml.indent(mapping=2, sequence=4, offset=2)
        parts = [f"# Draft facts read by `ctkg intake` from {self.x.article.path}; review before promoting it "
                 "(data/drafts/README.md).\n"]
        blocks = [("source", _ordered(self.source, FIELD_ORDER["source"]))]
        blocks += [(section, CommentedSeq([_ordered(f, FIELD_ORDER[section]) for f in self.sections[section]]))
                   for section in FIELD_ORDER if section in self.sections]
        for i, (section, value) in enumerate(blocks):
            doc = CommentedMap()
            doc[section] = value
            buffer = io.StringIO()
            yaml.dump(doc, buffer)
            parts.append(("\n" if i else "") + buffer.getvalue())
        return "".join(parts)


def render(x: Extraction, graph: Names, source_id: str | None = None, url: str | None = None,
           published: str | None = None) -> str:
    """The draft facts file of an extraction, in canonical form; `graph` gives the ids of linked resources."""
    d = _Draft(x, graph, source_id, url, published)
    applications: dict[int, str] = {}
    # Decisions first, then the events (withdrawals, renewals) of the authorisations they granted.
    events = [f for f in x.facts if f.kind == "withdrawal" or f.fields.get("application") == "renewal"]
    for fact in x.facts:
        if fact.kind in DECISIONS and fact not in events:
            _decision(d, fact, applications)
    for fact in events:
        _event(d, fact, applications)
    for fact in x.facts:
        if fact.fields.get("reliance") and id(fact) in applications:
            _reliance(d, fact, applications)
    for fact in x.facts:
        {"gmp_inspection": _inspection, "pics_membership": _membership, "clinical_study": _study,
         "person_role": _person, "alias": _alias, "claim": _claim}.get(fact.kind, lambda *_: None)(d, fact)
    return d.render()


def _decision(d: _Draft, fact: Fact, applications: dict[int, str]) -> None:
    place = fact.authority or fact.jurisdiction
    ident = d._unique("application", slug(f"{d.id_of(fact.product)}-{d.id_of(place)}-{STATUS[fact.kind]}"))
    applications[id(fact)] = ident
    app = CommentedMap()
    app["id"] = ident
    app["product"] = d.id_of(fact.product)
    notes = list(fact.notes)
    if fact.authority is not None:
        app["regulator"] = d.id_of(fact.authority)
    elif fact.derived_authority:
        app["regulator"] = fact.derived_authority.rsplit("/", 1)[-1]
        app.yaml_add_eol_comment("derived from the jurisdiction: the text does not name the authority", "regulator")
        notes.append(f"The text names only the jurisdiction ({fact.jurisdiction.text}); the regulator is derived "
                     "from the graph, as the one authority that decides there.")
    else:
        notes.append(f"The text names only the jurisdiction ({fact.jurisdiction.text}) and the graph knows no single "
                     "authority there: add the regulator.")
    if fact.sponsor is not None:
        app["applicant"] = d.ref(fact.sponsor)
    app["status"] = STATUS[fact.kind]
    application = fact.fields.get("application")
    if application in APPLICATION_TYPES:
        app["type"] = application
    elif application:
        notes.append(f"Application as written: {application}.")
    if fact.kind != "under_review":
        _dates(app, fact, "decision_date", notes)
    indication = fact.fields.get("indication")
    if indication:
        app["indication"] = indication
    d._evidence(app, *fact.evidence)
    if notes:
        app["note"] = " ".join(notes)
    d.add("applications", app)
    if fact.kind == "under_review" and fact.date_value:
        event = CommentedMap()
        event["id"] = d._unique("event", f"{ident}-submission")
        event["of"] = ident
        event["type"] = "submission"
        if fact.authority is not None:
            event["authority"] = d.id_of(fact.authority)
        event["date"] = fact.date_value
        d._evidence(event, *fact.evidence)
        d.add("events", event)


def _reliance(d: _Draft, fact: Fact, applications: dict[int, str]) -> None:
    """An approval that relied on an earlier one: `relies_on` that application where the draft has it, and
    `supporting_studies` the studies its sentence names."""
    reliance = fact.fields["reliance"]
    place = reliance["authority"] or reliance["jurisdiction"]
    app = next(a for a in d.sections["applications"] if a["id"] == applications[id(fact)])
    earlier = next((f for f in d.x.facts if f is not fact and f.kind == "approval" and id(f) in applications
                    and f.product is not None and f.product.key == fact.product.key
                    and place.key in {n.key for n in (f.authority, f.jurisdiction) if n is not None}), None)
    if earlier is not None:
        app["relies_on"] = applications[id(earlier)]
    studies = [f for f in d.x.facts if f.kind == "clinical_study" and f.evidence[0] <= fact.evidence[0] < f.evidence[1]
               or f.kind == "clinical_study" and _same_sentence(d, f, reliance)]
    ids = [f.fields["study_iri"].rsplit("/", 1)[-1] if f.fields.get("study_iri") else slug(f.fields["study"])
           for f in studies]
    if ids:
        app["supporting_studies"] = ids[0] if len(ids) == 1 else _flow(ids)
    note = f"Reliance as written: {reliance['relation'].removeprefix('reliance: ')}."
    app["note"] = f"{app['note']} {note}" if "note" in app else note


def _same_sentence(d: _Draft, study: Fact, reliance: dict) -> bool:
    place = reliance["authority"] or reliance["jurisdiction"]
    return study.evidence[0] <= place.start < study.evidence[1]


def _dates(app: CommentedMap, fact: Fact, key: str, notes: list[str]) -> None:
    if fact.date_value:
        if fact.fields.get("announcement"):
            app[key] = fact.date_value
            app["date_basis"] = "announcement"
            app["announcement_date"] = fact.date_value
        else:
            app[key] = fact.date_value
    elif fact.fields.get("date_derived"):
        app[key] = fact.fields["date_derived"]
        app["date_basis"] = "derived"
        app.yaml_add_eol_comment("derived: counted from the publication date, see note", key)


def _event(d: _Draft, fact: Fact, applications: dict[int, str]) -> None:
    """A withdrawal or renewal: an event of the authorisation it ends or renews (proposed when the draft has none)."""
    kind = "withdrawal" if fact.kind == "withdrawal" else "renewal"
    granted = next((a for a in d.sections.get("applications", []) if a["product"] == d.id_of(fact.product)
                    and a.get("status") == "approved"), None)
    if granted is None:
        approval = Fact("approval", fact.evidence, product=fact.product, authority=fact.authority,
                        jurisdiction=fact.jurisdiction, derived_authority=fact.derived_authority,
                        notes=[f"The text states the {kind} of this authorisation, not its date."])
        _decision(d, approval, applications)
        granted = d.sections["applications"][-1]
    event = CommentedMap()
    event["id"] = d._unique("event", f"{granted['id']}-{kind}")
    event["of"] = granted["id"]
    event["type"] = kind
    if fact.authority is not None:
        event["authority"] = d.id_of(fact.authority)
    notes = list(fact.notes)
    if fact.date_value:
        event["date"] = fact.date_value
    d._evidence(event, *fact.evidence)
    if notes:
        event["note"] = " ".join(notes)
    d.add("events", event)


def _inspection(d: _Draft, fact: Fact) -> None:
    item = CommentedMap()
    item["id"] = d._unique("inspection", slug(f"{d.x.label(fact.company.key) if fact.company else 'gmp'}-"
                                             f"{d.x.label(fact.authority.key)}-gmp"))
    item["inspecting_authority"] = d.id_of(fact.authority)
    notes = list(fact.notes)
    if fact.company is not None:
        item["inspected_organization"] = d.ref(fact.company)
    else:
        notes.append("The text names no inspected company: add it.")
    if fact.product is not None:
        item["product"] = d.id_of(fact.product)
    if fact.date_value:
        item["date"] = fact.date_value
    if fact.fields.get("outcome"):
        item["outcome"] = fact.fields["outcome"]
    evidence = d.x.article.text[fact.evidence[0]:fact.evidence[1]]
    item["standard"] = "PIC/S GMP" if "PIC/S" in evidence else "GMP"
    site = fact.fields.get("site")
    notes.append(f"Event as written: {fact.fields.get('event')}. "
                 + (f"Site as written: {site}." if site else "The text gives no site."))
    d._evidence(item, *fact.evidence)
    item["note"] = " ".join(notes)
    d.add("inspections", item)


def _membership(d: _Draft, fact: Fact) -> None:
    who = fact.authority or fact.jurisdiction
    item = CommentedMap()
    item["id"] = d._unique("membership", slug(f"{d.x.label(who.key)}-pics"))
    if fact.authority is not None:
        item["authority"] = d.id_of(fact.authority)
    else:
        item["jurisdiction"] = d.id_of(fact.jurisdiction)
    item["scheme"] = "pics"
    d._evidence(item, *fact.evidence)
    notes = list(fact.notes)
    if fact.date_value:
        notes.append(f"The text dates this “{fact.date.text}”; an accession date only if it says so.")
    if notes:
        item["note"] = " ".join(notes)
    d.add("memberships", item)


def _study(d: _Draft, fact: Fact) -> None:
    if fact.fields.get("study_iri"):
        return
    item = d._new_fact(d._unique("study", slug(fact.fields["study"])))
    item["label"] = fact.fields["study"]
    if fact.fields.get("design"):
        item["role"] = fact.fields["design"]
    if fact.product is not None:
        item["product"] = d.id_of(fact.product)
    d._evidence(item, *fact.evidence)
    if fact.notes:
        item["note"] = " ".join(fact.notes)
    d.add("studies", item)


def _person(d: _Draft, fact: Fact) -> None:
    if fact.fields.get("person_iri"):
        return
    item = d._new_fact(d._unique("person", slug(fact.fields["person"])))
    item["label"] = fact.fields["person"]
    organisation = fact.fields.get("organisation_name")
    if organisation is not None:
        item["affiliation"] = d.ref(organisation)
    if fact.fields.get("role"):
        item["roles"] = _flow([r.strip() for r in re.split(r",\s*|\s+and\s+", fact.fields["role"]) if r.strip()])
    d._evidence(item, *fact.evidence)
    if organisation is None and fact.fields.get("organisation"):
        item["note"] = f"Organisation as written: {fact.fields['organisation']}."
    d.add("people", item)


def _alias(d: _Draft, fact: Fact) -> None:
    name = fact.product or fact.company
    if name is None or name.resource is None:
        return  # a new resource is proposed with all its names already
    known = {n.lower() for n in d.graph.names_of.get(name.key, [])}
    extra = [n for n in fact.fields.get("names", []) if n.lower() not in known]
    if not extra:
        return
    item = CommentedMap()
    item["id"] = d.id_of(name)
    item["aliases"] = _flow(extra)
    d._evidence(item, *fact.evidence)
    item["note"] = "Names the graph does not have yet for this resource, as the article writes them."
    d.add(SECTION[name.kind], item)


def _claim(d: _Draft, fact: Fact) -> None:
    about = [k for k in fact.fields.get("about", [])]
    refs = []
    for key in about:
        mention = d.x.names.get(key, [None])[0]
        if mention is not None:
            refs.append(d.ref(mention))
    item = CommentedMap()
    text = d.x.article.text[fact.evidence[0]:fact.evidence[1]].strip()
    item["id"] = d._unique("claim", slug(" ".join(text.split()[:8])))
    item["text"] = text if len(text) <= MAX_EVIDENCE_CHARS else text[:MAX_EVIDENCE_CHARS].rsplit(" ", 1)[0]
    if refs:
        item["about"] = _flow(refs)
    else:
        item["note"] = "The claim names nothing the draft links to: add what it is about."
    d._evidence(item, *fact.evidence)
    d.add("claims", item)


def _flow(items: list[str]) -> CommentedSeq:
    seq = CommentedSeq(items)
    seq.fa.set_flow_style()
    return seq


def _ordered(fact: CommentedMap, order: tuple[str, ...]) -> CommentedMap:
    """The fact's keys in canonical order, comments kept with their keys."""
    out = CommentedMap()
    for key in sorted(fact, key=lambda k: order.index(k) if k in order else len(order)):
        out[key] = fact[key]
    comments = fact.ca.items
    for key, value in comments.items():
        if key in out:
            out.ca.items[key] = value
    return out

