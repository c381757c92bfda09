"""How fast the API could be with no query isolation at all: `/sparql`'s queries run in the server's own process.

    python bench/in_process_ceiling.py --store /tmp/k1m/store-1000000-seed1          # 8-client loads, 1M
    python bench/in_process_ceiling.py --store var/bench/store-100000-seed1 --one-client   # small questions

A measurement of a ceiling, never a way to serve. It starts the API as `ctkg serve` does (`api.server.serve`:
uvicorn, the same protocol, middleware and routes), in a process of its own where the worker pool's `fetch` runs a
client's query on the event loop's own thread (`Engine.answer`, the worker's code), with no hand-off to a worker:
a runaway query would stop every client. The API's own queries still go to the workers. Then either:

- for each point lookup of `bench/run.py`, 8 clients sending distinct queries for `--seconds` (nothing cached),
  after a second of the same not timed, to this server and to Oxigraph server on the same store, and the
  ceiling's share of Oxigraph server's rate;
- or, with `--one-client`, `bench/interleaved.py`'s rounds, this server being its "other API": Oxigraph server,
  the API as it is, and the ceiling, in turn.

If the ceiling misses a target, no way of isolating queries behind this Python front can meet it. Loops are
bounded in time and count; every process started is stopped at the end.
"""

import argparse
import functools
import sys
from dataclasses import replace
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench.run import LOAD_CLIENTS, POINT_LOOKUPS, distinct_query, hammer, sparql_request  # noqa: E402
from tests.support.servers import CtkgServer, OxigraphServer  # noqa: E402

MAX_REQUESTS = 200_000


def serve_in_process(port: int) -> None:
    """The child process: the API on 127.0.0.1:`port` (its other settings from the environment, as `ctkg serve`
    reads them), running clients' queries on the event loop's thread."""
    from api import pool
    from api.answers import HeldAnswer
    from api.engine import Engine
    from api.errors import AnswersBusy
    from api.server import serve
    from api.settings import Settings
    from kg.vocab import PREFIXES

    settings = Settings(host="127.0.0.1", port=port)
    to_workers = pool.WorkerPool.fetch

    @functools.cache  # opened at the first query: `serve` may first start this process again, with jemalloc
    def engine() -> Engine:
        return Engine(settings.store_dir, settings.max_rows, PREFIXES)

    async def fetch(self, job, timeout=None):
        if job.trusted:  # the API's own queries (/health's, the REST routes'): to the workers, as ever
            return await to_workers(self, job, timeout)
        answer = engine().answer(job)  # blocks the event loop until it is done: no isolation at all
        answer = replace(answer, size=len(answer.body))
        reservation = self.budget.reserve(answer.size)
        if reservation is None:
            raise AnswersBusy("The answer budget is full.")
        return HeldAnswer(answer, [answer.body], reservation)

    pool.WorkerPool.fetch = fetch
    serve(settings)


class CeilingServer(CtkgServer):
    """The in-process variant of `ctkg serve`, started, waited for and stopped as the tests' servers are."""

    def __init__(self, store: Path):
        super().__init__(store, ready_timeout=60, max_rows=100_000_000, max_concurrent_per_client=4 * LOAD_CLIENTS)

    def command(self) -> list[str]:
        return [sys.executable, __file__, "--serve", str(self.port)]


def loads(store: Path, seconds: float) -> None:
    location = (store / "current").resolve() / "oxigraph"
    with OxigraphServer(location, read_only=True, ready_timeout=60) as oxigraph, CeilingServer(store) as ceiling:
        print(f"| point lookup, {LOAD_CLIENTS} clients, distinct queries | in-process ceiling, requests/s | "
              "Oxigraph server | ceiling ÷ server |")
        print("|---|---|---|---|")
        for name, text in POINT_LOOKUPS.items():
            body, headers = sparql_request(text())
            rates = {}
            for key, port, path in (("ceiling", ceiling.port, "/sparql"), ("oxigraph", oxigraph.port, "/query")):
                warm_up = min(1.0, seconds)  # not timed
                hammer(port, "POST", path, body, headers, LOAD_CLIENTS, warm_up, MAX_REQUESTS, distinct_query)
                result = hammer(port, "POST", path, body, headers, LOAD_CLIENTS, seconds, MAX_REQUESTS, distinct_query)
                if result["errors"]:
                    raise RuntimeError(f"{key}, {name}: {result['error_kinds']}")
                rates[key] = result["rps"]
            print(f"| {name} | {rates['ceiling']:,.0f} | {rates['oxigraph']:,.0f} | "
                  f"{rates['ceiling'] / rates['oxigraph']:.0%} |", flush=True)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--serve"]:
        serve_in_process(int(argv[1]))
        return 0
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--store", type=Path, required=True, help="a store built by `ctkg build`")
    parser.add_argument("--seconds", type=float, default=5.0, help="each load's duration")
    parser.add_argument("--one-client", action="store_true", help="bench/interleaved.py's rounds instead")
    parser.add_argument("--rounds", type=int, default=20, help="with --one-client")
    args = parser.parse_args(argv)
    if args.one_client:
        from bench.interleaved import main as interleaved

        with CeilingServer(args.store) as ceiling:
            return interleaved(["--store", str(args.store), "--rounds", str(args.rounds),
                                "--other-port", str(ceiling.port)])
    loads(args.store, args.seconds)
    return 0


if __name__ == "__main__":
    sys.exit(main())
