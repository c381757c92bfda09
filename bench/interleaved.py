"""One client's small questions through `/sparql` and on Oxigraph server, asked in turn, round after round.

    python bench/interleaved.py --store var/bench/store-100000-seed1
    python bench/interleaved.py --store S --other-port 18790    # and an API started from another checkout

On a shared 2-core machine one engine timed after another can meet a slower minute than the other: the same
question's p50 moved by a third between runs an hour apart (bench/README.md, fifth session). Here each round
sends `--per-round` requests to each server in turn, the first of each not timed, so every server meets the
same minutes; the p50s and their ratios to Oxigraph server's are printed as a table. `--other-port` adds an API
server already running on 127.0.0.1 (the code before a change, say) to the turns. Each request is a distinct
HTTP exchange on a kept-alive connection, sent with `Cache-Control: no-cache`, as `bench/run.py` sends its
questions, so no cache answers it. Loops are bounded in count; every server started is stopped at the end.
"""

import argparse
import http.client
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench.run import _question, bound_text, sparql_request  # noqa: E402
from tests.support.servers import CtkgServer, OxigraphServer  # noqa: E402

SMALL = ["authorisation-history", "decisions-by-product", "pics-participating-authorities", "source-contributions"]


def timed(connection: http.client.HTTPConnection, path: str, body: bytes, headers: dict) -> float:
    """One request's time in milliseconds, to the answer's last byte."""
    started = time.perf_counter()
    connection.request("POST", path, body=body, headers=headers)
    response = connection.getresponse()
    payload = response.read()
    took = (time.perf_counter() - started) * 1000
    if response.status != 200:
        raise RuntimeError(f"HTTP {response.status} from {connection.port}{path}: {payload[:200]!r}")
    return took


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--store", type=Path, required=True, help="a store built by `ctkg build`")
    parser.add_argument("--rounds", type=int, default=40)
    parser.add_argument("--per-round", type=int, default=10, help="timed requests per server and round")
    parser.add_argument("--other-port", type=int, help="an API server already running on 127.0.0.1")
    parser.add_argument("questions", nargs="*", default=SMALL)
    args = parser.parse_args(argv)
    location = (args.store / "current").resolve() / "oxigraph"
    oxigraph = OxigraphServer(location, read_only=True, ready_timeout=60)
    try:
        api = CtkgServer(args.store, ready_timeout=60, max_rows=100_000_000)
    except BaseException:
        oxigraph.stop()
        raise
    try:
        targets = {"Oxigraph server": (oxigraph.port, "/query"), "API": (api.port, "/sparql")}
        if args.other_port:
            targets["other API"] = (args.other_port, "/sparql")
        connections = {name: http.client.HTTPConnection("127.0.0.1", port, timeout=60)
                       for name, (port, _) in targets.items()}
        names = list(targets)
        print("| question | " + " | ".join(f"{name} p50 ms" for name in names) + " |")
        print("|---" * (len(names) + 1) + "|")
        for question in args.questions:
            body, headers = sparql_request(bound_text(_question(question), question))
            headers = {**headers, "Cache-Control": "no-cache"}  # asked for anew: no cache answers it
            samples: dict[str, list[float]] = {name: [] for name in names}
            for _ in range(args.rounds):
                for name in names:
                    path = targets[name][1]
                    timed(connections[name], path, body, headers)  # the first of each turn is not timed
                    samples[name] += [timed(connections[name], path, body, headers) for _ in range(args.per_round)]
            reference = statistics.median(samples["Oxigraph server"])
            cells = [f"{reference:.2f}"] + [f"{statistics.median(samples[name]):.2f} "
                                             f"({statistics.median(samples[name]) / reference:.2f}×)"
                                             for name in names[1:]]
            print(f"| {question} | " + " | ".join(cells) + " |", flush=True)
        for connection in connections.values():
            connection.close()
    finally:
        api.stop()
        oxigraph.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
