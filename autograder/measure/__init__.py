"""Measurement: the throughput benchmark against otter's own loop."""
