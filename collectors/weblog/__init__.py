"""The access-log pipeline: parse → client address → enrich → privacy → aggregate.

Each step is a small module here; one block engine (``columnar``, fed by ``blocks``) runs them
over blocks of lines for the live tail and for backfills alike, and ``pipeline`` writes whole
10-second buckets to a time-series store. Raw addresses and user agents are read by the
client-address, enrich and privacy steps, and the aggregate step keys its per-bucket sets by
them in memory (distinct clients, visitors, networks); what it writes to the store holds only
counts, classes, masked prefixes and salted sketches.
"""
