"""Benchmarks: `python -m benchmarks` (or `make bench`); see __main__ for what runs."""
