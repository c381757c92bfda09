"""First load of the SPARQL editor (`/`) in headless Chromium on loopback, and the size of what it loads.

    python bench/first_load.py                          # builds data/ into a temporary store first
    python bench/first_load.py --store var/store --runs 21

`ctkg serve` runs on 127.0.0.1 over the store; each run opens `/` in a fresh browser context (an empty cache,
as a first visit has) and reads the page's own Navigation Timing: from the start of the navigation to the end
of its load event, and to the moment the editor (YASQE) has replaced the text area (a mark the page's script
sets). The page's first load does
not query the graph, so the store's size does not change it; the issue's 1M-triple store can be given with
--store all the same. The sizes are of every file the page loaded: as sent (the app does not compress) and
gzip-compressed (level 9, what a compressing proxy in front would send).
"""

import argparse
import gzip
import statistics
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # `python bench/first_load.py` from anywhere: the repository's packages first

import httpx  # noqa: E402

from tests.support.browser import Browser, missing, requests  # noqa: E402
from tests.support.servers import CtkgServer  # noqa: E402

TIMING = """() => {
    const navigation = performance.getEntriesByType('navigation')[0];
    const ready = performance.getEntriesByName('ctkg-editor-ready')[0];  // marked by api/static/editor/editor.js
    return {load: navigation.loadEventEnd - navigation.startTime, ready: ready.startTime - navigation.startTime};
}"""


def first_loads(base: str, runs: int) -> tuple[list[dict], list[str]]:
    """Each run's timings (ms), and the URLs the last run requested."""
    timings, loaded = [], []
    with Browser() as browser:
        for _ in range(runs):
            page = browser.new_page()
            page.goto(base + "/", wait_until="load")
            page.wait_for_selector(".CodeMirror")
            timings.append(page.evaluate(TIMING))
            loaded = requests(page)
            page.context.close()
    return timings, loaded


def sizes(urls: list[str]) -> list[tuple[str, int, int]]:
    """(path, bytes as sent, bytes gzip-compressed) of each URL, fetched once more."""
    out = []
    with httpx.Client() as client:
        for url in dict.fromkeys(urls):
            body = client.get(url).content
            out.append((httpx.URL(url).path, len(body), len(gzip.compress(body, compresslevel=9))))
    return out


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--store", type=Path, help="a built store (default: build data/ into a temporary one)")
    parser.add_argument("--runs", type=int, default=15, help="cold loads to time (default 15)")
    args = parser.parse_args()
    if reason := missing():
        sys.exit(reason)
    with tempfile.TemporaryDirectory() as scratch:
        store = args.store
        if store is None:
            from api.settings import Settings
            from kg.build import build

            store = Path(scratch) / "store"
            build(Settings(ontology_dir=ROOT / "ontology", shapes_dir=ROOT / "shapes", data_dir=ROOT / "data",
                           store_dir=store))
        with CtkgServer(store, Path(scratch) / "server.log", ready_timeout=60) as server:
            timings, loaded = first_loads(server.base, args.runs)
            files = sizes(loaded)

    print(f"First load of / in headless Chromium on loopback, {args.runs} cold contexts (ms)\n")
    print("| from navigation start to | median | p90 | max |\n|---|---:|---:|---:|")
    for key, what in (("load", "the load event's end"), ("ready", "the editor ready")):
        values = [timing[key] for timing in timings]
        print(f"| {what} | {statistics.median(values):.0f} | {percentile(values, 0.9):.0f} | {max(values):.0f} |")
    print("\n| file | bytes as sent | gzip -9 |\n|---|---:|---:|")
    for path, raw, compressed in files:
        print(f"| `{path}` | {raw:,} | {compressed:,} |")
    print(f"| all {len(files)} | {sum(f[1] for f in files):,} | {sum(f[2] for f in files):,} |")


if __name__ == "__main__":
    main()
