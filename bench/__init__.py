"""The benchmark: cold starts, AWS requests per operation, state transitions, cost and throughput.

``make bench`` (``python -m bench.run``) prints them as one table; see docs/benchmarks.md. Measurements, not
timed tests: nothing here runs under pytest.
"""
