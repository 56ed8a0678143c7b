"""The documentation a person who clones the repository reads: its links resolve, and it
points at nothing that person does not have (files outside the repository, issue numbers)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SKIPPED_DIRS = frozenset({".git", ".venv", "node_modules", "test-artifacts", "sanggar.egg-info"})
LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")
HEADING = re.compile(r"#{1,6} (.*)")
# What only the project's history had: a sibling directory, numbered issues. (Spelt so that
# this file does not match itself, nor a `grep` for the same thing.)
OUTSIDE_REFERENCE = re.compile(r"\bshare[d]/|\bissue [0-9]", re.IGNORECASE)


def _files(*suffixes: str) -> list[Path]:
    return sorted(
        path
        for suffix in suffixes
        for path in ROOT.rglob(f"*{suffix}")
        if not SKIPPED_DIRS.intersection(path.relative_to(ROOT).parts)
    )


def _prose_lines(path: Path) -> Iterator[tuple[int, str]]:
    """Numbered lines outside fenced code blocks (code may contain anything)."""
    in_code = False
    for number, line in enumerate(path.read_text().splitlines(), 1):
        if line.startswith("```"):
            in_code = not in_code
        elif not in_code:
            yield number, line


def _slug(heading: str) -> str:
    """The anchor GitHub gives a heading: lower case, punctuation dropped, spaces as dashes."""
    kept = "".join(c for c in heading.strip().lower() if c.isalnum() or c in " -_")
    return kept.replace(" ", "-")


def _anchors(path: Path) -> set[str]:
    anchors: set[str] = set()
    seen: dict[str, int] = {}
    for _, line in _prose_lines(path):
        if match := HEADING.match(line):
            slug = _slug(match.group(1))
            repeats = seen.get(slug, 0)
            seen[slug] = repeats + 1
            anchors.add(slug if repeats == 0 else f"{slug}-{repeats}")
    return anchors


def _broken(markdown: Path, target: str) -> str | None:
    file, _, anchor = target.partition("#")
    destination = (markdown.parent / file).resolve() if file else markdown
    if not destination.exists():
        return f"no file {file}"
    if anchor and destination.suffix == ".md" and anchor not in _anchors(destination):
        return f"no heading #{anchor} in {destination.name}"
    return None


def test_every_relative_link_in_the_markdown_resolves() -> None:
    broken = [
        f"{markdown.relative_to(ROOT)}:{number}: {target} ({reason})"
        for markdown in _files(".md")
        for number, line in _prose_lines(markdown)
        for target in LINK.findall(line)
        if not re.match(r"[a-z][a-z0-9+.-]*:", target)  # http:, mailto: …
        if (reason := _broken(markdown, target)) is not None
    ]
    assert not broken, "broken links:\n" + "\n".join(broken)


def test_nothing_points_outside_the_repository() -> None:
    found = [
        f"{path.relative_to(ROOT)}:{number}: {line.strip()}"
        for path in _files(".md", ".py")
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if OUTSIDE_REFERENCE.search(line)
    ]
    assert not found, "references a cloner cannot follow:\n" + "\n".join(found)


GUIDE = ROOT / "docs" / "API.md"
# `GET /members/{member_id}`, `GET|PATCH /members/me`, `GET /members/me/inquiries[/{inquiry_id}]`:
# an operation as the guide writes it, the path under /api/v1 unless it says otherwise.
GUIDE_OPERATION = re.compile(r"\b(?:GET|POST|PUT|PATCH|DELETE)(?:\|[A-Z]+)*\s+(/[^\s`?]*)")
OUTSIDE_API = ("/api/", "/healthz", "/readyz", "/metrics", "/problems")


def _shape(path: str) -> str:
    """`/members/{member_id}` and `/members/{id}` are one path: parameters are unnamed."""
    return re.sub(r"\{[^}]+\}", "{}", path.rstrip(".,;:)"))


def _guide_paths(text: str) -> set[str]:
    paths: set[str] = set()
    for written in GUIDE_OPERATION.findall(text):
        path = written if written.startswith(OUTSIDE_API) else "/api/v1" + written
        # `[/{inquiry_id}]` is optional: the guide names both paths at once.
        paths |= {re.sub(r"\[.*?\]", "", path), path.replace("[", "").replace("]", "")}
    return {_shape(path) for path in paths}


def test_the_api_guide_covers_every_path_and_invents_none() -> None:
    contract = json.loads((ROOT / "openapi" / "openapi.json").read_text())
    served = {_shape(path): path for path in contract["paths"]}
    written = _guide_paths(GUIDE.read_text())
    assert not sorted(set(served) - written), "paths docs/API.md does not describe: " + ", ".join(
        served[shape] for shape in sorted(set(served) - written)
    )
    assert not sorted(written - set(served)), "docs/API.md describes paths the API lacks: " + (
        ", ".join(sorted(written - set(served)))
    )


def test_the_checks_notice_what_they_look_for(tmp_path: Path) -> None:
    page = tmp_path / "page.md"
    page.write_text("# Set up: two commands\n\n[here](#set-up-two-commands) [gone](#gone)\n")
    assert _broken(page, "#set-up-two-commands") is None
    assert _broken(page, "#gone") is not None
    assert _broken(page, "missing.md") is not None
    assert OUTSIDE_REFERENCE.search("The contract is ../" + "shared" + "/DESIGN.md")
    assert OUTSIDE_REFERENCE.search("as issue " + "12 asked")
    assert not OUTSIDE_REFERENCE.search("a shared secret key")
    assert _guide_paths("`GET|PATCH /members/{id}`, `GET /healthz`") == {
        "/api/v1/members/{}",
        "/healthz",
    }
    assert _guide_paths("`GET /members/me/inquiries[/{inquiry_id}]`") == {
        "/api/v1/members/me/inquiries",
        "/api/v1/members/me/inquiries/{}",
    }
