"""Collectors: each module reads one source and writes privacy-safe aggregates to the store."""
