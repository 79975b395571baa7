"""Commands: the thin command-line side of every library (parse, call, print).

``cli.py`` is the entry point; each module here turns its arguments into library calls and
prints the result (tables, JSON, progress bars). Only this package and ``cli.py`` use typer
and rich.
"""
