"""Run one benchmark step in a child process and measure it: wall time, CPU time (user +
system) and peak resident memory (the child's, including the processes it waited for).

Linux counts in a child's peak RSS the pages it shared with its parent at fork, before exec:
a peak is never below the harness process's own resident size (about 100-150 MB; pytest's
when a test measures). That is a floor on small steps, negligible on the GB-sized ones."""

from __future__ import annotations

import os
import subprocess
import time
from dataclasses import asdict, dataclass
from pathlib import Path


@dataclass
class Measurement:
    step: str
    lines: int | None
    wall_seconds: float
    cpu_seconds: float
    peak_rss_mb: float
    returncode: int
    log: str
    note: str = ""

    @property
    def ok(self) -> bool:
        return self.returncode == 0

    def as_dict(self) -> dict:
        return asdict(self)


def run_measured(
    step: str,
    args: list[str],
    log_path: Path,
    *,
    lines: int | None = None,
    env: dict[str, str] | None = None,
    cwd: Path | None = None,
    note: str = "",
) -> Measurement:
    """Run `args` with output to log_path; os.wait4 gives this child's own resource usage."""
    log_path.parent.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    with log_path.open("wb") as log:
        process = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT, env=env, cwd=cwd)
        _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)  # reaped here, not by Popen.wait
    return Measurement(
        step=step,
        lines=lines,
        wall_seconds=round(wall, 2),
        cpu_seconds=round(usage.ru_utime + usage.ru_stime, 2),
        peak_rss_mb=round(usage.ru_maxrss / 1024, 1),  # Linux reports KiB
        returncode=process.returncode,
        log=str(log_path),
        note=note,
    )
