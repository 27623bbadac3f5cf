"""README.md and docs/: every relative link leads to a file of the repository, every anchor to a
heading of its page, and every docs page is reachable from the README."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import unquote

import pytest
from helpers import REPO_ROOT

DOCS = REPO_ROOT / "docs"
PAGES = [REPO_ROOT / "README.md", *sorted(DOCS.glob("*.md"))]
# [text](target) and [text](target "title"); images too. Targets with a scheme are not checked.
LINK = re.compile(r"!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
FENCE = re.compile(r"^(```|~~~)")
HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")


def prose_lines(text: str) -> list[str]:
    """The lines outside fenced code blocks, inline code spans blanked out."""
    lines, in_fence = [], False
    for line in text.splitlines():
        if FENCE.match(line.strip()):
            in_fence = not in_fence
            continue
        if not in_fence:
            lines.append(re.sub(r"`[^`]*`", "``", line))
    return lines


def slug(heading: str) -> str:
    """GitHub's anchor of a heading: lower case, punctuation dropped, spaces to hyphens."""
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", heading)  # a link in a heading keeps its text
    return re.sub(r"[^\w\- ]", "", text.strip().lower()).replace(" ", "-")


def anchors(page: Path) -> set[str]:
    found: set[str] = set()
    seen: dict[str, int] = {}
    in_fence = False
    for line in page.read_text(encoding="utf-8").splitlines():
        if FENCE.match(line.strip()):
            in_fence = not in_fence
            continue
        match = None if in_fence else HEADING.match(line)
        if match:
            base = slug(match.group(2))
            count = seen.get(base, 0)
            seen[base] = count + 1
            found.add(base if count == 0 else f"{base}-{count}")
    return found


def links(page: Path) -> list[str]:
    return [target for line in prose_lines(page.read_text(encoding="utf-8")) for target in LINK.findall(line)]


def test_slugs_follow_github():
    assert slug("Churn, purchase probability and customer value") == "churn-purchase-probability-and-customer-value"
    assert slug("Demand: forecasts, peaks & staffing") == "demand-forecasts-peaks--staffing"
    assert slug("Machine learning (schema `ml`)") == "machine-learning-schema-ml"


def test_a_broken_link_is_found(tmp_path):
    page = tmp_path / "page.md"
    page.write_text("# Title\n\nSee [here](other.md#nowhere) and `[not](a-link.md)`.\n\n```\n[nor](this.md)\n```\n")
    assert links(page) == ["other.md#nowhere"]
    assert anchors(page) == {"title"}


def test_there_is_a_docs_folder():
    assert len(PAGES) > 5, PAGES


@pytest.mark.parametrize("page", PAGES, ids=lambda page: str(page.relative_to(REPO_ROOT)))
def test_every_relative_link_and_anchor_resolves(page):
    broken = []
    for target in links(page):
        if re.match(r"^[a-z][a-z0-9+.-]*:", target):  # http:, https:, mailto:
            continue
        path_part, _, anchor = target.partition("#")
        destination = (page.parent / unquote(path_part)).resolve() if path_part else page
        if not destination.exists():
            broken.append(f"{target}: no file {destination}")
        elif anchor and destination.suffix == ".md" and anchor not in anchors(destination):
            broken.append(f"{target}: no heading with anchor #{anchor} in {destination.name}")
        elif REPO_ROOT not in destination.parents and destination != REPO_ROOT:
            broken.append(f"{target}: outside the repository")
    assert broken == []


def test_every_docs_page_is_linked_from_the_readme():
    linked = {(REPO_ROOT / target.partition("#")[0]).resolve() for target in links(REPO_ROOT / "README.md")}
    assert [page.name for page in PAGES[1:] if page.resolve() not in linked] == []
