"""The analysts' pages at scale: the time `ctkg serve` takes to answer an entity page (product, authority,
company), /landscape and /changes (what's new), p50 and p99 over N requests each, on a built store (of
bench/generate.py's synthetic facts).

    python bench/generate.py --triples 1000000 --out /tmp/pages-1m/data
    ctkg build --data /tmp/pages-1m/data --store /tmp/pages-1m/store
    python bench/pages.py --store /tmp/pages-1m/store --requests 200

Each request goes over one keep-alive connection on 127.0.0.1 from this process, one at a time, so its time is
the server's plus a loopback round trip. Each kind of page cycles through several resources (ids from
bench/generate.py), so that no answer is a repeat of the one before. Targets (issue 13): an entity page p50
≤ 50 ms, /landscape ≤ 300 ms; /changes, a list page like /landscape, is held to the same 300 ms, by default (the
last year) and since a day before every date in the data.
"""

import argparse
import http.client
import itertools
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.generate import authority_id, company_id, product_id  # noqa: E402
from tests.support.servers import CtkgServer  # noqa: E402

HTML = {"Accept": "text/html"}
TARGETS_MS = {"product page": 50, "authority page": 50, "company page": 50, "landscape": 300,
              "landscape, next page": 300, "landscape, by target and class": 300,
              "landscape, PIC/S participants": 300, "changes": 300, "changes, since 2000": 300}


def paths(articles: int) -> dict[str, list[str]]:
    """The pages to time, each kind with the resources it cycles through."""
    files = [f * max(1, articles // 10) for f in range(10)]
    return {
        "product page": [f"/id/product/{product_id(f, k)}" for f in files for k in (0, 1, 3)],
        "authority page": [f"/id/authority/{authority_id(a)}" for a in range(0, 30, 3)],
        "company page": [f"/id/company/{company_id(f, k)}" for f in files for k in (0, 1)],
        "landscape": ["/landscape"],
        "landscape, next page": [f"/landscape?after={product_id(f, 0)}" for f in files],
        "landscape, by target and class": [f"/landscape?target=synthetic-antigen-{a:04d}&class=car-t"
                                           for a in range(0, 10)],
        "landscape, PIC/S participants": ["/landscape?pics=participant"],
        "changes": ["/changes"],
        "changes, since 2000": ["/changes?since=2000-01-01"],
    }


def time_requests(base: str, kind_paths: list[str], requests: int, deadline: float) -> list[float]:
    """Milliseconds per request, `requests` of them (or fewer when `deadline`, a monotonic time, passes)."""
    host, port = base.removeprefix("http://").split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=60)
    times = []
    try:
        for path in itertools.islice(itertools.cycle(kind_paths), requests):
            if time.monotonic() > deadline:
                break
            started = time.perf_counter()
            connection.request("GET", path, headers=HTML)
            response = connection.getresponse()
            body = response.read()
            times.append((time.perf_counter() - started) * 1000)
            if response.status != 200:
                raise RuntimeError(f"{path}: {response.status} {body[:300]!r}")
    finally:
        connection.close()
    return times


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--store", type=Path, required=True, help="a store built by `ctkg build`")
    parser.add_argument("--requests", type=int, default=200, help="requests per kind of page")
    parser.add_argument("--articles", type=int, default=1680,
                        help="how many synthetic articles the data has (bench/generate.py prints it)")
    parser.add_argument("--max-seconds", type=float, default=60, help="time limit per kind of page")
    args = parser.parse_args(argv)
    load_before = os.getloadavg()[0]
    with CtkgServer(args.store, ready_timeout=120) as server:
        rows = []
        for kind, kind_paths in paths(args.articles).items():
            time_requests(server.base, kind_paths[:2], 2, time.monotonic() + 30)  # warm-up
            times = time_requests(server.base, kind_paths, args.requests, time.monotonic() + args.max_seconds)
            p50, p99 = statistics.median(times), percentile(times, 0.99)
            target = TARGETS_MS[kind]
            rows.append((kind, len(times), p50, p99, target, "met" if p50 <= target else "MISSED"))
    print(f"load average (1 min) before {load_before:.2f}, after {os.getloadavg()[0]:.2f}; 2 cores shared")
    print(f"{'page':34} {'requests':>8} {'p50 ms':>8} {'p99 ms':>8} {'target p50':>10}")
    for kind, count, p50, p99, target, verdict in rows:
        print(f"{kind:34} {count:8d} {p50:8.1f} {p99:8.1f} {target:>7} ms {verdict}")


if __name__ == "__main__":
    main()
