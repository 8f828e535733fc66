"""Benchmarks, run as modules from the repository root: ``python -m benchmarks.bench_core``,
``python -m benchmarks.bench_chart`` and ``python -m benchmarks.e2e`` (see scripts/bench)."""
