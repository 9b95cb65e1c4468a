"""Benchmarks: speed at catalog sizes, quality on real labelled data."""
