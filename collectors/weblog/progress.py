"""A progress bar on stderr (rich) around an iterable of lines or a run of blocks, for backfills."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager


def with_progress(lines: Iterable[str], total: int | None = None, label: str = "lines") -> Iterator[str]:
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    columns = [TextColumn(f"[bold]{label}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn()]
    with Progress(*columns, console=Console(stderr=True), transient=False) as bar:
        task = bar.add_task(label, total=total)
        n = 0
        for line in lines:
            yield line
            n += 1
            if n % 20_000 == 0:
                bar.update(task, completed=n)
        bar.update(task, completed=n)


@contextmanager
def block_progress(label: str = "lines") -> Iterator[Callable[[int], None]]:
    """A bar advanced by the number of lines of each block (the binary backfill reads no single line)."""
    from rich.console import Console
    from rich.progress import MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    columns = [TextColumn(f"[bold]{label}"), MofNCompleteColumn(), TimeElapsedColumn()]
    with Progress(*columns, console=Console(stderr=True), transient=False) as bar:
        task = bar.add_task(label, total=None)
        yield lambda n: bar.advance(task, n)
