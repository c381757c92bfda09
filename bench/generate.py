"""Synthetic facts files for benchmarks and scale tests, in the project's own YAML format (`data/README.md`).

One reference file holds the jurisdictions, authorities, the PIC/S scheme and its memberships; every
other file is a synthetic "article" with companies, products, studies, pathways, applications (dates of
all three precisions, every status, reliance links), inspections, claims and people. Articles link to
facts stated in other articles (an application for a product declared elsewhere, a reliance on another
file's approval, an alias added to another file's product), so the build validates the union, not one
file at a time. Every id is a pure function of (file, index), which is what lets a file link to another
without a global registry, and the output depends on the seed and the size only.

    python bench/generate.py --triples 100000 --out var/bench/data-100k
"""

import argparse
import json
import random
import shutil
from dataclasses import dataclass
from pathlib import Path

# Measured on the output: triples per article file, and triples of the reference file per authority.
# Used only to choose how many files make the requested size; bench/run.py reports the real count.
TRIPLES_PER_ARTICLE = 593
TRIPLES_PER_AUTHORITY = 16
ONTOLOGY_TRIPLES = 514

PRODUCTS_PER_ARTICLE = 5
APPLICATIONS_PER_PRODUCT = 7
STATUS_CYCLE = ["approved"] * 7 + ["under-review", "rejected", "withdrawn"]
ANTIGENS = ["BCMA", "CD19", "CD20", "CD22", "GPRC5D", "CD7", "CLDN18.2", "GPC3", "HER2", "MSLN", "NY-ESO-1",
            "PSMA", "CD30", "CD70", "ROR1", "EGFR", "DLL3", "B7-H3", "FAP", "IL13RA2"]
INDICATIONS = ["relapsed or refractory multiple myeloma", "relapsed or refractory large B-cell lymphoma",
               "acute lymphoblastic leukaemia", "follicular lymphoma", "mantle cell lymphoma",
               "chronic lymphocytic leukaemia", "solid tumours expressing the target antigen"]
APPLICATION_TYPES = ["BLA", "NDA", "MAA", "indication-extension"]
STANDARDS = ["PIC/S GMP", "EU GMP", "WHO GMP", "21 CFR 211"]
WORDS = ("regulator approved therapy marketing authorisation cell product patients review data clinical "
         "study submitted decision agency manufacturing inspection site quality reliance pathway").split()


@dataclass(frozen=True)
class Plan:
    """How big the synthetic world is; everything else follows from the seed."""

    articles: int
    authorities: int
    seed: int

    @classmethod
    def for_triples(cls, triples: int, seed: int = 1) -> "Plan":
        authorities = max(8, min(400, triples // 5_000))
        rest = triples - ONTOLOGY_TRIPLES - authorities * TRIPLES_PER_AUTHORITY
        return cls(articles=max(2, round(rest / TRIPLES_PER_ARTICLE)), authorities=authorities, seed=seed)


# --- ids: a pure function of (file, index), so any file can link to any other ---


def source_id(f: int) -> str:
    return f"synthetic-article-{f:06d}"


def authority_id(a: int) -> str:
    return f"synthetic-authority-{a:04d}"


def jurisdiction_id(a: int) -> str:
    return f"synthetic-jurisdiction-{a:04d}"


def company_id(f: int, k: int) -> str:
    return f"synthetic-company-{f:06d}-{k}"


def product_id(f: int, k: int) -> str:
    return f"synthetic-product-{f:06d}-{k}"


def application_id(f: int, k: int, j: int) -> str:
    return f"synthetic-application-{f:06d}-{k}-{j}"


def antigen_id(n: int) -> str:
    return f"synthetic-antigen-{n:04d}"


def status_of(k: int, j: int) -> str:
    """The status of application j of product k in any file; the first of each product is approved, so that
    a reliance link can always point at one."""
    return "approved" if j == 0 else STATUS_CYCLE[(k * APPLICATIONS_PER_PRODUCT + j) % len(STATUS_CYCLE)]


# --- YAML emission: every scalar as a JSON string, which YAML reads as the same text ---


def scalar(value) -> str:
    if isinstance(value, list):
        return "[" + ", ".join(json.dumps(v, ensure_ascii=False) for v in value) + "]"
    return json.dumps(value, ensure_ascii=False)


def section(name: str, facts: list[dict]) -> str:
    if not facts:
        return ""
    lines = [f"{name}:"]
    for fact in facts:
        first = True
        for key, value in fact.items():
            lines.append(f"  {'- ' if first else '  '}{key}: {scalar(value)}")
            first = False
    return "\n".join(lines) + "\n\n"


def document(source: dict, sections: dict[str, list[dict]]) -> str:
    head = "# Synthetic facts for benchmarks (bench/generate.py); not real regulatory data.\nsource:\n"
    head += "".join(f"  {k}: {scalar(v)}\n" for k, v in source.items()) + "\n"
    return head + "".join(section(name, facts) for name, facts in sections.items())


# --- content ---


class Writer:
    def __init__(self, plan: Plan):
        self.plan = plan

    def rng(self, *key: int) -> random.Random:
        # One generator per file, seeded from (seed, file): a file's text never depends on another's.
        return random.Random(hash_key(self.plan.seed, *key))

    def date(self, rng: random.Random, precision: str | None = None) -> str:
        year, month, day = rng.randint(2012, 2026), rng.randint(1, 12), rng.randint(1, 28)
        precision = precision or rng.choices(["day", "month", "year"], weights=[6, 3, 1])[0]
        return {"day": f"{year}-{month:02d}-{day:02d}", "month": f"{year}-{month:02d}", "year": f"{year}"}[precision]

    def evidence(self, rng: random.Random, about: str) -> str:
        return f"{' '.join(rng.choices(WORDS, k=rng.randint(4, 12)))} ({about})"

    def reference(self) -> str:
        rng = self.rng(-1)
        n = self.plan.authorities
        jurisdictions = [{"id": jurisdiction_id(a), "label": f"Synthetic Jurisdiction {a}",
                          "evidence": self.evidence(rng, f"jurisdiction {a}")} for a in range(n)]
        authorities = []
        for a in range(n):
            fact = {"id": authority_id(a), "label": f"Synthetic Medicines Authority {a}",
                    "aliases": [f"SMA{a}"], "jurisdiction": jurisdiction_id(a),
                    "website": f"https://authority-{a}.example.org/",
                    "evidence": self.evidence(rng, f"authority {a}")}
            if a % 7 == 0:
                fact["note"] = "Synthetic: the source names the jurisdiction, not the authority."
            authorities.append(fact)
        antigens = [{"id": antigen_id(i), "label": f"{name} (synthetic {i})", "aliases": [f"synthetic antigen {i}"],
                     "evidence": self.evidence(rng, name)} for i, name in enumerate(self.antigen_names())]
        memberships = []
        for a in range(n):
            if a % 5 < 3:  # three authorities in five take part in PIC/S
                fact = {"id": f"{authority_id(a)}-pics", "authority": authority_id(a), "scheme": "synthetic-pics",
                        "evidence": self.evidence(rng, f"PIC/S participant {a}")}
                if a % 5 < 2:
                    fact["accession_date"] = self.date(rng, ["day", "month", "year"][a % 3])
                memberships.append(fact)
        source = {"id": "synthetic-reference", "label": "Synthetic reference list of authorities",
                  "publisher": "CTKG benchmarks", "published": "2026-01", "url": "https://bench.example.org/reference"}
        return document(source, {
            "jurisdictions": jurisdictions, "authorities": authorities,
            "organizations": [{"id": "synthetic-pics", "type": "cooperation-scheme",
                               "label": "Synthetic Inspection Co-operation Scheme", "aliases": ["SICS"],
                               "evidence": "a synthetic cooperation scheme"}],
            "antigens": antigens, "memberships": memberships,
        })

    def antigen_names(self) -> list[str]:
        count = max(len(ANTIGENS), self.plan.articles // 10)
        return [ANTIGENS[i % len(ANTIGENS)] + ("" if i < len(ANTIGENS) else f"-{i}") for i in range(count)]

    def other_article(self, rng: random.Random, f: int) -> int:
        if self.plan.articles < 2:
            return f
        other = rng.randrange(self.plan.articles - 1)
        return other if other < f else other + 1

    def article(self, f: int) -> str:
        rng = self.rng(f)
        n_auth, n_antigens = self.plan.authorities, len(self.antigen_names())
        companies = [{"id": company_id(f, k), "label": f"Synthetic Cell Therapeutics {f}-{k}",
                      "aliases": [f"SCT {f}-{k}"], "website": f"https://company-{f}-{k}.example.com/",
                      "evidence": self.evidence(rng, f"company {f}-{k}")} for k in range(2)]
        products, studies, applications, inspections, claims = [], [], [], [], []
        for k in range(PRODUCTS_PER_ARTICLE):
            pid = product_id(f, k)
            products.append({
                "id": pid, "type": rng.choice(["car-t", "car-t", "cell-therapy", "medicinal-product"]),
                "label": f"synthetic product {f}-{k}", "aliases": [f"Synthbrand {f}-{k}"],
                "inn": f"synthetic-leucel {f}-{k}", "brand_names": [f"Synthbrand {f}-{k}"],
                "sponsor": company_id(f, k % 2), "target": antigen_id(rng.randrange(n_antigens)),
                "evidence": self.evidence(rng, f"product {f}-{k}"),
            })
            studies.append({"id": f"synthetic-study-{f:06d}-{k}", "label": f"SYNTH-{f}-{k}",
                            "role": "registrational", "product": pid,
                            "evidence": self.evidence(rng, f"study {f}-{k}")})
        pathway_authority = rng.randrange(n_auth)
        pathways = [{"id": f"synthetic-pathway-{f:06d}", "label": f"Synthetic reliance route {f}",
                     "authority": authority_id(pathway_authority), "jurisdiction": jurisdiction_id(pathway_authority),
                     "evidence": self.evidence(rng, f"pathway {f}")}]
        for k in range(PRODUCTS_PER_ARTICLE):
            # One product in five has its applications in another file: references that span files.
            pf, pk = (self.other_article(rng, f), k) if k == 4 else (f, k)
            for j in range(APPLICATIONS_PER_PRODUCT):
                applications.append(self.application(rng, f, k, j, pf, pk))
            inspections.append({
                "id": f"synthetic-inspection-{f:06d}-{k}", "inspecting_authority": authority_id(rng.randrange(n_auth)),
                "inspected_organization": f"company/{company_id(f, k % 2)}", "product": product_id(f, k),
                "date": self.date(rng), "outcome": rng.choice(["compliant", "compliant", "non-compliant"]),
                "standard": rng.choice(STANDARDS), "evidence": self.evidence(rng, f"inspection {f}-{k}"),
            })
        for c in range(2):
            claims.append({
                "id": f"synthetic-claim-{f:06d}-{c}", "text": f"Synthetic claim {c} of article {f}.",
                "about": [f"product/{product_id(f, c)}", f"application/{application_id(f, c, 0)}"],
                "evidence": self.evidence(rng, f"claim {f}-{c}"),
            })
        # An alias for another file's product: one node stated by two files.
        other = self.other_article(rng, f)
        products.append({"id": product_id(other, 0), "aliases": [f"synthetic product {other}-0 as cited in {f}"],
                         "evidence": self.evidence(rng, f"product {other}-0 cited")})
        people = [{"id": f"synthetic-person-{f:06d}", "label": f"Synthetic Person {f}",
                   "affiliation": f"company/{company_id(f, 0)}", "roles": ["chief executive officer"],
                   "evidence": self.evidence(rng, f"person {f}")}]
        source = {"id": source_id(f), "label": f"Synthetic article {f}", "publisher": "CTKG benchmarks",
                  "published": self.date(rng, "day"), "accessed": "2026-11",
                  "url": f"https://bench.example.org/articles/{f}"}
        return document(source, {
            "companies": companies, "people": people, "products": products, "studies": studies,
            "pathways": pathways, "applications": applications, "inspections": inspections, "claims": claims,
        })

    def application(self, rng: random.Random, f: int, k: int, j: int, pf: int, pk: int) -> dict:
        status = status_of(k, j)
        fact = {"id": application_id(f, k, j), "product": product_id(pf, pk),
                "regulator": authority_id(rng.randrange(self.plan.authorities)),
                "applicant": f"company/{company_id(pf, pk % 2)}", "status": status,
                "type": rng.choice(APPLICATION_TYPES), "indication": rng.choice(INDICATIONS)}
        if status != "under-review" and rng.random() < 0.95:
            fact["decision_date"] = self.date(rng)
            fact["date_basis"] = rng.choice(["decision", "decision", "announcement", "derived"])
        if rng.random() < 0.2:
            fact["announcement_date"] = self.date(rng, "day")
        if j == 1 and status == "approved":
            # A reliance decision: it leans on an approved application, often in another file.
            of = self.other_article(rng, f) if rng.random() < 0.5 else f
            fact["relies_on"] = application_id(of, rng.randrange(PRODUCTS_PER_ARTICLE), 0)
            fact["pathway"] = f"synthetic-pathway-{f:06d}"
            fact["supporting_studies"] = f"synthetic-study-{pf:06d}-{pk}"
        if j == 2 and rng.random() < 0.3:
            fact["opinion_by"] = authority_id(rng.randrange(self.plan.authorities))
        fact["evidence"] = [self.evidence(rng, f"application {f}-{k}-{j}")]
        if rng.random() < 0.3:
            fact["confidence"] = rng.choice(["verified", "unverified"])
        return fact


def hash_key(*parts: int) -> int:
    # FNV-1a over the parts: stable across Python versions, unlike hash() of a tuple.
    value = 1469598103934665603
    for part in parts:
        value = ((value ^ (part & 0xFFFFFFFFFFFF)) * 1099511628211) % (1 << 64)
    return value


def generate(out: Path, triples: int, seed: int = 1) -> Plan:
    """Write the facts files for about `triples` triples into `out` (replaced if it exists)."""
    plan = Plan.for_triples(triples, seed)
    if out.exists():
        shutil.rmtree(out)
    (out / "articles").mkdir(parents=True)
    writer = Writer(plan)
    (out / "synthetic-reference.yaml").write_text(writer.reference(), encoding="utf-8")
    for f in range(plan.articles):
        (out / "articles" / f"{source_id(f)}.yaml").write_text(writer.article(f), encoding="utf-8")
    return plan


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--triples", type=int, required=True, help="about how many triples to generate")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--out", type=Path, required=True, help="directory to write (replaced)")
    args = parser.parse_args(argv)
    plan = generate(args.out, args.triples, args.seed)
    print(f"wrote {plan.articles + 1} facts files ({plan.authorities} authorities) into {args.out}")


if __name__ == "__main__":
    main()
