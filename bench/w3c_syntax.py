"""The W3C SPARQL 1.0 and 1.1 query-syntax suites sent to CTKG's `/sparql` and to Oxigraph server, and a table
of what each accepted and refused.

    python bench/w3c_syntax.py                         # builds data/ into a temporary store first
    python bench/w3c_syntax.py --store var/store --suites ../shared/w3c-sparql-syntax

The suites (`sparql/sparql10/syntax-sparql1` ... `syntax-sparql5`, `sparql/sparql11/syntax-query`) are read from
their manifests, never copied into the repository: a positive syntax test's query is valid SPARQL, a negative
one's is not; withdrawn tests are left out, and update-syntax tests, which the endpoint refuses by policy,
would be counted apart (these manifests have none). Both servers run on 127.0.0.1: `ctkg serve` over a build
of data/, and `oxigraph serve` over an empty database. Each query is POSTed as `application/sparql-query`.

An answer is one of the `Outcome`s: accepted (200, or CTKG's 422 for an answer over its row limit: the query
was read and run, on the whole graph, where Oxigraph server's database is empty); refused by CTKG's policy,
with a 400 that says so (a FROM or FROM NAMED naming a graph that is not in the store, or a function the
endpoint does not have); refused (any other 4xx); or a 5xx. `tests/api/test_w3c_syntax.py` holds CTKG to the
rule (every valid query accepted or refused by policy, every invalid one a 400, no 5xx) one W3C test at a time.
"""

import argparse
import sys
import tempfile
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # `python bench/w3c_syntax.py` from anywhere: the repository's packages first

from tests.support.w3c import SUITES, Outcome, SyntaxTest, read_suites, send  # noqa: E402


def table(results: dict[str, dict[SyntaxTest, Outcome]]) -> str:
    """Per suite and in all, per server: valid queries accepted and refused by policy, invalid ones refused."""
    tests = list(next(iter(results.values())))
    suites = [*dict.fromkeys(t.suite for t in tests), "all"]
    lines = ["| suite | valid | invalid | " + " | ".join(
        f"{server}: valid accepted | policy-refused | invalid refused | 5xx" for server in results) + " |",
        "|---|---:|---:|" + "---:|---:|---:|---:|" * len(results)]
    for suite in suites:
        chosen = [t for t in tests if suite in ("all", t.suite)]
        valid, invalid = [t for t in chosen if t.valid], [t for t in chosen if not t.valid]
        cells = [suite, str(len(valid)), str(len(invalid))]
        for answers in results.values():
            counts = Counter((t.valid, answers[t]) for t in chosen)
            cells += [str(counts[True, Outcome.ACCEPTED]),
                      str(sum(n for (v, o), n in counts.items() if v and o.by_policy)),
                      str(sum(n for (v, o), n in counts.items() if not v and o != Outcome.ACCEPTED
                              and o != Outcome.SERVER_ERROR)),
                      str(sum(n for (_, o), n in counts.items() if o == Outcome.SERVER_ERROR))]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Run the W3C SPARQL query-syntax suites on CTKG and Oxigraph server.")
    parser.add_argument("--suites", type=Path, default=SUITES, help="the w3c-sparql-syntax folder")
    parser.add_argument("--store", type=Path, help="a built store to serve (default: build data/ into a temporary one)")
    args = parser.parse_args(argv)
    import httpx

    from tests.support.builds import build_whole
    from tests.support.servers import CtkgServer, OxigraphServer

    suites = read_suites(args.suites)
    if not suites.queries:
        print(f"no query-syntax tests under {args.suites}", file=sys.stderr)
        return 2
    results: dict[str, dict[SyntaxTest, Outcome]] = {}
    with tempfile.TemporaryDirectory(prefix="ctkg-w3c-") as tmp, httpx.Client(timeout=30) as client:
        store = args.store
        if store is None:
            store = Path(tmp) / "store"
            build_whole(ROOT / "data", store)
        with CtkgServer(store, Path(tmp) / "ctkg.log", query_workers=1) as ctkg:
            results["CTKG"] = {t: send(client, ctkg.query_url, t) for t in suites.queries}
        with OxigraphServer(Path(tmp) / "oxigraph", read_only=False, log=Path(tmp) / "oxigraph.log") as oxigraph:
            results["Oxigraph server"] = {t: send(client, oxigraph.query_url, t) for t in suites.queries}
    print(table(results))
    print(f"\n{len(suites.queries)} query-syntax tests; {suites.updates} update-syntax tests not run (updates are "
          f"refused by policy); {suites.withdrawn} withdrawn.")
    for server, answers in results.items():
        for test, answer in answers.items():
            if answer == Outcome.SERVER_ERROR or answer.by_policy or (answer == Outcome.ACCEPTED) != test.valid:
                print(f"{server}: {test.name} ({'valid' if test.valid else 'invalid'}): {answer.value}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
