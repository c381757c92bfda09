"""Where a point lookup's time goes: CPU per request of each server process under load.

    python bench/request_cpu.py --store /tmp/k1m/store            # ctkg serve and Oxigraph server on one store

Starts `ctkg serve` and Oxigraph server (`serve-read-only`) on the store's current build, both on 127.0.0.1,
then for each point lookup of `bench/run.py` (`POINT_LOOKUPS`) and each number of clients sends distinct
queries for `--seconds` (nothing the API keeps can answer them), or the same query again with `--warm`. It
prints, per server: requests/s, p50, and the CPU milliseconds per request of the server's own process and of
its children (the API's query workers), read from `/proc/<pid>/stat`, and of the benchmark's client. On 2 shared
cores throughput is bounded by the CPU a request costs in all three, so this says where to look. Loops are
bounded in time and count; every process started is stopped at the end, or on Ctrl-C.
"""

import argparse
import os
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench.run import LOAD_CLIENTS, POINT_LOOKUPS, distinct_query, hammer, sparql_request  # noqa: E402
from tests.support.processes import cpu_seconds, descendants  # noqa: E402
from tests.support.servers import CtkgServer, OxigraphServer  # noqa: E402

MAX_REQUESTS = 200_000


def _own_cpu() -> float:
    times = os.times()
    return times.user + times.system


def measure(pid: int, port: int, path: str, lookup: str, clients: int, seconds: float, warm: bool) -> dict:
    """One load on one server: its rate, p50, and CPU ms per request of the server, its children and the client."""
    body, headers = sparql_request(POINT_LOOKUPS[lookup]())
    children = descendants(pid)[1:]
    before = {p: cpu_seconds(p) for p in (pid, *children)}
    client_before = _own_cpu()
    result = hammer(port, "POST", path, body, headers, clients, seconds, MAX_REQUESTS,
                    None if warm else distinct_query)
    requests = max(1, result["requests"])
    spent = {p: max(0.0, cpu_seconds(p) - before[p]) for p in before}  # a process gone has no figure: 0
    replaced = set(descendants(pid)[1:]) != set(children)  # a worker died and another took its place
    return {"rps": result.get("rps", 0.0), "p50_ms": result.get("p50_ms"), "errors": result["errors"],
            "replaced": replaced,
            "server_ms": 1000 * spent[pid] / requests,
            "children_ms": 1000 * sum(spent[p] for p in children) / requests,
            "client_ms": 1000 * (_own_cpu() - client_before) / requests}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--store", type=Path, required=True, help="a store built by `ctkg build`")
    parser.add_argument("--seconds", type=float, default=5.0, help="each load's duration")
    parser.add_argument("--clients", type=int, nargs="+", default=[1, LOAD_CLIENTS])
    parser.add_argument("--warm", action="store_true", help="the same query again (the API's answer cache)")
    args = parser.parse_args(argv)
    location = (args.store / "current").resolve() / "oxigraph"
    print("| lookup | clients | server | requests/s | p50 ms | CPU ms a request: server | its children | client |")
    print("|---|---|---|---|---|---|---|---|")
    with (CtkgServer(args.store, ready_timeout=60, max_concurrent_per_client=4 * LOAD_CLIENTS) as api,
          OxigraphServer(location, read_only=True, ready_timeout=60) as oxigraph):
        servers = {"ctkg serve": (api.pid, api.port, "/sparql"),
                   "Oxigraph server": (oxigraph.pid, oxigraph.port, "/query")}
        for lookup in POINT_LOOKUPS:
            for clients in args.clients:
                for name, (pid, port, path) in servers.items():
                    m = measure(pid, port, path, lookup, clients, args.seconds, args.warm)
                    p50 = "—" if m["p50_ms"] is None else f"{m['p50_ms']:.2f}"
                    children = f"{m['children_ms']:.3f}" + (" (a worker was replaced: not all counted)"
                                                            if m["replaced"] else "")
                    print(f"| {lookup} | {clients} | {name} | {m['rps']:,.0f} | {p50} | {m['server_ms']:.3f} "
                          f"| {children} | {m['client_ms']:.3f} |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
