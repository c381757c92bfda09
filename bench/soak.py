"""Soak test of the API: a bounded mixed load against a real `ctkg serve` on 127.0.0.1, and a report.

    python bench/soak.py                          # 8 clients for 60 s on data/, built into a temporary store
    python bench/soak.py --clients 4 --seconds 20 --json var/bench/soak.json
    python bench/soak.py --store var/store        # serve a store that is already built
    python bench/soak.py --base-url http://127.0.0.1:8000   # a server that is already running

Each client is a thread with its own keep-alive connection, from its own loopback address (127.0.0.2,
127.0.0.3, ...), as separate clients would be: the per-client limit of concurrent requests applies to
each of them, not to all together. A client loops over a fixed mix of requests (REST lookups of
products, authorities and companies by id, lists, search, and SPARQL queries from point lookups to an
aggregation), drawing ids from the graph, until the time is up or it has sent `--max-requests`.

Every answer is expected to be 200: anything else is counted as an error, and the script exits 1 if
there was any. The table goes to stdout, everything to the JSON file. Nothing here is asserted in a test.
"""

import argparse
import json
import os
import platform
import random
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

# (kind, weight): how often each kind of request is drawn.
MIX = [
    ("rest: product by id", 20),
    ("rest: authority by id", 10),
    ("rest: company by id", 10),
    ("rest: product timeline", 10),
    ("rest: applications filtered", 8),
    ("rest: list page", 7),
    ("rest: search", 5),
    ("sparql: point lookup", 20),
    ("sparql: labels of a class", 5),
    ("sparql: approvals per authority", 5),
]
POINT = """SELECT ?application ?regulator ?status ?date WHERE {
  ?application ctkg:product ?product ; ctkg:regulator ?regulator ; ctkg:status ?status .
  OPTIONAL { ?application ctkg:decisionDate ?date }
}"""
LABELS = "SELECT DISTINCT ?x ?label WHERE { ?x a ctkg:RegulatoryAuthority ; rdfs:label ?label } ORDER BY ?label"
PER_AUTHORITY = """SELECT ?regulator (COUNT(DISTINCT ?application) AS ?approvals) WHERE {
  ?application a ctkg:RegulatoryApplication ; ctkg:regulator ?regulator ; ctkg:status ctkg:Approved .
} GROUP BY ?regulator ORDER BY DESC(?approvals)"""
SEARCH_WORDS = ["car", "cel", "fda", "leu", "bio", "t", "agency", "health", "gene", "zz-no-match"]


@dataclass
class Sample:
    kind: str
    seconds: float
    status: int  # 0: no answer (a transport error)


@dataclass
class Ids:
    products: list[str] = field(default_factory=list)
    authorities: list[str] = field(default_factory=list)
    companies: list[str] = field(default_factory=list)


def request_for(kind: str, ids: Ids, rng: random.Random) -> tuple[str, dict]:
    """The path and query parameters of one request of this kind."""
    if kind == "rest: product by id":
        return f"/products/{rng.choice(ids.products)}", {}
    if kind == "rest: authority by id":
        return f"/authorities/{rng.choice(ids.authorities)}", {}
    if kind == "rest: company by id":
        return f"/companies/{rng.choice(ids.companies)}", {}
    if kind == "rest: product timeline":
        return f"/products/{rng.choice(ids.products)}/timeline", {}
    if kind == "rest: applications filtered":
        return "/applications", {"regulator": rng.choice(ids.authorities), "status": "approved", "from": "2017"}
    if kind == "rest: list page":
        return rng.choice(["/products", "/authorities", "/companies", "/sources"]), {"limit": 20,
                                                                                     "offset": rng.randrange(0, 40)}
    if kind == "rest: search":
        return "/search", {"q": rng.choice(SEARCH_WORDS)}
    if kind == "sparql: point lookup":
        product = f"<https://w3id.org/ctkg/id/product/{rng.choice(ids.products)}>"
        return "/sparql", {"query": POINT.replace("?product", product)}
    if kind == "sparql: labels of a class":
        return "/sparql", {"query": LABELS}
    return "/sparql", {"query": PER_AUTHORITY}


def graph_ids(base: str) -> Ids:
    ids = Ids()
    with httpx.Client(base_url=base, timeout=30) as http:
        for name, path in (("products", "/products"), ("authorities", "/authorities"), ("companies", "/companies")):
            answer = http.get(path, params={"limit": 1000})
            answer.raise_for_status()
            setattr(ids, name, [item["id"] for item in answer.json()["data"]])
    if not (ids.products and ids.authorities and ids.companies):
        raise SystemExit("the graph has no products, authorities or companies to look up")
    return ids


def client(number: int, base: str, ids: Ids, until: float, max_requests: int, samples: list[Sample],
           seed: int) -> None:
    rng = random.Random(seed + number)
    kinds, weights = zip(*MIX, strict=True)
    transport = httpx.HTTPTransport(local_address=f"127.0.0.{2 + number % 250}")
    mine: list[Sample] = []
    with httpx.Client(base_url=base, timeout=30, transport=transport) as http:
        for _ in range(max_requests):
            if time.monotonic() >= until:
                break
            kind = rng.choices(kinds, weights)[0]
            path, params = request_for(kind, ids, rng)
            started = time.perf_counter()
            try:
                status = http.get(path, params=params).status_code
            except httpx.HTTPError:
                status = 0
            mine.append(Sample(kind, time.perf_counter() - started, status))
    samples.extend(mine)


def percentile(values: list[float], p: float) -> float:
    ranked = sorted(values)
    return ranked[min(len(ranked) - 1, max(0, int(round(p / 100 * len(ranked) + 0.5)) - 1))]


def summarize(samples: list[Sample], seconds: float) -> dict:
    def stats(group: list[Sample]) -> dict:
        latencies = [s.seconds for s in group]
        return {"requests": len(group), "errors": sum(s.status != 200 for s in group),
                "requests_per_s": len(group) / seconds,
                "p50_ms": 1000 * percentile(latencies, 50), "p99_ms": 1000 * percentile(latencies, 99),
                "max_ms": 1000 * max(latencies)}

    by_kind = {kind: stats([s for s in samples if s.kind == kind]) for kind, _ in MIX
               if any(s.kind == kind for s in samples)}
    statuses: dict[str, int] = {}
    for sample in samples:
        statuses[str(sample.status)] = statuses.get(str(sample.status), 0) + 1
    return {"all": stats(samples), "by_kind": by_kind, "statuses": statuses}


def table(report: dict) -> str:
    lines = [f"Soak: {report['clients']} clients for {report['seconds']:.0f} s against {report['base_url']} "
             f"({report['triples']} triples, {report['query_workers']} query workers)", "",
             "| requests | count | errors | req/s | p50 ms | p99 ms | max ms |", "|---|---|---|---|---|---|---|"]
    rows = [("all", report["all"]), *report["by_kind"].items()]
    for name, row in rows:
        lines.append(f"| {name} | {row['requests']:,} | {row['errors']} | {row['requests_per_s']:,.1f} | "
                     f"{row['p50_ms']:.1f} | {row['p99_ms']:.1f} | {row['max_ms']:.1f} |")
    lines += ["", f"statuses: {report['statuses']}"]
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--max-requests", type=int, default=200_000, help="per client, to bound the run")
    parser.add_argument("--data", type=Path, default=ROOT / "data", help="facts to build when no --store is given")
    parser.add_argument("--store", type=Path, help="a built store to serve (default: build --data into a temp dir)")
    parser.add_argument("--base-url", help="soak a server that is already running instead of starting one")
    parser.add_argument("--workers", type=int, default=2, help="CTKG_QUERY_WORKERS of the server started here")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--json", type=Path, default=ROOT / "var" / "bench" / "soak.json")
    args = parser.parse_args()
    if not 1 <= args.clients <= 250 or args.seconds <= 0:
        parser.error("--clients is 1 to 250 and --seconds positive")

    with tempfile.TemporaryDirectory(prefix="ctkg-soak-") as scratch:
        server = None
        try:
            if args.base_url:
                base = args.base_url.rstrip("/")
            else:
                store = args.store
                if store is None:
                    from kg.build import build
                    from kg.settings import Settings

                    store = Path(scratch) / "store"
                    build(Settings(data_dir=args.data, store_dir=store, ontology_dir=ROOT / "ontology",
                                   shapes_dir=ROOT / "shapes"))
                from tests.support.servers import CtkgServer

                server = CtkgServer(store, Path(scratch) / "server.log", ready_timeout=60, query_workers=args.workers)
                base = server.base
            health = httpx.get(f"{base}/health", timeout=5).json()
            ids = graph_ids(base)
            samples: list[Sample] = []
            until = time.monotonic() + args.seconds
            started = time.monotonic()
            threads = [threading.Thread(target=client,
                                        args=(n, base, ids, until, args.max_requests, samples, args.seed))
                       for n in range(args.clients)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(args.seconds + 120)
            elapsed = time.monotonic() - started
        finally:
            if server is not None:
                server.stop(timeout=30)

    report = {"clients": args.clients, "seconds": elapsed, "base_url": base, "seed": args.seed,
              "triples": health.get("triples"), "build": health.get("build"),
              "query_workers": health.get("workers"), "mix": dict(MIX),
              "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform()},
              **summarize(samples, elapsed)}
    print(table(report))
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(report, indent=2), encoding="utf-8")
    print(f"\nreport: {args.json}")
    return 1 if report["all"]["errors"] else 0


if __name__ == "__main__":
    sys.exit(main())
