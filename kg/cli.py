"""The `ctkg` command: parse arguments, call the library, format output. Exit codes: 0 ok, 1 does not
conform (or the query found a problem), 2 error."""

import json
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from .errors import CTKGError, FactsError

app = typer.Typer(help="CTKG: build, validate, query, export and serve the cell-therapy regulation graph.",
                  no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False)
err = Console(stderr=True)
out = Console()

StoreOpt = Annotated[Path | None, typer.Option(help="Store directory (default: CTKG_STORE_DIR or var/store).")]


def _settings(**overrides):
    from .settings import Settings

    return Settings(**{k: v for k, v in overrides.items() if v is not None})


def _progress(message: str) -> None:
    err.print(f"[dim]… {message}[/dim]")


def _fail(exc: Exception, code: int = 2) -> None:
    err.print("[bold red]error:[/bold red] ", end="")
    err.print(str(exc), highlight=False, markup=False, soft_wrap=True)
    raise typer.Exit(code)


@app.command()
def build(
    data: Annotated[Path | None, typer.Option(help="Facts directory (default: data).")] = None,
    store: StoreOpt = None,
    full: Annotated[bool, typer.Option("--full", help="Read and check every file and load a fresh store, even "
                                       "when only some files changed since the last build.")] = False,
) -> None:
    """Read ontology/ and data/, validate against shapes/, and publish the graph to the store.

    After a first build, only the facts files that changed are read, checked and reloaded."""
    from .build import build as run_build
    from .errors import BuildError

    settings = _settings(data_dir=data, store_dir=store)
    try:
        with err.status("building the graph…"):
            report = run_build(settings, _progress, full=full)
    except (FactsError, BuildError) as exc:
        err.print("[bold red]build failed; the previous graph is unchanged.[/bold red]")
        _fail(exc, 1)
    except CTKGError as exc:
        _fail(exc)
    secs = ", ".join(f"{k} {v:.2f} s" for k, v in report.seconds.items())
    out.print(f"Built {report.triples} triples ({report.quads} quads) from {report.sources} source(s) "
              f"into {report.build_dir} ({secs}).", highlight=False)
    err.print(f"{report.mode} build: {report.compiled} file(s) read and checked, {report.changed} graph(s) "
              "loaded", highlight=False)


@app.command()
def validate(
    data: Annotated[Path | None, typer.Option(help="Facts directory (default: data).")] = None,
) -> None:
    """Validate every facts file against the shapes and quality checks, without building.

    The reference check: pySHACL on the whole graph, whatever engine builds use."""
    from .validate import validate as run_validation

    settings = _settings(data_dir=data)
    try:
        result = run_validation(settings, _progress)
    except FactsError as exc:
        _fail(exc, 1)
    except CTKGError as exc:
        _fail(exc)
    if result.conforms:
        out.print(result.text)
        return
    out.print(f"Does not conform: {len(result.violations)} problem(s).", highlight=False)
    for v in result.violations:
        out.print(f"\n{v.file or '(no facts file)'}\n  fact:    {v.fact or '-'}\n  focus:   {v.focus}\n"
                  f"  path:    {v.path or '-'}\n  message: {v.message}", highlight=False, markup=False, soft_wrap=True)
    raise typer.Exit(1)


@app.command()
def query(
    sparql: Annotated[str, typer.Argument(help="SPARQL text, a .rq file, or a competency question's name.")],
    format: Annotated[str, typer.Option("--format", "-f", help="table, csv, tsv, json, xml; "
                                        "turtle, ntriples, rdfxml, jsonld for CONSTRUCT.")] = "table",
    bind: Annotated[list[str] | None, typer.Option(help="Bind a variable: --bind product=id:product/x.")] = None,
    store: StoreOpt = None,
) -> None:
    """Run a SPARQL query on the built graph (the default graph is the union of all sources)."""
    import pyoxigraph as ox

    from .formats import GRAPH_FORMATS, RESULT_FORMATS
    from .query import resolve, run, term
    from .store import open_read_only

    settings = _settings(store_dir=store)
    bindings = {}
    for item in bind or []:
        name, sep, value = item.partition("=")
        if not sep:
            _fail(ValueError(f"--bind {item!r}: write NAME=VALUE"))
        bindings[name.lstrip("?$")] = term(value)
    try:
        db, _ = open_read_only(settings.store_dir)
        result = run(db, resolve(sparql), bindings)
    except SyntaxError as exc:
        _fail(ValueError(f"SPARQL syntax error: {exc}"))
    except CTKGError as exc:
        _fail(exc)
    if isinstance(result, ox.QueryBoolean):
        out.print("true" if bool(result) else "false")
        raise typer.Exit(0)
    if isinstance(result, ox.QueryTriples):
        fmt = format if format != "table" else "turtle"
        if fmt not in GRAPH_FORMATS:
            _fail(ValueError(f"--format {fmt}: a CONSTRUCT or DESCRIBE prints as {', '.join(GRAPH_FORMATS)}"))
        sys.stdout.buffer.write(ox.serialize(result, format=GRAPH_FORMATS[fmt]))
        return
    if format == "table":
        names = [v.value for v in result.variables]
        table = Table(*names)
        count = 0
        for solution in result:
            table.add_row(*[_show(solution[n]) for n in names])
            count += 1
        out.print(table)
        err.print(f"{count} row(s)")
        return
    if format not in RESULT_FORMATS:
        _fail(ValueError(f"--format {format}: choose table, {', '.join(RESULT_FORMATS)}"))
    sys.stdout.buffer.write(result.serialize(format=RESULT_FORMATS[format]))


def _show(term) -> str:
    """A table cell: an IRI as a prefixed name, a literal as its lexical form."""
    if term is None:
        return ""
    from .vocab import prefixed

    if hasattr(term, "datatype") or hasattr(term, "language"):
        return term.value
    return prefixed(term.value)


@app.command()
def questions() -> None:
    """List the competency questions shipped with CTKG."""
    from .query import questions as all_questions

    table = Table("name", "question")
    for q in all_questions().values():
        table.add_row(q.name, q.title)
    out.print(table)


@app.command()
def export(
    format: Annotated[str, typer.Option("--format", "-f", help="turtle, rdfxml, jsonld, ntriples, nquads, trig.")]
    = "turtle",
    output: Annotated[Path | None, typer.Option("--output", "-o", help="File to write (default: stdout).")]
    = None,
    protege: Annotated[Path | None, typer.Option(help="Write the ontology and all individuals as one "
                                                    "RDF/XML file for Protégé.")] = None,
    store: StoreOpt = None,
) -> None:
    """Export the built graph."""
    from .export import FORMATS
    from .export import export as run_export
    from .store import open_read_only

    settings = _settings(store_dir=store)
    try:
        db, _ = open_read_only(settings.store_dir)
    except CTKGError as exc:
        _fail(exc)
    if protege is not None:
        from .export import write_protege_file

        try:
            write_protege_file(db, protege)
        except CTKGError as exc:
            _fail(exc)
        err.print(f"wrote {protege}")
        return
    if format not in FORMATS:
        _fail(ValueError(f"--format {format}: choose one of {', '.join(FORMATS)}"))
    data = run_export(db, format)
    if output is None:
        sys.stdout.buffer.write(data)
    else:
        output.write_bytes(data)
        err.print(f"wrote {output} ({len(data)} bytes)")


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Address to listen on (CTKG_HOST, default 127.0.0.1).")]
    = None,
    port: Annotated[int | None, typer.Option(help="Port (CTKG_PORT, default 8000).")] = None,
    store: StoreOpt = None,
) -> None:
    """Serve the built graph: SPARQL endpoint, REST lookups and linked-data pages."""
    # The one place the library reaches the web layer, and only when asked to serve.
    from api.server import serve as run_server
    from api.settings import Settings as APISettings

    given = {"host": host, "port": port, "store_dir": store}
    settings = APISettings(**{name: value for name, value in given.items() if value is not None})
    try:
        run_server(settings)
    except CTKGError as exc:
        _fail(exc)


@app.command()
def push(
    to: Annotated[str | None, typer.Option(help="The SPARQL server's Graph Store Protocol address "
                                           "(CTKG_GRAPH_STORE), e.g. http://127.0.0.1:7878/store for Oxigraph.")]
    = None,
    store: StoreOpt = None,
) -> None:
    """Load the current build into a SPARQL server, graph by graph (Graph Store Protocol PUT), with the default
    graph and a dataset record; the API then serves it with CTKG_SPARQL_ENDPOINT set."""
    from .push import push as run_push

    settings = _settings(graph_store=to, store_dir=store)
    try:
        report = run_push(settings, settings.graph_store, _progress)
    except CTKGError as exc:
        _fail(exc)
    named = sum(n for g, n in report.graphs.items() if g != "default")
    err.print(f"Pushed build {report.build} to {settings.graph_store}: {len(report.graphs) - 1} named graph(s), "
              f"{named} triples, and {report.graphs['default']} in the default graph"
              + (f"; deleted {len(report.deleted)} graph(s) an earlier push loaded." if report.deleted else "."),
              highlight=False, markup=False)


@app.command()
def manifest(store: StoreOpt = None) -> None:
    """Show what the current build contains."""
    from .store import StoreLayout

    settings = _settings(store_dir=store)
    try:
        out.print_json(json.dumps(StoreLayout(settings.store_dir).manifest()))
    except CTKGError as exc:
        _fail(exc)


@app.command()
def fmt(
    files: Annotated[list[Path] | None, typer.Argument(help="Facts files or folders (default: the facts "
                                                       "directory, CTKG_DATA_DIR or data).")] = None,
    check: Annotated[bool, typer.Option("--check", help="Change nothing; exit 1 listing the files that are not "
                                        "in canonical form.")] = False,
) -> None:
    """Write facts files in canonical form (data/README.md): key order, indentation, blank lines; comments,
    quoting and the order of facts are kept."""
    from .canonical import format_file
    from .facts import facts_files

    paths = [p for f in files or [_settings().data_dir] for p in (facts_files(f) if f.is_dir() else [f])]
    changed, failed = [], False
    for path in paths:
        try:
            if format_file(path, write=not check):
                changed.append(path)
        except FactsError as exc:
            err.print(f"error: {exc}", highlight=False, markup=False, soft_wrap=True)
            failed = True
    for path in changed:
        out.print(str(path) if check else f"formatted {path}", highlight=False, markup=False)
    if check and changed:
        err.print(f"{len(changed)} of {len(paths)} file(s) not in canonical form; to fix: ctkg fmt "
                  + " ".join(str(p) for p in changed), highlight=False, markup=False, soft_wrap=True)
    elif not failed:
        err.print(f"{len(paths)} file(s) in canonical form" if check else
                  f"{len(changed)} file(s) formatted, {len(paths) - len(changed)} already in canonical form",
                  highlight=False)
    if failed:
        raise typer.Exit(2)
    if check and changed:
        raise typer.Exit(1)


@app.command()
def intake(
    file: Annotated[Path | None, typer.Argument(help="An article: plain text or HTML.")] = None,
    url: Annotated[str | None, typer.Option(help="The article's address (else its header's Source: line).")] = None,
    published: Annotated[str | None, typer.Option(help="Its publication date, YYYY-MM-DD: relative dates "
                                                  "(\"last week\") are resolved against it, as derived.")] = None,
    out_path: Annotated[Path | None, typer.Option("--out", help="Where to write (default: data/drafts/NAME.yaml; "
                                                  "'-' prints).")] = None,
    format: Annotated[str, typer.Option("--format", help="yaml (a draft facts file) or json (the gold files' "
                                        "schema, printed).")] = "yaml",
    check: Annotated[Path | None, typer.Option("--check", help="Validate a draft with the shapes and the "
                                               "whole-graph checks, beside data/; report what to fix.")] = None,
    evaluate: Annotated[Path | None, typer.Option("--evaluate", help="Score every *.txt of a folder against its "
                                                  "*.facts.json.")] = None,
    store: StoreOpt = None,
) -> None:
    """Read an article into a draft facts file for review (docs/intake.md). Drafts live in data/drafts/, which no
    build reads; promoting one is moving the reviewed file into data/sources/."""
    from .errors import BuildError

    if sum(x is not None for x in (file, check, evaluate)) != 1:
        _fail(ValueError("give one of: an article FILE, --check DRAFT, --evaluate FOLDER"))
    if format not in ("yaml", "json"):
        _fail(ValueError(f"--format {format}: choose yaml or json"))
    settings = _settings(store_dir=store)
    if check is not None:
        from .intake.check import check_draft

        try:
            report = check_draft(check, settings)
        except FactsError as exc:
            _fail(exc, 1)
        except (BuildError, CTKGError) as exc:
            _fail(exc)
        out.print(report.result.text, highlight=False, markup=False, soft_wrap=True)
        if report.marks:
            out.print(f"\nTo confirm ({len(report.marks)}): resources proposed as new, values derived, not stated:",
                      highlight=False)
            for mark in report.marks:
                out.print(f"- {mark}", highlight=False, markup=False, soft_wrap=True)
        raise typer.Exit(0 if report.conforms else 1)
    from .intake.pipeline import Intake, default_output, write_new

    try:
        with err.status("loading the graph's names and the rules…"):
            pipeline = Intake.from_store(settings)
        if evaluate is not None:
            from .intake.evaluate import table

            scores = pipeline.evaluate(evaluate)
            out.print(table(scores), highlight=False, markup=False, soft_wrap=True)
            for miss in scores.misses:
                err.print(miss, highlight=False, markup=False, soft_wrap=True)
            return
        extraction = pipeline.read(file, url, published)
        if format == "json":
            text = pipeline.json(extraction)
        else:
            text = pipeline.draft(extraction, url, published)
        if out_path is not None and str(out_path) == "-" or out_path is None and format == "json":
            sys.stdout.write(text)
            return
        target = out_path or default_output(settings, file)
        write_new(target, text)
    except CTKGError as exc:
        _fail(exc)
    err.print(f"{len(extraction.facts)} fact(s) proposed; draft written to {target}. Review it, then: ctkg intake "
              f"--check {target}", highlight=False, markup=False, soft_wrap=True)


if __name__ == "__main__":
    app()
