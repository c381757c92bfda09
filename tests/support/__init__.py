"""The harness the tests and the benchmarks share: free ports, bounded polling, the processes a server
runs, the real servers (`ctkg serve`, `oxigraph serve`) on 127.0.0.1, and a whole `ctkg build`; and what
several test modules send or build: SPARQL sent to a real server (`queries`), hostile input (`hostile`),
and data folders of chosen facts files (`data`).

Nothing here imports pytest, so `bench/` uses it as the tests do; a helper raises an ordinary exception,
which a test reports as its failure.
"""
