"""Time-series backends and the SQLite state DB: the one place data is kept."""
