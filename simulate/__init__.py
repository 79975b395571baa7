"""Realistic traffic generator: baseline, campaigns, virality and bot attacks, for the demo, tests and benches."""
