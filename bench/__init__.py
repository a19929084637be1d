"""Benchmarks. Each measures a baseline in the same run and writes JSON to bench/out/."""
