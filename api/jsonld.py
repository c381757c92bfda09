"""REST answers as JSON, or as JSON-LD: the same document with an `@context` that maps its fields to the
graph's vocabulary, so that a JSON-LD processor reads the same triples the graph holds.

The context is inline (nothing to fetch). Fields that are views, not statements (counts, ids, kinds),
map to null and are left out of the RDF reading.
"""

import json
from typing import Any

from fastapi import Request
from fastapi.responses import Response
from pydantic import BaseModel

from kg.facts import APPLICATION_TYPE, DATE_BASIS, OUTCOME, STATUS
from kg.vocab import PREFIXES

from .errors import NotAcceptable
from .formats import negotiate, offered


def _vocab(predicate: str) -> dict:
    """A field whose value is one of the facts files' words (approved, BLA) standing for an individual."""
    return {"@id": predicate, "@type": "@vocab"}


CONTEXT: dict[str, Any] = {
    "@version": 1.1,
    **{prefix: ns for prefix, ns in PREFIXES.items() if prefix != "id"},
    "hydra": "http://www.w3.org/ns/hydra/core#",
    "iri": "@id",
    "id": None,
    "kind": None,
    "data": "hydra:member",
    "count": "hydra:totalItems",
    "label": "rdfs:label",
    "aliases": "skos:altLabel",
    "description": "dcterms:description",
    "evidence": "ctkg:evidence",
    "sources": "prov:wasDerivedFrom",
    "types": "rdf:type",
    "website": {"@id": "schema:url", "@type": "@id"},
    # products
    "inn": "ctkg:inn",
    "brand_names": "ctkg:brandName",
    "sponsors": "ctkg:sponsor",
    "targets": "ctkg:targetAntigen",
    "applications": {"@reverse": "ctkg:product"},
    "application_count": None,
    "cited_by": "prov:wasDerivedFrom",
    "quotes": None,
    # applications
    "product": "ctkg:product",
    "regulator": "ctkg:regulator",
    "jurisdiction": "ctkg:jurisdiction",
    "status": _vocab("ctkg:status"),
    "decision_date": "ctkg:decisionDate",
    "announcement_date": "ctkg:announcementDate",
    "date_basis": _vocab("ctkg:dateBasis"),
    "application_type": _vocab("ctkg:applicationType"),
    # authorities
    "pics_member": None,
    "pics_memberships": {"@reverse": "ctkg:participatingAuthority"},
    "scheme": "ctkg:scheme",
    "accession_date": "ctkg:accessionDate",
    "decisions": {"@reverse": "ctkg:regulator"},
    # companies
    "product_count": None,
    "sponsored_products": {"@reverse": "ctkg:sponsor"},
    "applications_filed": {"@reverse": "ctkg:applicant"},
    "inspections": {"@reverse": "ctkg:inspectedOrganization"},
    "people": {"@reverse": "ctkg:affiliation"},
    # inspections
    "inspecting_authority": "ctkg:inspectingAuthority",
    "inspected_organization": "ctkg:inspectedOrganization",
    "inspected_products": "ctkg:inspectedProduct",
    "date": "ctkg:inspectionDate",
    "outcome": _vocab("ctkg:outcome"),
    "standards": "ctkg:gmpStandard",
    # sources
    "title": "dcterms:title",
    "publisher": "dcterms:publisher",
    "issued": "dcterms:issued",
    "url": {"@id": "schema:url", "@type": "@id"},
    "triples": None,
    "entities": {"@reverse": "prov:wasDerivedFrom"},
    "classes": None,
    "matched": None,
    # The facts files' words, as terms, so that "status": "approved" reads as ctkg:Approved.
    **{word: f"ctkg:{str(iri).rsplit('#', 1)[1]}"
       for table in (STATUS, APPLICATION_TYPE, OUTCOME, DATE_BASIS) for word, iri in table.items()},
}


def document(request: Request, model: BaseModel) -> Response:
    """The model as JSON, or as JSON-LD when the client prefers `application/ld+json` (or `?format=jsonld`)."""
    fmt = negotiate(request.headers.get("accept"), ["record"], request.query_params.getlist("format"))
    if fmt is None:
        raise NotAcceptable(f"This resource is available as {offered('record')}.")
    body = model.model_dump(mode="json")
    if fmt.name == "jsonld":
        body = {"@context": CONTEXT, **body}
    return Response(json.dumps(body, ensure_ascii=False).encode("utf-8"), media_type=fmt.media_type,
                    headers={"Vary": "Accept"})
