"""The harness the tests and the benchmarks share: free ports, bounded polling, the processes a server
runs, the real servers (`ctkg serve`, `oxigraph serve`) on 127.0.0.1, and a whole `ctkg build`.

Nothing here imports pytest, so `bench/` uses it as the tests do; a helper raises an ordinary exception,
which a test reports as its failure.
"""
