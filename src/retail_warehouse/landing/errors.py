"""The one error type the landing layer raises for bad input."""

from __future__ import annotations

from pathlib import Path


class InputFileError(ValueError):
    """A raw input file cannot be landed. The message names file, column and expectation."""

    def __init__(
        self,
        path: Path | str,
        problem: str,
        *,
        column: str | None = None,
        expected: str | None = None,
    ):
        self.path = str(path)
        self.problem = problem
        self.column = column
        self.expected = expected
        parts = [f"input file {self.path}: {problem}"]
        if column is not None:
            parts.append(f"column: {column}")
        if expected is not None:
            parts.append(f"expected: {expected}")
        super().__init__("; ".join(parts))
