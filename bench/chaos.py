"""Chaos test of the API: a mixed load against a real `ctkg serve` on 127.0.0.1 while its query workers are
killed and slow connections come and go; a report of what the clients saw.

    python bench/chaos.py                          # 60 s on data/, built into a temporary store
    python bench/chaos.py --seconds 20 --store var/store --json var/bench/chaos.json

Eight clients (`--clients`), each a thread with its own keep-alive connection from its own loopback address,
send light lookups (REST by id, a product's timeline, a one-product SPARQL lookup) and, one request in
`--heavy-share`, a competency question of `kg/queries/` (unbound: the whole graph's answer). Meanwhile one
loop, every `--kill-every` seconds give or take half, SIGKILLs a random query worker and opens slow
connections that it drops a few seconds later: one idle, one sending its headers a byte at a time, one
sending half of a POST body. A sampler reads /health every quarter second (the pool as the server reports it),
counts the worker processes and the server process's resident memory.

The run fails (exit 1) when any answer is a 5xx other than 503, when a light lookup gets no answer at all
(a dropped connection, a refused one, a timeout), when the server dies, or when the pool is not whole again
within 30 s of the end. A 503 is allowed: a query whose worker is killed under it is answered 503 with
`Retry-After`. Nothing here is asserted in the test suite.
"""

import argparse
import contextlib
import json
import os
import platform
import random
import socket
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench import soak  # noqa: E402
from tests.support.processes import is_dead, resident_mb  # noqa: E402
from tests.support.servers import CtkgServer, ServerError  # noqa: E402

LIGHT = ["rest: product by id", "rest: authority by id", "rest: company by id", "rest: product timeline",
         "sparql: one product's applications"]
HEAVY = "sparql: competency question"
HTTP_TIMEOUT_S = 30  # well past the server's query deadline: no answer by then is no answer
FAILED_5XX = "5xx other than 503"


@dataclass
class Outcome:
    kind: str
    light: bool
    result: str  # the status code, or a transport failure: dropped, refused, timeout
    seconds: float


@dataclass
class Graph:
    products: list[str]
    authorities: list[str]
    companies: list[str]
    questions: dict[str, str]


@dataclass
class Chaos:
    kills: int = 0
    slow_connections: int = 0
    slow_answers: Counter = field(default_factory=Counter)  # how the server ended each slow connection


@dataclass
class Sample:
    t: float
    health_status: str | None  # None: /health did not answer
    health_workers: int | None
    health_idle: int | None
    health_wanted: int | None  # the pool's size when whole, when /health says it
    worker_processes: int
    server_rss_mb: float


def graph_of(base: str) -> Graph:
    """The ids to look up, and the competency questions the server answers (each tried once)."""
    from kg.query import questions

    with httpx.Client(base_url=base, timeout=HTTP_TIMEOUT_S) as http:
        ids = {}
        for name in ("products", "authorities", "companies"):
            answer = http.get(f"/{name}", params={"limit": 1000})
            answer.raise_for_status()
            ids[name] = [item["id"] for item in answer.json()["data"]]
        answered = {name: q.text for name, q in sorted(questions().items())
                    if http.get("/sparql", params={"query": q.text}).status_code == 200}
    if not all(ids.values()) or not answered:
        raise SystemExit("the graph has no products, authorities, companies or answerable questions")
    return Graph(ids["products"], ids["authorities"], ids["companies"], answered)


def request_for(kind: str, graph: Graph, rng: random.Random) -> tuple[str, dict]:
    """The path and query parameters of one request of this kind: the light lookups are soak's own."""
    if kind == "sparql: one product's applications":
        return soak.request_for("sparql: point lookup", graph, rng)
    if kind in LIGHT:
        return soak.request_for(kind, graph, rng)
    return "/sparql", {"query": graph.questions[rng.choice(sorted(graph.questions))]}


def client(number: int, base: str, graph: Graph, until: float, heavy_share: float, outcomes: list[Outcome],
           seed: int) -> None:
    rng = random.Random(seed + number)
    transport = httpx.HTTPTransport(local_address=f"127.0.0.{10 + number}")
    mine = []
    with httpx.Client(base_url=base, timeout=HTTP_TIMEOUT_S, transport=transport) as http:
        while time.monotonic() < until:
            kind = HEAVY if rng.random() < heavy_share else rng.choice(LIGHT)
            path, params = request_for(kind, graph, rng)
            started = time.perf_counter()
            try:
                result = str(http.get(path, params=params).status_code)
            except httpx.TimeoutException:
                result = "timeout"
            except httpx.ConnectError:
                result = "refused"
            except httpx.TransportError:  # the server closed the connection without an answer
                result = "dropped"
            mine.append(Outcome(kind, kind != HEAVY, result, time.perf_counter() - started))
    outcomes.extend(mine)


def _slow_connection(port: int, style: str, hold_s: float, chaos: Chaos, stop: threading.Event) -> None:
    """One slow connection of `style`, dropped after `hold_s` (or when the server ends it first)."""
    request = {"idle": b"",
               "trickled headers": b"GET /products HTTP/1.1\r\nHost: x\r\nAccept: application/json\r\n\r\n",
               "half a body": b"POST /sparql HTTP/1.1\r\nHost: x\r\nContent-Type: application/sparql-query\r\n"
                              b"Content-Length: 64\r\n\r\nSELECT * WHERE {"}[style]
    ended_by = "dropped by us"
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=2) as connection:
            deadline = time.monotonic() + hold_s
            if style == "half a body":
                connection.sendall(request)
                request = b""
            connection.settimeout(0.2)
            while time.monotonic() < deadline and not stop.is_set():
                if request:
                    connection.sendall(request[:1])
                    request = request[1:]
                with contextlib.suppress(TimeoutError):
                    data = connection.recv(4096)
                    ended_by = f"answered {data.split()[1].decode()}" if data.startswith(b"HTTP/") else "closed"
                    break
    except OSError as exc:
        ended_by = type(exc).__name__
    chaos.slow_answers[f"{style}: {ended_by}"] += 1


def chaos_loop(server: CtkgServer, until: float, every_s: float, chaos: Chaos, rng: random.Random,
               stop: threading.Event) -> None:
    slow: list[threading.Thread] = []
    while not stop.wait(rng.uniform(every_s / 2, every_s * 1.5)) and time.monotonic() < until:
        workers = [pid for pid in server.workers() if not is_dead(pid)]
        if workers:
            with contextlib.suppress(ProcessLookupError):
                os.kill(rng.choice(workers), 9)
                chaos.kills += 1
        for style in ("idle", "trickled headers", "half a body"):
            thread = threading.Thread(target=_slow_connection, daemon=True,
                                      args=(server.port, style, rng.uniform(2, 6), chaos, stop))
            thread.start()
            slow.append(thread)
            chaos.slow_connections += 1
    for thread in slow:
        thread.join(10)


def sampler(server: CtkgServer, started: float, samples: list[Sample], stop: threading.Event) -> None:
    while True:
        try:
            health = httpx.get(server.base + "/health", timeout=2).json()
        except (httpx.HTTPError, ValueError):
            health = None
        health = health or {}
        samples.append(Sample(round(time.monotonic() - started, 2), health.get("status"), health.get("workers"),
                              health.get("workers_idle"), health.get("workers_wanted"), len(server.workers()),
                              resident_mb(server.pid)))
        if stop.wait(0.25):
            return


def pool_over_time(samples: list[Sample], seconds: float, buckets: int = 6) -> list[dict]:
    """Per slice of the run: the fewest and most workers /health reported, the fewest worker processes
    counted, and how many samples found /health degraded (a worker being replaced), unavailable or silent."""
    width = seconds / buckets
    slices = []
    for i in range(buckets):
        inside = [s for s in samples if i * width <= s.t < (i + 1) * width]
        reported = [s.health_workers for s in inside if s.health_workers is not None]
        slices.append({"from_s": round(i * width), "to_s": round((i + 1) * width),
                       "workers_min": min(reported, default=None), "workers_max": max(reported, default=None),
                       "processes_min": min((s.worker_processes for s in inside), default=None),
                       "samples": len(inside),
                       **{f"health_{status}": sum(s.health_status == status for s in inside)
                          for status in ("ok", "degraded", "unavailable")},
                       "health_unanswered": sum(s.health_status is None for s in inside)})
    return slices


def summarize(outcomes: list[Outcome]) -> dict:
    by_kind = {}
    for kind in [*LIGHT, HEAVY]:
        mine = [o for o in outcomes if o.kind == kind]
        if mine:
            by_kind[kind] = {"requests": len(mine), "results": dict(Counter(o.result for o in mine)),
                             "max_s": round(max(o.seconds for o in mine), 3)}
    failures = Counter()
    for o in outcomes:
        if o.result.isdigit() and o.result.startswith("5") and o.result != "503":
            failures[f"{FAILED_5XX}: {o.kind} {o.result}"] += 1
        elif o.light and not o.result.isdigit():
            failures[f"light lookup without an answer: {o.kind} {o.result}"] += 1
    return {"requests": len(outcomes), "answered_200": sum(o.result == "200" for o in outcomes),
            "by_kind": by_kind, "failures": dict(failures)}


def table(report: dict) -> str:
    results = sorted({r for row in report["by_kind"].values() for r in row["results"]},
                     key=lambda r: (not r.isdigit(), r))
    lines = [f"Chaos: {report['clients']} clients for {report['seconds']:.0f} s against {report['base_url']} "
             f"({report['triples']} triples, {report['query_workers']} query workers, "
             f"{len(report['questions'])} competency questions); {report['chaos']['kills']} workers killed, "
             f"{report['chaos']['slow_connections']} slow connections", "",
             "| requests | count | " + " | ".join(results) + " | slowest s |",
             "|---|---|" + "---|" * len(results) + "---|"]
    for kind, row in report["by_kind"].items():
        cells = " | ".join(f"{row['results'].get(r, 0):,}" for r in results)
        lines.append(f"| {kind} | {row['requests']:,} | {cells} | {row['max_s']:.2f} |")
    wanted = max((s["health_wanted"] or 0 for s in report["samples"]), default=0) or report["query_workers"]
    lines += ["", f"| pool, s | workers (/health, of {wanted}) | worker processes, fewest | /health samples | ok | "
                  "degraded | unavailable | no answer |", "|---|---|---|---|---|---|---|---|"]
    for s in report["pool"]:
        lines.append(f"| {s['from_s']}–{s['to_s']} | {s['workers_min']}–{s['workers_max']} | {s['processes_min']} | "
                     f"{s['samples']} | {s['health_ok']} | {s['health_degraded']} | {s['health_unavailable']} | "
                     f"{s['health_unanswered']} |")
    lines += ["", f"server peak RSS: {report['server_peak_rss_mb']:.0f} MB; pool whole again "
                  f"{report['pool_whole_after_s']} s after the end"
                  if report["pool_whole_after_s"] is not None else "pool NOT whole again within 30 s",
              f"slow connections: {report['chaos']['slow_answers']}",
              f"failures: {report['failures'] or 'none'}"]
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--heavy-share", type=float, default=0.2, help="the share of competency questions")
    parser.add_argument("--kill-every", type=float, default=4.0, help="seconds between kills, on average")
    parser.add_argument("--data", type=Path, default=ROOT / "data", help="facts to build when no --store is given")
    parser.add_argument("--store", type=Path, help="a built store to serve (default: build --data into a temp dir)")
    parser.add_argument("--workers", type=int, default=2, help="CTKG_QUERY_WORKERS of the server")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--json", type=Path, help="also write the report here")
    args = parser.parse_args()
    if not 1 <= args.clients <= 200 or args.seconds <= 0 or not 0 <= args.heavy_share <= 1:
        parser.error("--clients is 1 to 200, --seconds positive, --heavy-share 0 to 1")

    rng = random.Random(args.seed)
    with tempfile.TemporaryDirectory(prefix="ctkg-chaos-") as scratch:
        store = args.store
        if store is None:
            from kg.build import build
            from kg.settings import Settings

            store = Path(scratch) / "store"
            build(Settings(data_dir=args.data, store_dir=store, ontology_dir=ROOT / "ontology",
                           shapes_dir=ROOT / "shapes"))
        with CtkgServer(store, Path(scratch) / "server.log", ready_timeout=60, query_workers=args.workers) as server:
            health = server.health() or {}
            graph = graph_of(server.base)
            outcomes: list[Outcome] = []
            samples: list[Sample] = []
            chaos, stop = Chaos(), threading.Event()
            started = time.monotonic()
            until = started + args.seconds
            background = [threading.Thread(target=sampler, args=(server, started, samples, stop), daemon=True),
                          threading.Thread(target=chaos_loop, daemon=True,
                                           args=(server, until, args.kill_every, chaos, rng, stop))]
            clients = [threading.Thread(target=client, daemon=True, args=(
                n, server.base, graph, until, args.heavy_share, outcomes, args.seed)) for n in range(args.clients)]
            for thread in [*background, *clients]:
                thread.start()
            for thread in clients:
                thread.join(args.seconds + 2 * HTTP_TIMEOUT_S)
            elapsed = time.monotonic() - started
            stop.set()
            for thread in background:
                thread.join(15)
            server_died = server.died()
            ended = time.monotonic()
            try:
                server.wait_ready(30)
                whole_after: float | None = round(time.monotonic() - ended, 1)
            except ServerError:
                whole_after = None

    summary = summarize(outcomes)
    report = {"clients": args.clients, "seconds": elapsed, "base_url": server.base, "seed": args.seed,
              "heavy_share": args.heavy_share, "kill_every_s": args.kill_every, "triples": health.get("triples"),
              "query_workers": args.workers, "questions": sorted(graph.questions),
              "chaos": {"kills": chaos.kills, "slow_connections": chaos.slow_connections,
                        "slow_answers": dict(sorted(chaos.slow_answers.items()))},
              "pool": pool_over_time(samples, elapsed), "samples": [vars(s) for s in samples],
              "server_peak_rss_mb": max((s.server_rss_mb for s in samples), default=0.0),
              "pool_whole_after_s": whole_after, "server_died": server_died,
              "machine": {"cpus": os.cpu_count(), "load": os.getloadavg(), "python": platform.python_version()},
              **summary}
    if server_died:
        report["failures"]["the server died"] = 1
    if whole_after is None:
        report["failures"]["the pool was not whole again within 30 s"] = 1
    print(table(report))
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(report, indent=2), encoding="utf-8")
        print(f"\nreport: {args.json}")
    return 1 if report["failures"] else 0


if __name__ == "__main__":
    sys.exit(main())
