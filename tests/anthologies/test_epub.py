"""The anthology as an EPUB 3 book: structure, escaping, conditional GET, and epubcheck."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import zipfile
from io import BytesIO
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from PIL import Image

from tests.anthologies.helpers import ANTHOLOGIES, closed_challenge, create
from tests.challenges.helpers import SUBMISSIONS, organizer

NAV_LINK = re.compile(r'<a href="([^"]+)">([^<]*)</a>')


def _book(client: TestClient, app: FastAPI, consents: list[bool]) -> tuple[dict[str, Any], Any]:
    headers = organizer(app)
    _, works, authors = closed_challenge(
        client, app, headers, [0] * len(consents), consents=consents
    )
    entries = [{"submission_id": w["id"], "editor_note": f"Note on {w['title']}"} for w in works]
    entries.reverse()
    anthology = create(
        client, headers, title="Cerita <Kota> & co", entries=entries, status="published"
    )
    return anthology, (works, authors, headers)


def _epub(client: TestClient, anthology_id: int) -> bytes:
    response = client.get(f"{ANTHOLOGIES}/{anthology_id}.epub")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/epub+zip"
    assert f"anthology-{anthology_id}.epub" in response.headers["content-disposition"]
    return response.content


def _nav_titles(book: zipfile.ZipFile) -> list[str]:
    nav = book.read("EPUB/nav.xhtml").decode()
    toc = nav[nav.index('epub:type="toc"') :]
    toc = toc[: toc.index("</nav>")]
    return [title for _, title in NAV_LINK.findall(toc)]


def test_the_book_lists_every_included_work_in_order(client: TestClient, app: FastAPI) -> None:
    anthology, _ = _book(client, app, [True, False, True, True])
    with zipfile.ZipFile(BytesIO(_epub(client, anthology["id"]))) as book:
        names = book.namelist()
        assert names[0] == "mimetype"
        assert book.read("mimetype") == b"application/epub+zip"
        titles = _nav_titles(book)
        assert titles == [
            "Cerita &lt;Kota&gt; &amp; co",
            "Story 3",
            "Story 2",
            "Story 0",
            "Contributors",
        ]
        chapter = book.read("EPUB/work-001.xhtml").decode()
        assert "Second &lt;b&gt;paragraph&lt;/b&gt; &amp; more." in chapter
        assert "<p>First paragraph of story 3.</p>" in chapter
        assert "Licence: CC-BY-4.0" in chapter
        assert "Note on Story 3" in chapter
        assert "https://img.example.com/1.jpg" in chapter
        contributors = book.read("EPUB/contributors.xhtml").decode()
        assert "Author 1" not in contributors  # no consent: not in the book at all
        assert all(f"Author {n}" in contributors for n in (0, 2, 3))
        opf = book.read("EPUB/content.opf").decode()
        assert 'properties="cover-image"' in opf
        cover = Image.open(BytesIO(book.read("EPUB/cover.png")))
        assert cover.format == "PNG"


def test_a_withdrawn_consent_leaves_the_next_book(client: TestClient, app: FastAPI) -> None:
    anthology, (works, authors, _) = _book(client, app, [True, True])
    before = _epub(client, anthology["id"])
    withdraw = {"anthology_consent": False}
    client.patch(f"{SUBMISSIONS}/{works[0]['id']}", json=withdraw, headers=authors[0])
    after = _epub(client, anthology["id"])
    assert before != after
    with zipfile.ZipFile(BytesIO(after)) as book:
        assert _nav_titles(book)[1:-1] == ["Story 1"]


def test_the_book_is_stable_and_answers_304(client: TestClient, app: FastAPI) -> None:
    anthology, _ = _book(client, app, [True])
    url = f"{ANTHOLOGIES}/{anthology['id']}.epub"
    first, second = client.get(url), client.get(url)
    assert first.content == second.content
    etag = first.headers["ETag"]
    assert second.headers["ETag"] == etag
    assert client.get(url, headers={"If-None-Match": etag}).status_code == 304


def _epubcheck() -> list[str]:
    """The epubcheck command. Debian's /usr/bin/epubcheck is the jar itself (run through
    binfmt_misc, absent in containers), so a jar is run with `java -jar`."""
    found = shutil.which("epubcheck")
    if found is None:
        if os.environ.get("CI") == "true":
            pytest.fail("epubcheck is not installed (apt-get install epubcheck); .ci/run does it")
        pytest.skip("epubcheck is not installed (apt-get install epubcheck)")
    real = Path(found).resolve()
    # A short-lived JVM: the quick compiler and the serial collector start it 3x faster.
    java = ["java", "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-jar"]
    return [*java, str(real)] if real.suffix == ".jar" else [found]


def test_epubcheck_finds_no_errors(client: TestClient, app: FastAPI, tmp_path: Path) -> None:
    command = _epubcheck()
    anthology, _ = _book(client, app, [True, True, False])
    path = tmp_path / "anthology.epub"
    path.write_bytes(_epub(client, anthology["id"]))
    empty = create(client, organizer(app), title="Nothing yet", status="published")
    empty_path = tmp_path / "empty.epub"
    empty_path.write_bytes(_epub(client, empty["id"]))
    for book in (path, empty_path):
        result = subprocess.run(
            [*command, str(book)], capture_output=True, text=True, timeout=300, check=False
        )
        report = result.stdout + result.stderr
        assert result.returncode == 0, report
        assert "ERROR" not in report and "FATAL" not in report, report
