"""/ : the SPARQL editor, and what it loads besides its assets: the competency questions as named examples
(`/examples`, `/examples/{name}`, a bindable one with its values bound) and the project's prefixes
(`/prefixes.json`, the editor's prefix completion).

The page is server-rendered HTML with no inline script or style (the CSP of `api.headers` allows the app's own
origin only); its behaviour is api/static/editor/editor.js, over YASQE (npm `@zazuko/yasqe`, served from
api/static/vendor/). Queries run through the API's own `/sparql`, with every limit it has.
"""

import re
from dataclasses import asdict, dataclass
from functools import cache
from typing import Annotated

import pyoxigraph as ox
from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse

from kg.query import Question, questions, term
from kg.sparql_text import bind_values
from kg.vocab import PREFIXES

from ..errors import InvalidValue, NotFound
from ..models import Problem
from ..pages import templates

router = APIRouter(tags=["editor"])

# Words of a question's file name shown in capitals in its title.
ACRONYMS = {"pics": "PIC/S", "gmp": "GMP"}


@dataclass(frozen=True)
class Parameter:
    """A variable a question lets the analyst bind, and how the editor's form asks for it."""
    name: str
    label: str
    input: str  # "iri", "date" or "boolean"
    choices: str | None = None  # the REST list whose items the form offers (`/products`)
    placeholder: str = ""


# The variables the questions' headers name as bindable ("bind ?product", "unless ?antigen is bound").
PARAMETERS = {parameter.name: parameter for parameter in (
    Parameter("product", "Product", "iri", "/products", "id:product/..."),
    Parameter("authority", "Authority", "iri", "/authorities", "id:authority/..."),
    Parameter("source", "Source", "iri", "/sources", "id:source/..."),
    Parameter("antigen", "Target antigen", "iri", None, "id:antigen/bcma"),
    Parameter("asOf", "As of (YYYY-MM-DD)", "date", None, "today"),
    Parameter("includeUnverified", "Include unverified facts", "boolean"),
)}
MENTIONED = re.compile(r"\?([A-Za-z_][A-Za-z0-9_]*)")


@dataclass(frozen=True)
class Example:
    name: str
    title: str
    question: str
    parameters: list[Parameter]

    @classmethod
    def of(cls, question: Question) -> "Example":
        mentioned = dict.fromkeys(MENTIONED.findall(question.title))
        return cls(question.name, _title(question.name), question.title,
                   [PARAMETERS[name] for name in mentioned if name in PARAMETERS])


def _title(name: str) -> str:
    """A question's file name as a title: `approvals-by-pics-participants` is "Approvals by PIC/S participants".

    >>> _title("gmp-inspections")
    'GMP inspections'
    """
    words = [ACRONYMS.get(word, word) for word in name.split("-")]
    return " ".join([words[0][:1].upper() + words[0][1:], *words[1:]])


@cache
def examples() -> dict[str, Example]:
    """The competency questions (kg/queries), as the editor offers them, by name."""
    return {name: Example.of(question) for name, question in questions().items()}


# What the editor shows when its URL names no query.
FIRST_QUERY = """SELECT ?product ?label WHERE {
  ?product a ctkg:MedicinalProduct ; rdfs:label ?label .
}
ORDER BY ?label
LIMIT 100
"""


@router.get("/", response_class=HTMLResponse, include_in_schema=False)
async def editor(request: Request, query: Annotated[str | None, Query(max_length=100_000)] = None) -> HTMLResponse:
    """The editor, showing `query` (a link to a query reproduces it; the page's script then runs it)."""
    page = templates().get_template("editor.html").render(
        examples=examples().values(), query=query if query is not None else declared(FIRST_QUERY),
        static=lambda path: request.url_for("static", path=path).path)
    return HTMLResponse(page)


@router.get("/examples", summary="The competency questions, as the editor's named examples",
            description="Each question's name, title, question and the variables it lets you bind.")
async def example_list() -> JSONResponse:
    return JSONResponse({"data": [asdict(example) for example in examples().values()], "count": len(examples())})


@router.get("/examples/{name}", summary="One competency question's SPARQL, its values bound",
            description="Query parameters named after the question's parameters bind them: an IRI "
                        "(`<https://...>`, `id:product/x`) or a literal (`2018-12-31`, `true`). The values are "
                        "written into the text as a `VALUES` block of escaped terms, never as text.",
            responses={404: {"model": Problem, "description": "No such question"},
                       422: {"model": Problem, "description": "A value written as an IRI is not a valid IRI"}})
async def example(name: str, request: Request) -> JSONResponse:
    found = examples().get(name)
    if found is None:
        raise NotFound(f"No competency question is named {name!r}; GET /examples lists them.")
    allowed = {parameter.name for parameter in found.parameters}
    bindings = {key: _bound(key, value) for key, value in request.query_params.items()
                if key in allowed and value.strip()}
    query = bind_values(questions()[name].text, bindings) if bindings else questions()[name].text
    return JSONResponse({**asdict(found), "query": declared(query)})


def _bound(parameter: str, value: str) -> ox.NamedNode | ox.Literal:
    """The term a parameter's value stands for; InvalidValue when it is written as an IRI but is not one."""
    try:
        return term(value)
    except ValueError as exc:
        raise InvalidValue(
            f"The value of `{parameter}`, {value[:200]!r}, is written as an IRI but is not a valid one ({exc}). "
            "Write it absolute (`<https://...>`) or as a project prefix and id "
            "(`id:product/equecabtagene-autoleucel`), with no spaces, quotes, angle brackets or braces inside "
            "(percent-encode them: a space is %20).") from None


def declared(query: str) -> str:
    r"""The query with a PREFIX line for each of the project's prefixes it uses, after its header comment: the
    endpoint predeclares them, but the editor's syntax check and other endpoints do not.

    >>> declared("# Labels.\nSELECT * WHERE { ?s rdfs:label ?o }")
    '# Labels.\nPREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>\nSELECT * WHERE { ?s rdfs:label ?o }'
    """
    used = [prefix for prefix in PREFIXES if re.search(rf"(?<![\w.-]){re.escape(prefix)}:", query)]
    lines = query.splitlines(keepends=True)
    header = 0
    while header < len(lines) and lines[header].startswith("#"):
        header += 1
    return "".join([*lines[:header], *(f"PREFIX {prefix}: <{PREFIXES[prefix]}>\n" for prefix in used),
                    *lines[header:]])


@router.get("/prefixes.json", include_in_schema=False)
async def prefixes() -> JSONResponse:
    """The project's prefix table in prefix.cc's JSON shape, which YASQE's prefix completion reads."""
    return JSONResponse(PREFIXES)
