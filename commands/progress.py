"""A progress bar on stderr (rich) for backfills: the collectors report lines read through a callback."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.progress import MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn


@contextmanager
def line_bar(label: str = "lines") -> Iterator[Callable[[int], None]]:
    """A bar advanced by each call's number of lines (the collectors call it once per block they read)."""
    columns = [TextColumn(f"[bold]{label}"), MofNCompleteColumn(), TimeElapsedColumn()]
    with Progress(*columns, console=Console(stderr=True), transient=False) as bar:
        task = bar.add_task(label, total=None)
        yield lambda n: bar.advance(task, n)
