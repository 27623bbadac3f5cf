"""The built Evidence site (dashboards/build) served on 127.0.0.1 and driven by headless Chromium
through dashboards/tests/browser.mjs: the presentation PDF and the page-speed benchmark.

    python -m retail_warehouse.dashboards_site presentation --out artifacts/presentation.pdf
    python -m retail_warehouse.dashboards_site speed
"""

from __future__ import annotations

import argparse
import json
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
DASHBOARDS = REPO_ROOT / "dashboards"
PRESENTATION_PAGE = "/presentation"


def page_paths(pages: Path = DASHBOARDS / "pages") -> list[str]:
    """Every page of the project: pages/index.md is "/", pages/x.md is "/x"."""
    return ["/" if page.stem == "index" else f"/{page.stem}" for page in sorted(pages.glob("*.md"))]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def served(site: Path) -> Iterator[str]:
    """The static site on a free local port (python's http.server); yields its base URL."""
    if not (site / "index.html").exists():
        raise SystemExit(f"no site in {site}: run make dashboards first")
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "http.server", "--bind", "127.0.0.1", "--directory", str(site), str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 15
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise RuntimeError("the local web server did not start") from None
                time.sleep(0.2)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.terminate()
        server.wait(timeout=10)


def run_browser(base_url: str, chromium: Path, *args: str, timeout: int = 1200) -> list[dict]:
    """tests/browser.mjs with these arguments; its JSON report."""
    completed = subprocess.run(
        ["node", "tests/browser.mjs", "--base-url", base_url, "--chromium", str(chromium), *args],
        cwd=DASHBOARDS,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    if completed.returncode != 0:
        raise RuntimeError(f"tests/browser.mjs failed:\n{completed.stderr[-4000:]}")
    return json.loads(completed.stdout)


def site_bytes(site: Path) -> int:
    return sum(path.stat().st_size for path in site.rglob("*") if path.is_file())


def presentation(site: Path, out: Path, chromium: Path) -> dict:
    """The deck page printed to a PDF, with what the browser saw on it."""
    out.parent.mkdir(parents=True, exist_ok=True)
    with served(site) as base_url:
        shots = out.parent / "presentation_screenshots"
        [record] = run_browser(base_url, chromium, "--out", str(shots), "--pdf", str(out.resolve()), PRESENTATION_PAGE)
    return record


def speed(site: Path, chromium: Path, runs: int) -> list[dict]:
    """Seconds until each page is interactive, cold and warm, the median of `runs` runs."""
    by_page: dict[str, list[dict]] = {}
    with served(site) as base_url:
        for _ in range(runs):
            for record in run_browser(base_url, chromium, "--speed", "--out", str(site.parent), *page_paths()):
                by_page.setdefault(record["path"], []).append(record)

    def median(values: list[float]) -> float:
        ordered = sorted(values)
        middle = len(ordered) // 2
        return ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2

    return [
        {
            "path": path,
            "cold_seconds": median([record["coldSeconds"] for record in records]),
            "warm_seconds": median([record["warmSeconds"] for record in records]),
        }
        for path, records in by_page.items()
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("command", choices=["presentation", "speed"])
    parser.add_argument("--site", type=Path, default=DASHBOARDS / "build")
    parser.add_argument("--chromium", type=Path, default=Path("/usr/bin/chromium"))
    parser.add_argument("--out", type=Path, default=REPO_ROOT / "artifacts" / "presentation.pdf")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args(argv)
    if args.command == "presentation":
        record = presentation(args.site, args.out, args.chromium)
        problems = {key: record.get(key) for key in ("renderError", "consoleErrors", "pageErrors", "errorBoxes")}
        if any(problems.values()):
            print(json.dumps(problems, indent=1), file=sys.stderr)
            return 1
        print(f"presentation written to {args.out} ({record['pdfPages']} pages)")
        return 0
    timings = speed(args.site, args.chromium, args.runs)
    size = site_bytes(args.site)
    print("| page | cold (s) | warm (s) |\n|---|---:|---:|")
    for timing in timings:
        print(f"| `{timing['path']}` | {timing['cold_seconds']:.2f} | {timing['warm_seconds']:.2f} |")
    print(f"\nsite: {size / 1e6:.1f} MB in {args.site}; median of {args.runs} runs")
    return 0


if __name__ == "__main__":
    sys.exit(main())
