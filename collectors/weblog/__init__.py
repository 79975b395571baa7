"""The access-log pipeline: parse → client address → enrich → privacy → aggregate.

Each step is a small module here; ``pipeline.ingest_lines`` runs them over lines and
writes whole 10-second buckets to a time-series store. Raw addresses and user agents
live only inside the enrich step; what leaves it holds neither.
"""
