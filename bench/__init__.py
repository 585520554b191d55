"""Benchmarks: ``python -m bench.NAME --help`` says what each measures."""
