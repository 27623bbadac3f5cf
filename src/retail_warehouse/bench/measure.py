"""Run one benchmark step in a child process and measure it: wall time, CPU time (user +
system) and peak resident memory (the step's, including the processes it waited for).

Linux counts in a process's peak RSS the pages it shared with its parent at fork, before exec,
so a step forked straight from the harness (or from pytest, which holds test data) would never
measure below its parent's size. Each step is therefore started by a small launcher process
(`python -m retail_warehouse.bench.measure`, a bare interpreter of ~10 MB) that forks the step,
waits for it with wait4 and reports the step's own figures in a JSON file."""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import resource
import signal
import subprocess
import sys
import tempfile
import threading
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
    memory_cap_mb: int | None = None,
    timeout_seconds: float | None = None,
) -> Measurement:
    """Run `args` with output to log_path, through the launcher, and measure it.

    memory_cap_mb caps the step's address space (RLIMIT_AS), so a step that would need more
    memory than the machine has fails with MemoryError instead of waking the OOM killer.
    timeout_seconds stops the step (its whole process group) when it runs longer; the note
    then says so and the exit code is -9."""
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="bench-measure-") as scratch:
        usage_file = Path(scratch) / "usage.json"
        launcher = [sys.executable, "-m", "retail_warehouse.bench.measure", "--usage-file", str(usage_file)]
        if memory_cap_mb:
            launcher += ["--memory-cap-mb", str(memory_cap_mb)]
        started = time.perf_counter()
        with log_path.open("wb") as log:
            # Its own session, so a time limit stops the launcher, the step and the step's children.
            process = subprocess.Popen(
                [*launcher, "--", *args],
                stdout=log,
                stderr=subprocess.STDOUT,
                env=env,
                cwd=cwd,
                start_new_session=True,
            )
            timed_out = threading.Event()

            def stop() -> None:
                timed_out.set()
                with contextlib.suppress(ProcessLookupError):  # it ended as the timer fired
                    os.killpg(process.pid, signal.SIGKILL)

            timer = threading.Timer(timeout_seconds, stop) if timeout_seconds else None
            if timer:
                timer.start()
            try:
                returncode = process.wait()
            except BaseException:
                # Ctrl-C reaches only the harness (the step has its own session): stop the step too.
                stop()
                process.wait()
                raise
            finally:
                if timer:
                    timer.cancel()
        wall = time.perf_counter() - started
        usage = json.loads(usage_file.read_text()) if usage_file.is_file() else None
    if timed_out.is_set():
        note = "; ".join(filter(None, [note, f"stopped after {timeout_seconds:.0f} s (time limit), unfinished"]))
    if usage is not None and usage["returncode"] < 0 and not timed_out.is_set():
        note = "; ".join(filter(None, [note, killed_by(usage["returncode"], usage.get("pid"))]))
    if usage is None:
        # Stopped before the launcher could report: the step's figures are unknown.
        usage = {"cpu_seconds": float("nan"), "peak_rss_kib": float("nan"), "returncode": returncode}
    return Measurement(
        step=step,
        lines=lines,
        wall_seconds=round(wall, 2),
        cpu_seconds=round(usage["cpu_seconds"], 2),
        peak_rss_mb=round(usage["peak_rss_kib"] / 1024, 1),  # Linux reports KiB
        returncode=usage["returncode"],
        log=str(log_path),
        note=note,
    )


def killed_by(returncode: int, pid: int | None) -> str:
    """Why a step ended on a signal: the kernel log names the OOM killer's victims."""
    reason = f"killed by signal {-returncode}"
    if returncode == -signal.SIGKILL and pid is not None:
        try:
            kernel_log = subprocess.run(["dmesg"], capture_output=True, text=True, timeout=10).stdout
        except (OSError, subprocess.SubprocessError):
            kernel_log = ""
        if f"Killed process {pid} " in kernel_log:
            reason += " by the kernel's OOM killer (out of memory; see dmesg)"
    return reason


def launch(argv: list[str] | None = None) -> int:
    """The launcher: run the command after `--`, write its own wait4 figures to --usage-file."""
    parser = argparse.ArgumentParser(prog="python -m retail_warehouse.bench.measure")
    parser.add_argument("--usage-file", type=Path, required=True)
    parser.add_argument("--memory-cap-mb", type=int, default=None)
    parser.add_argument("command", nargs=argparse.REMAINDER)
    args = parser.parse_args(argv)
    command = args.command[1:] if args.command[:1] == ["--"] else args.command

    def cap_memory() -> None:
        cap = args.memory_cap_mb * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (cap, cap))

    child = subprocess.Popen(command, preexec_fn=cap_memory if args.memory_cap_mb else None)
    _, status, usage = os.wait4(child.pid, 0)
    returncode = os.waitstatus_to_exitcode(status)
    args.usage_file.write_text(
        json.dumps(
            {
                "cpu_seconds": usage.ru_utime + usage.ru_stime,
                "peak_rss_kib": usage.ru_maxrss,
                "returncode": returncode,
                "pid": child.pid,
            }
        )
    )
    return returncode if returncode >= 0 else 128 - returncode


if __name__ == "__main__":
    raise SystemExit(launch())
