"""A rich progress bar on stderr for long imports; a no-op when disabled (tests, --json, pipes)."""

from __future__ import annotations

from types import TracebackType

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, SpinnerColumn, TaskID, TextColumn, TimeElapsedColumn
from rich.progress import Progress as RichProgress


class Progress:
    """Phases ("Reading", "Writing") with an optional total, advanced by lines written."""

    def __init__(self, enabled: bool) -> None:
        self._bar: RichProgress | None = None
        self._task: TaskID | None = None
        if enabled:
            self._bar = RichProgress(
                SpinnerColumn(),
                TextColumn("{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                console=Console(stderr=True),
            )

    def __enter__(self) -> Progress:
        if self._bar is not None:
            self._bar.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._bar is not None:
            self._bar.stop()

    def phase(self, name: str, total: int | None) -> None:
        """Start a new phase; `total` None shows a spinner without a count."""
        if self._bar is None:
            return
        self._task = self._bar.add_task(name, total=total)

    def finish(self, lines: int) -> None:
        """Mark the current phase done after `lines` lines."""
        if self._bar is not None and self._task is not None:
            self._bar.update(self._task, total=lines, completed=lines)

    def advance(self, lines: int) -> None:
        """Count `lines` more as done in the current phase."""
        if self._bar is not None and self._task is not None:
            self._bar.advance(self._task, lines)
