"""The CTKG benchmark: build a synthetic graph of about N triples and time the build and the competency
questions on every engine, side by side.

    python bench/run.py --triples 100000 --json bench/results/100k.json

Steps, each bounded in time and count, and every server on 127.0.0.1 only:
1. generate the facts files (bench/generate.py) unless they are there already;
2. a full build in a child process (parse / validate / load, peak memory of the process tree), then one
   facts file changed and an incremental build, then the file restored and built again;
3. each competency question (kg/queries/*.rq) on the built store in process, on rdflib in memory, on
   Oxigraph server (`oxigraph serve-read-only`) and through the CTKG API (`ctkg serve`) when it runs;
   each engine in its own process, killed when one query passes the cap (the result is then null);
4. REST lookups and point lookups with 1 and 8 clients, through the API and on Oxigraph server, with the
   CPU the rest of the machine used meanwhile (it is shared).
The table goes to stdout, everything to the JSON file. `--store` reuses a store built before (steps 1-2 are
skipped, and the build figures are left out).
"""

import argparse
import contextlib
import http.client
import itertools
import json
import multiprocessing
import os
import platform
import re
import resource
import shutil
import signal
import statistics
import sys
import threading
import time
import urllib.parse
from pathlib import Path

# Bindings of the questions that take one: the same value on every engine, as a VALUES block at the top of
# the WHERE clause (see `bound_text`). Questions not listed run unbound.
BINDINGS = {
    "decisions-by-product": {"product": "<https://w3id.org/ctkg/id/product/synthetic-product-000000-1>"},
    "authorisation-history": {"product": "<https://w3id.org/ctkg/id/product/synthetic-product-000000-1>"},
    "source-contributions": {"source": "<https://w3id.org/ctkg/id/source/synthetic-article-000000>"},
    "authority-decisions": {"authority": "<https://w3id.org/ctkg/id/authority/synthetic-authority-0000>"},
    "approvals-by-target": {"antigen": "<https://w3id.org/ctkg/id/antigen/synthetic-antigen-0000>"},
    "approvals-as-of": {"asOf": '"2024-06-30"^^<http://www.w3.org/2001/XMLSchema#date>'},
}
PRODUCT = "https://w3id.org/ctkg/id/product/synthetic-product-000000-1"
# Point lookups for the load test, each sent to the API's /sparql and to Oxigraph server: a competency
# question bound to one product, and one resource's statements, plain and as the API's own lookup asks for
# them (with labels, grouped).
POINT_LOOKUPS = {
    "decisions-by-product": lambda: bound_text(_question("decisions-by-product"), "decisions-by-product"),
    "resource-statements": lambda: f"SELECT ?property ?value WHERE {{ <{PRODUCT}> ?property ?value }}",
    "resource-properties": lambda: _api_query("resource-properties", {"resource": f"<{PRODUCT}>"}),
}
# REST lookups for the load test: a product, and /search for a name that is a label (an index lookup) and for
# a part of a name that is nobody's whole name (the build's search index; without one, every name is read).
REST_LOOKUPS = {
    "product": "/products/synthetic-product-000000-1",
    "search-name": "/search?" + urllib.parse.urlencode({"q": "synthetic product 0-1"}),
    "search-part": "/search?" + urllib.parse.urlencode({"q": "thetic product 0-1"}),
    "search-contains": "/search?" + urllib.parse.urlencode({"q": "thetic product 0-1", "match": "contains"}),
    # The lists without a filter, first page and page 50 (of 50 items), and the counts of /stats.
    "products": "/products",
    "products-page-50": "/products?offset=2450",
    "applications": "/applications",
    "applications-page-50": "/applications?offset=2450",
    "stats": "/stats",
}
LOAD_CLIENTS = 8
# `--quick`: the 100k benchmark within about 5 minutes, for a check before committing; rdflib (minutes to load
# 100k triples) only on small graphs.
QUICK = {"runs": 3, "budget_s": 1.0, "cap_s": 20.0, "load_seconds": 1.0, "rdflib_max_triples": 20_000}
REPO = Path(__file__).resolve().parents[1]


# --- small helpers ---


def percentile(samples: list[float], q: float) -> float:
    """Nearest-rank percentile; with fewer than 100 samples p99 is the slowest run."""
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, max(0, int(round(q / 100 * len(ordered) + 0.5)) - 1))]


def bound_text(text: str, name: str) -> str:
    """The question with its bindings as a VALUES block opening every WHERE clause, subqueries included, as
    the API binds values (`kg.sparql_text.bind_values`): one query text for every engine; pyoxigraph's
    substitutions are timed in the `store_subst_ms` column."""
    from kg.sparql_text import bind_values

    return bind_values(text, {var: _ox_term(term) for var, term in BINDINGS.get(name, {}).items()})


def _question(name: str) -> str:
    from kg.query import questions

    return questions()[name].text


def _api_query(name: str, bindings: dict[str, str]) -> str:
    from api.lookups import sparql
    from kg.sparql_text import bind_values

    return bind_values(sparql(name), {var: _ox_term(term) for var, term in bindings.items()})


class TreeMemory(threading.Thread):
    """Samples the resident memory of a process and all its descendants (from /proc), every 0.1 s."""

    def __init__(self, pid: int):
        super().__init__(daemon=True)
        self.pid, self.peak, self.stopped = pid, 0, threading.Event()
        self.page = os.sysconf("SC_PAGE_SIZE")

    def tree(self) -> list[int]:
        children: dict[int, list[int]] = {}
        for entry in os.listdir("/proc"):
            if entry.isdigit():
                try:
                    stat = Path(f"/proc/{entry}/stat").read_text()
                    ppid = int(stat.rsplit(")", 1)[1].split()[1])
                except (OSError, ValueError, IndexError):
                    continue
                children.setdefault(ppid, []).append(int(entry))
        out, todo = [], [self.pid]
        while todo:
            pid = todo.pop()
            out.append(pid)
            todo.extend(children.get(pid, []))
        return out

    def run(self) -> None:
        while not self.stopped.wait(0.1):
            total = 0
            for pid in self.tree():
                try:
                    total += int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * self.page
                except (OSError, ValueError, IndexError):
                    pass
            self.peak = max(self.peak, total)


class CpuElsewhere:
    """How many cores the rest of the machine kept busy during a measurement: the whole machine's busy time
    (/proc/stat) minus that of this process and its descendants (the servers, engines and clients)."""

    def __init__(self):
        self.tick = os.sysconf("SC_CLK_TCK")

    @staticmethod
    def machine_busy() -> int:
        fields = [int(x) for x in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
        return sum(fields) - fields[3] - fields[4]  # all but idle and iowait

    @staticmethod
    def tree_busy() -> int:
        busy = 0
        for pid in TreeMemory(os.getpid()).tree():
            try:
                stat = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
                busy += sum(int(x) for x in stat[11:15])  # utime stime cutime cstime
            except (OSError, ValueError, IndexError):
                pass
        return busy

    def __enter__(self):
        self.start = (time.monotonic(), self.machine_busy(), self.tree_busy())
        return self

    def __exit__(self, *exc):
        t0, machine0, tree0 = self.start
        elapsed = time.monotonic() - t0
        others = (self.machine_busy() - machine0) - (self.tree_busy() - tree0)
        self.cores = max(0.0, others / self.tick / elapsed) if elapsed > 0 else 0.0


# --- the processes the benchmark starts: all of them stopped when it ends ---


class Stopped(Exception):
    """The benchmark was told to stop by a signal (SIGTERM, SIGHUP)."""

    def __init__(self, signum: int):
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


def _running_children(before: set[int]) -> list[int]:
    """The live processes under this one but those under the children in `before` (started before the
    benchmark, as a test session's servers when a test calls `main`) and multiprocessing's resource tracker
    (which ends with this process)."""
    from tests.support.processes import children, descendants, is_dead

    found = []
    mine = [pid for pid in children(os.getpid()) if pid not in before]
    for pid in (each for child in mine for each in descendants(child)):
        try:
            if is_dead(pid) or b"resource_tracker" in Path(f"/proc/{pid}/cmdline").read_bytes():
                continue
        except OSError:
            continue
        found.append(pid)
    return found


def kill_tree(pid: int) -> None:
    """SIGKILL `pid` and every process under it (a build's forkserver and its workers with the build)."""
    from tests.support.processes import descendants

    for each in descendants(pid):
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(each, signal.SIGKILL)


def _command(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")[:80].strip()
    except OSError:
        return "?"


@contextlib.contextmanager
def children_stopped(grace_s: float = 5.0):
    """Run the block with SIGTERM and SIGHUP raising `Stopped`, so that every `finally` of the benchmark runs as
    for Ctrl-C (servers stopped, engines and builds killed); then stop whatever it started that still runs: a
    SIGTERM, and a SIGKILL after `grace_s`. Says on stderr how the benchmark ended and what it stopped."""
    def stop(signum, _frame):
        raise Stopped(signum)

    from tests.support.processes import children

    before = set(children(os.getpid()))
    main_thread = threading.current_thread() is threading.main_thread()  # signal handlers are set there only
    handled = (signal.SIGTERM, signal.SIGHUP)
    previous = {s: signal.signal(s, stop) for s in handled} if main_thread else {}
    ending = None
    try:
        yield
    except Stopped as exc:
        ending = f"stopped by {exc}"
        raise
    except KeyboardInterrupt:
        ending = "interrupted"
        raise
    except SystemExit as exc:
        if exc.code not in (0, None):  # --help, or an argument error that argparse has explained
            ending = f"ended (exit code {exc.code})"
        raise
    except BaseException as exc:
        ending = f"failed ({exc.__class__.__name__}: {str(exc)[:200]})"
        raise
    finally:
        for s in previous:
            signal.signal(s, signal.SIG_IGN)  # a second SIGTERM must not cut the clean-up short
        left = {pid: _command(pid) for pid in _running_children(before)}
        for pid in left:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + grace_s
        while _running_children(before) and time.monotonic() < deadline:
            time.sleep(0.1)
        for pid in _running_children(before):
            left.setdefault(pid, _command(pid))
            kill_tree(pid)
        for s, handler in previous.items():
            signal.signal(s, handler)
        if ending or left:
            stopped = "; ".join(f"{pid} {command}" for pid, command in left.items())
            print(f"bench: {ending or 'finished'}; every process it started is stopped"
                  + (f" ({len(left)} still running were killed: {stopped})" if left else ""), file=sys.stderr)


# --- the build, in a child process ---


def _build_child(data: str, store: str, full: bool, out) -> None:
    from kg.build import build
    from kg.settings import Settings

    t0 = time.perf_counter()
    report = build(Settings(data_dir=Path(data), store_dir=Path(store)), full=full)
    out.send({
        "mode": report.mode, "triples": report.triples, "quads": report.quads, "sources": report.sources,
        "wall_s": time.perf_counter() - t0, "seconds": report.seconds, "phases": report.phases, "cpu": report.cpu,
        "compiled": report.compiled, "changed": report.changed, "build_dir": str(report.build_dir),
        "self_peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    })


def timed_build(data: Path, store: Path, full: bool, limit_s: float) -> dict:
    mp = multiprocessing.get_context("spawn")
    receive, send = mp.Pipe(duplex=False)
    child = mp.Process(target=_build_child, args=(str(data), str(store), full, send))
    child.start()
    memory = TreeMemory(child.pid)
    memory.start()
    try:
        ready = receive.poll(limit_s)
        result = receive.recv() if ready else None
        child.join(5 if ready else 0)
    finally:  # a build past its limit, or a benchmark stopped meanwhile: the build's workers go with it
        kill_tree(child.pid)
        child.join(10)
        memory.stopped.set()
        memory.join()
    if result is None:
        raise RuntimeError(f"the build did not finish within {limit_s:.0f} s (exit code {child.exitcode})")
    result["tree_peak_rss_mb"] = memory.peak / 2**20
    return result


# --- engines: each in its own process, so a query over the cap can be killed ---


def _engine(kind: str, config: dict, conn) -> None:
    """Serve (name, text, bindings, runs, budget) requests: run the query, reply with rows and timings."""
    t0 = time.perf_counter()
    if kind in ("store", "store_subst"):
        import pyoxigraph as ox

        from kg.query import run

        store = ox.Store.read_only(config["location"])

        def execute(text, bindings):
            subst = {k: _ox_term(v) for k, v in bindings.items()} if kind == "store_subst" else {}
            return sum(1 for _ in run(store, text, subst))

        count = int  # in process, running the query to its last row is the work timed, and the count
    elif kind == "rdflib":
        from rdflib import Dataset

        from kg.vocab import PREFIXES

        dataset = Dataset(default_union=True)
        dataset.parse(config["nquads"], format="nquads")

        def execute(text, bindings):
            return sum(1 for _ in dataset.query(text, initNs=PREFIXES))

        count = int
    else:  # an HTTP endpoint on 127.0.0.1
        from kg.vocab import sparql_prologue

        connection = [http.client.HTTPConnection("127.0.0.1", config["port"], timeout=config["cap_s"])]

        def post(body):
            # Each run answered anew: the API would answer a repeated question from its answer cache.
            connection[0].request("POST", config["path"], body=body, headers={
                "Content-Type": "application/x-www-form-urlencoded", "Accept": "application/sparql-results+json",
                "Cache-Control": "no-cache"})
            response = connection[0].getresponse()
            return response, response.read()

        def execute(text, bindings):
            body = urllib.parse.urlencode({"query": sparql_prologue() + text})
            try:
                response, payload = post(body)
            except (OSError, http.client.HTTPException):
                # A kept-alive connection the server closed (or one left broken by a failed request): one
                # new connection, one more try.
                connection[0].close()
                connection[0] = http.client.HTTPConnection("127.0.0.1", config["port"], timeout=config["cap_s"])
                response, payload = post(body)
            if response.status != 200:
                raise RuntimeError(f"HTTP {response.status}: {payload[:200]!r}")
            return payload

        def count(payload):  # after the timing: what a client does with the answer is not the endpoint's time
            return len(json.loads(payload)["results"]["bindings"])
    conn.send({"ready_s": time.perf_counter() - t0})
    while True:
        request = conn.recv()
        if request is None:
            return
        name, text, bindings, runs, budget = request
        try:
            samples, rows = [], 0
            start = time.perf_counter()
            for i in range(runs + 1):  # the first run warms caches and is not counted, unless it is the only one
                t = time.perf_counter()
                answer = execute(text, bindings)
                took = (time.perf_counter() - t) * 1000
                rows = count(answer)
                if i > 0 or time.perf_counter() - start > budget / 2:
                    samples.append(took)
                if time.perf_counter() - start > budget and samples:
                    break
            conn.send({"rows": rows, "samples_ms": samples})
        except Exception as exc:  # reported as this engine's error for this question
            conn.send({"error": f"{exc.__class__.__name__}: {str(exc)[:300]}"})


def _ox_term(text: str):
    import pyoxigraph as ox

    if text.startswith("<"):
        return ox.NamedNode(text[1:-1])
    lexical, _, datatype = text.partition("^^")
    return ox.Literal(lexical.strip('"'), datatype=ox.NamedNode(datatype[1:-1]))


class Engine:
    def __init__(self, kind: str, config: dict, setup_limit_s: float):
        self.kind, self.config, self.setup_limit_s = kind, config, setup_limit_s
        self.process = None
        self.ready_s = None
        self.error = None

    def start(self) -> bool:
        mp = multiprocessing.get_context("spawn")
        self.conn, child_conn = mp.Pipe()
        self.process = mp.Process(target=_engine, args=(self.kind, self.config, child_conn), daemon=True)
        self.process.start()
        if not self.conn.poll(self.setup_limit_s):
            self.error = f"not ready within {self.setup_limit_s:.0f} s"
            self.stop()
            return False
        try:
            self.ready_s = self.conn.recv()["ready_s"]
        except EOFError:
            self.error = "the engine process died while starting"
            self.stop()
            return False
        return True

    def ask(self, name: str, text: str, bindings: dict, runs: int, budget: float, cap: float) -> dict:
        if self.process is None and not self.start():
            return {"error": self.error}
        self.conn.send((name, text, bindings, runs, budget))
        # One run may take up to the cap; the loop stops after the budget.
        if not self.conn.poll(budget + cap + 5):
            self.stop()
            return {"error": f"timeout: a run took more than {cap:.0f} s"}
        try:
            return self.conn.recv()
        except EOFError:
            self.stop()
            return {"error": "the engine process died"}

    def stop(self) -> None:
        if self.process is not None:
            if self.process.is_alive():
                try:
                    self.conn.send(None)
                except (OSError, ValueError):
                    pass
                self.process.join(2)
            if self.process.is_alive():
                self.process.kill()
                self.process.join()
        self.process = None


# --- load: requests from several clients at once, bounded in count and time ---


def hammer(port: int, method: str, path: str, body: bytes | None, headers: dict, clients: int,
           seconds: float, max_requests: int, distinct=None) -> dict:
    """`clients` threads, each with a kept-alive connection, sending the same request until `seconds` have
    passed or `max_requests` were sent; with `distinct` (a function of the request's number), the body of
    each request is `body + distinct(n)` instead, so that no two are the same. Only 200 answers are timed; the
    others are counted by kind (an HTTP status, or the exception)."""
    latencies: list[float] = []
    errors: dict[str, int] = {}
    lock = threading.Lock()
    stop_at = time.monotonic() + seconds

    def client() -> None:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        mine, failed = [], {}
        for _ in range(max_requests // clients):
            if time.monotonic() > stop_at:
                break
            t = time.perf_counter()
            try:
                sent = body if distinct is None else body + distinct(next(request_numbers))
                connection.request(method, path, body=sent, headers=headers)
                response = connection.getresponse()
                response.read()
                outcome = str(response.status)
            except (OSError, http.client.HTTPException) as exc:
                outcome = type(exc).__name__
                connection.close()
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            if outcome == "200":
                mine.append((time.perf_counter() - t) * 1000)
            else:
                failed[outcome] = failed.get(outcome, 0) + 1
        connection.close()
        with lock:
            latencies.extend(mine)
            for kind, n in failed.items():
                errors[kind] = errors.get(kind, 0) + n

    started = time.perf_counter()
    threads = [threading.Thread(target=client) for _ in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - started
    out = {"clients": clients, "requests": len(latencies), "errors": sum(errors.values()), "error_kinds": errors,
           "seconds": elapsed}
    if latencies:
        out.update({"rps": len(latencies) / elapsed, "p50_ms": statistics.median(latencies),
                    "p99_ms": percentile(latencies, 99)})
    return out


# The numbers of distinct requests, for the whole run: a measurement that counted from 0 again would send the
# queries an earlier one sent (the 1-client run before the 8-client one), which the API then answers from its
# answer cache. next() on it is atomic under the GIL.
request_numbers = itertools.count()


def distinct_query(n: int) -> bytes:
    """What makes a point lookup's form the n-th distinct query: a trailing `VALUES ?request_n { 1 }`, a join
    with one row binding a variable the query does not select (the same answer, from the same work)."""
    return b"%0AVALUES+%3Frequest_" + str(n).encode() + b"+%7B+1+%7D"


def sparql_request(text: str) -> tuple[bytes, dict]:
    from kg.vocab import sparql_prologue

    return (urllib.parse.urlencode({"query": sparql_prologue() + text}).encode(),
            {"Content-Type": "application/x-www-form-urlencoded", "Accept": "application/sparql-results+json"})


# --- the benchmark ---


def machine() -> dict:
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor())
    memory = next((int(line.split()[1]) // 1024 for line in Path("/proc/meminfo").read_text().splitlines()
                   if line.startswith("MemTotal")), 0)
    versions = {}
    from importlib import metadata

    for dist in ("rdflib", "pyoxigraph", "pyshacl", "oxigraph", "fastapi", "uvicorn"):
        try:
            versions[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            versions[dist] = None
    return {"cpu": cpu, "cores": os.cpu_count(), "memory_mb": memory, "python": platform.python_version(),
            "os": platform.platform(), "versions": versions,
            "note": "shared machine: other engineers' tests may run at the same time"}


def change_one_file(data: Path) -> tuple[Path, str]:
    """An edit an analyst might make: one more alias on a product. Returns the file and its old text."""
    path = sorted((data / "articles").glob("*.yaml"))[len(list((data / "articles").glob("*.yaml"))) // 2]
    old = path.read_text(encoding="utf-8")
    new = re.sub(r'(\n  - id: "synthetic-product-(\d+)-1"\n)', r'\1    note: "edited for the benchmark"\n', old,
                 count=1)
    path.write_text(new, encoding="utf-8")
    return path, old


def main(argv: list[str] | None = None) -> int:
    """The benchmark; every process it starts is stopped when it ends, however it ends (see `children_stopped`)."""
    with children_stopped():
        return benchmark(argv)


def benchmark(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Build a synthetic CTKG graph and time it on every engine.")
    parser.add_argument("--triples", type=int, required=True)
    parser.add_argument("--json", type=Path, help="write the results here")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--work", type=Path, default=REPO / "var" / "bench", help="data and stores go here")
    parser.add_argument("--cap-s", type=float, default=60.0, help="a query slower than this is stopped (null)")
    parser.add_argument("--runs", type=int, default=20, help="timed runs per question and engine, at most")
    parser.add_argument("--budget-s", type=float, default=10.0, help="time per question and engine, about")
    parser.add_argument("--rdflib-max-triples", type=int, default=300_000, help="skip rdflib above this size")
    parser.add_argument("--build-limit-s", type=float, default=1800.0)
    parser.add_argument("--load-seconds", type=float, default=5.0, help="duration of each 8-client load")
    parser.add_argument("--skip", action="append", default=[],
                        choices=["rdflib", "oxigraph_server", "http", "incremental", "questions", "load"])
    parser.add_argument("--quick", action="store_true",
                        help="a check before committing: " + ", ".join(f"--{k.replace('_', '-')} {v:g}"
                                                                      for k, v in QUICK.items()) + " unless given")
    parser.add_argument("--store", type=Path, help="a store built before (`ctkg build --store`): no generation "
                                                   "and no build; time the questions and the load on its current build")
    if parser.parse_known_args(argv)[0].quick:
        parser.set_defaults(**QUICK)
    args = parser.parse_args(argv)

    from kg.query import questions

    results: dict = {"triples_requested": args.triples, "seed": args.seed, "machine": machine(),
                     "started_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                     "cap_s": args.cap_s, "runs": args.runs, "budget_s": args.budget_s}
    if args.store:
        store = args.store.resolve()
        location = prebuilt(store, results)
    else:
        store = args.work / f"store-{args.triples}-seed{args.seed}"
        location = generate_and_build(args, store, results)

    engines: dict[str, Engine] = {
        "store": Engine("store", {"location": location}, 120),
        "store_subst": Engine("store_subst", {"location": location}, 120),
    }
    # The servers, started below by tests.support.servers (the harness the tests use): each a name and how to
    # start it. Imported here, not at the top, so that `python bench/run.py` has put the repository on sys.path.
    from tests.support.servers import CtkgServer, OxigraphServer

    servers = []
    if "rdflib" not in args.skip and results["triples"] <= args.rdflib_max_triples:
        import pyoxigraph as ox

        nquads = args.work / f"dump-{args.triples}-seed{args.seed}.nq"
        ox.Store.read_only(location).dump(str(nquads), ox.RdfFormat.N_QUADS)
        engines["rdflib"] = Engine("rdflib", {"nquads": str(nquads)}, 1800)
    if "oxigraph_server" not in args.skip and shutil.which("oxigraph"):
        servers.append(("oxigraph_server", "/query", lambda: OxigraphServer(
            Path(location), read_only=True, timeout_s=int(args.cap_s), ready_timeout=60)))
    # --- HTTP API hook: measured through `ctkg serve` when the API can be built (api.app.create_app) ---
    if "http" not in args.skip and api_available():
        # The load test's clients all come from 127.0.0.1: the per-client cap (4 by default) would answer most
        # of its 8 clients' requests with 429.
        servers.append(("http", "/sparql", lambda: CtkgServer(
            store, ready_timeout=60, query_timeout_s=args.cap_s, max_rows=100_000_000,
            max_concurrent_per_client=4 * LOAD_CLIENTS)))

    started = []
    try:
        for name, path, start in servers:
            try:
                server = start()
            except (RuntimeError, TimeoutError) as exc:
                results.setdefault("errors", {})[name] = str(exc)
                continue
            started.append((name, server))
            engines[name] = Engine("http", {"port": server.port, "path": path, "cap_s": args.cap_s}, 60)
        if "questions" not in args.skip:
            with CpuElsewhere() as elsewhere:
                results["questions"] = run_questions(questions(), engines, args)
            results["questions_cpu_elsewhere"] = elsewhere.cores
        if "load" not in args.skip:
            results["load"] = run_load(engines, started, location, args)
    finally:
        for engine in engines.values():
            engine.stop()
        for _, server in started:
            server.stop()
    results["engine_ready_s"] = {k: e.ready_s for k, e in engines.items()}
    print(table(results))
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(results, indent=2, sort_keys=True), encoding="utf-8")
        print(f"wrote {args.json}", file=sys.stderr)
    return 0


def generate_and_build(args, store: Path, results: dict) -> str:
    """Steps 1 and 2: the facts files, a full build, an incremental one and a restore. Returns the location
    of the Oxigraph store of the last build."""
    from bench.generate import generate

    data = args.work / f"data-{args.triples}-seed{args.seed}"
    if not (data / "synthetic-reference.yaml").exists():
        generate(data, args.triples, args.seed)
    shutil.rmtree(store, ignore_errors=True)
    print(f"building {data} ...", file=sys.stderr)
    full = timed_build(data, store, full=True, limit_s=args.build_limit_s)
    results.update({
        "triples": full["triples"], "quads": full["quads"], "sources": full["sources"],
        "build_s": full["seconds"]["total"], "parse_s": full["seconds"]["parse"],
        "validate_s": full["seconds"]["validate"], "load_s": full["seconds"]["load"],
        "peak_rss_mb": full["tree_peak_rss_mb"], "build": full,
    })
    if "incremental" not in args.skip:
        path, old = change_one_file(data)
        try:
            changed = timed_build(data, store, full=False, limit_s=args.build_limit_s)
        finally:
            path.write_text(old, encoding="utf-8")
        restored = timed_build(data, store, full=False, limit_s=args.build_limit_s)
        results["incremental"] = {"changed_file": str(path), "edit": changed, "restore": restored}
        results["incremental_s"] = changed["seconds"]["total"]
    return str(Path(full["build_dir"]) if "incremental" in args.skip else
               Path(results["incremental"]["restore"]["build_dir"])) + "/oxigraph"


def prebuilt(store: Path, results: dict) -> str:
    """A store built before: its current build's size from the manifest. Returns its Oxigraph location."""
    build_dir = (store / "current").resolve()
    manifest = json.loads((build_dir / "manifest.json").read_text(encoding="utf-8"))
    results.update({"prebuilt_store": str(build_dir), "build": None, "triples": manifest.get("triples"),
                    "quads": manifest.get("quads"), "sources": len(manifest.get("sources", []))})
    return str(build_dir / "oxigraph")


def api_available() -> bool:
    try:
        import api.app

        api.app.create_app  # noqa: B018 - only whether it is there
    except Exception:  # the API is optional for this benchmark
        return False
    return True


def run_questions(named: dict, engines: dict, args) -> dict:
    out = {}
    for name, question in named.items():
        text = bound_text(question.text, name)
        bindings = BINDINGS.get(name, {})
        row: dict = {"bound": bindings}
        for kind, engine in engines.items():
            if kind == "store_subst" and not bindings:
                continue
            print(f"{name} on {kind} ...", file=sys.stderr)
            answer = engine.ask(name, question.text if kind == "store_subst" else text, bindings,
                                args.runs, args.budget_s, args.cap_s)
            column = {"store": "store", "store_subst": "store_subst", "rdflib": "rdflib",
                      "oxigraph_server": "oxigraph_server", "http": "http"}[kind]
            if "error" in answer:
                row[f"{column}_ms"] = None
                row[f"{column}_error"] = answer["error"]
                continue
            row[f"{column}_ms"] = statistics.median(answer["samples_ms"])
            row[f"{column}_p99_ms"] = percentile(answer["samples_ms"], 99)
            row[f"{column}_runs"] = len(answer["samples_ms"])
            row.setdefault("rows", answer["rows"])
            if answer["rows"] != row["rows"]:
                row[f"{column}_rows"] = answer["rows"]
        for column in ("http", "oxigraph_server", "rdflib"):
            row.setdefault(f"{column}_ms", None)
        out[name] = row
    return out


def run_load(engines: dict, servers: list, location: str, args) -> dict:
    """Point lookups through the API's /sparql and on Oxigraph server, and REST lookups, each with 1 and with
    8 clients; each measurement notes the cores the rest of the machine kept busy meanwhile."""
    out: dict = {}

    def measure(key: str, port: int, method: str, path: str, body, headers, distinct=None) -> None:
        for clients in (1, LOAD_CLIENTS):
            print(f"load: {key}, {clients} client(s) ...", file=sys.stderr)
            with CpuElsewhere() as elsewhere:
                m = hammer(port, method, path, body, headers, clients, args.load_seconds, 100_000, distinct)
            out[f"{key}_{clients}_client{'s' if clients > 1 else ''}"] = {**m, "cpu_elsewhere": elsewhere.cores}
            for name, server in servers:
                if (death := server.died()) is not None:
                    out.setdefault("servers_died", {}).setdefault(name, {**death, "during": key})

    ports = {}
    with contextlib.ExitStack() as stack:
        if "oxigraph_server" in engines:
            # A server of its own, without --timeout-s: Oxigraph 0.5.13 keeps one thread per query alive for the
            # whole timeout (6,164 threads after 6,157 queries with --timeout-s 60, 5 without), and thousands of
            # queries a second then abort it ("failed to allocate an alternative stack"). The same was reported
            # in OriginTrail/dkg#1757.
            from tests.support.servers import OxigraphServer

            server = stack.enter_context(OxigraphServer(Path(location), read_only=True, ready_timeout=60))
            servers = [*servers, ("oxigraph_server_for_load", server)]
            ports["oxigraph_server"] = server.port
        if "http" in engines:
            ports["http"] = engines["http"].config["port"]
        # Each point lookup cold (every request a distinct query: nothing the API keeps can answer it), then
        # warm (the same query again and again: the API answers from its answer cache, api.cache).
        for name, text in POINT_LOOKUPS.items():
            body, headers = sparql_request(text())
            for warmth, distinct in (("cold", distinct_query), ("warm", None)):
                for kind, path in (("oxigraph_server", "/query"), ("http", "/sparql")):
                    if kind in ports:
                        measure(f"{kind}_{name}_{warmth}", ports[kind], "POST", path, body, headers, distinct)
        if "http" in ports:
            for name, path in REST_LOOKUPS.items():
                measure(f"rest_{name}", ports["http"], "GET", path, None, {"Accept": "application/json"})
    return out


def _ms(value) -> str:
    return "—" if value is None else (f"{value:,.1f}" if value < 100 else f"{value:,.0f}")


def _ratio(a, b) -> str:
    return "—" if a is None or b is None or b == 0 else f"{a / b:,.1f}×"


def load_summary(load: dict) -> list[str]:
    """The point lookups with 8 clients, cold (distinct queries) and warm (one query repeated): the API's
    requests/s beside Oxigraph server's, on the same data and queries in the same run."""
    lines = []
    for name in POINT_LOOKUPS:
        for warmth in ("cold", "warm"):
            api, server = (load.get(f"{kind}_{name}_{warmth}_{LOAD_CLIENTS}_clients", {}).get("rps")
                           for kind in ("http", "oxigraph_server"))
            if api is not None and server:
                lines.append(f"| {name} | {warmth} | {api:,.0f} | {server:,.0f} | {100 * api / server:.0f}% |")
    if not lines:
        return []
    return ["", f"| point lookup, {LOAD_CLIENTS} clients | queries | API /sparql, requests/s | Oxigraph server "
            "| API ÷ server |", "|---|---|---|---|---|", *lines]


def table(results: dict) -> str:
    b = results["build"]
    lines = [f"## {results['triples']:,} triples ({results['quads']:,} quads, {results['sources']} facts files)", ""]
    if b is None:
        lines.append(f"(a store built before: {results['prebuilt_store']})")
    else:
        lines += [
            "| build | seconds |", "|---|---|",
            f"| full build, total | {results['build_s']:.1f} |",
            f"| parse / validate / load | {results['parse_s']:.1f} / {results['validate_s']:.1f} "
            f"/ {results['load_s']:.1f} |",
            f"| files read and checked in parallel (wall) | {b['phases'].get('compile', 0):.1f} |",
            f"| graph-wide checks (wall) | {b['phases'].get('check', 0):.1f} |",
            f"| peak memory, process tree (MB) | {results['peak_rss_mb']:,.0f} |",
        ]
    if "incremental_s" in results:
        inc = results["incremental"]["edit"]
        lines.append(f"| incremental build, one file changed | {results['incremental_s']:.2f} "
                     f"({inc['compiled']} file read, {inc['changed']} graph replaced) |")
    lines += ["", "| question | rows | store p50 / p99 ms | store, substitutions | API /sparql | Oxigraph server "
              "| rdflib | API ÷ store | server ÷ store | rdflib ÷ store |", "|---|---|---|---|---|---|---|---|---|---|"]
    for name, row in results.get("questions", {}).items():
        store = row.get("store_ms")
        lines.append(
            f"| {name} | {row.get('rows', '—')} | {_ms(store)} / {_ms(row.get('store_p99_ms'))} "
            f"| {_ms(row.get('store_subst_ms')) if row['bound'] else ''} | {_ms(row['http_ms'])} "
            f"| {_ms(row['oxigraph_server_ms'])} | {_ms(row['rdflib_ms'])} | {_ratio(row['http_ms'], store)} "
            f"| {_ratio(row['oxigraph_server_ms'], store)} | {_ratio(row['rdflib_ms'], store)} |")
    load = results.get("load") or {}
    if load:
        lines += ["", "| load (127.0.0.1) | clients | requests/s | p50 ms | p99 ms | errors | other CPU, cores |",
                  "|---|---|---|---|---|---|---|"]
        for name, m in load.items():
            if name == "servers_died":
                continue
            if m.get("requests"):
                lines.append(f"| {name} | {m['clients']} | {m['rps']:,.1f} | {_ms(m['p50_ms'])} | {_ms(m['p99_ms'])} "
                             f"| {m['errors'] or ''} | {m['cpu_elsewhere']:.2f} |")
            else:
                lines.append(f"| {name} | {m['clients']} | failed: {m['error_kinds']} | | | | |")
    lines += load_summary(load)
    for name, death in load.get("servers_died", {}).items():
        lines.append(f"\n{name} exited with code {death['exit_code']} during {death['during']}: "
                     f"{death['log'][-200:]!r}")
    return "\n".join(lines)


if __name__ == "__main__":
    if str(REPO) not in sys.path:  # `python bench/run.py` from anywhere: the repository's packages first
        sys.path.insert(0, str(REPO))
    try:
        sys.exit(main())
    except Stopped as stopped:
        sys.exit(128 + stopped.signum)
    except KeyboardInterrupt:
        sys.exit(128 + signal.SIGINT)
