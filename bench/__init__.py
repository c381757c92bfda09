"""Benchmarks: a synthetic data generator (`generate.py`) and the benchmark runner (`run.py`)."""
