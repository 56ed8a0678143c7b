"""The EPUB 3 book of an anthology: a cover, the table of contents (nav), one chapter per
work with its author, licence, the editor's note and its pictures, and a contributors page.

Pictures are JPEG (the media's WebP variants are converted when the book is built: WebP is
not a core media type of EPUB 3.2, which reading systems and epubcheck 4 hold to), each with
its alt text. The cover shows the title and, when the book has pictures, its first one.

The build is deterministic (fixed file dates in the zip, `dcterms:modified` from the data),
so the same anthology gives the same bytes and its ETag is a hash of them. Every text that
comes from members is escaped; media links are written only as http(s) links.
"""

from __future__ import annotations

import html
import io
import re
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from app.anthologies import card

if TYPE_CHECKING:  # ebooklib and Pillow load at the first book built, not with the app
    from ebooklib import epub

MEDIA_TYPE = "application/epub+zip"
EPUB_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "An EPUB 3 book of the works in the anthology.",
        "content": {MEDIA_TYPE: {"schema": {"type": "string", "format": "binary"}}},
        "headers": {
            "ETag": {"description": "Version of this book.", "schema": {"type": "string"}},
            "Content-Disposition": {
                "description": "The file name to save the book under.",
                "schema": {"type": "string"},
            },
        },
    },
    304: {"description": "Not modified: the `If-None-Match` ETag is current."},
}
STYLE = """body { font-family: serif; line-height: 1.5; margin: 1em; }
h1 { font-size: 1.6em; margin-bottom: 0.2em; }
p.byline, p.meta { font-style: italic; margin: 0.2em 0; }
blockquote.note { border-left: 3px solid #999; margin: 1em 0; padding-left: 0.8em; }
p { text-indent: 0; margin: 0 0 0.8em 0; }
figure.picture { margin: 1em 0; text-align: center; }
figure.picture img { max-width: 100%; height: auto; }
"""
_BLANK_LINES = re.compile(r"\n\s*\n")


@dataclass(frozen=True)
class BookImage:
    """A work's picture as the book carries it."""

    jpeg: bytes
    alt: str
    width: int
    height: int


@dataclass(frozen=True)
class BookWork:
    title: str
    author_name: str
    author_handle: str
    license: str
    editor_note: str
    description: str
    content: str
    media_urls: list[str]
    challenge_title: str
    images: Sequence[BookImage] = ()


@dataclass(frozen=True)
class Book:
    identifier: str
    title: str
    description: str
    language: str
    publisher: str
    modified: datetime
    works: Sequence[BookWork]


def _e(text: str) -> str:
    return html.escape(text, quote=True)


def paragraphs(text: str) -> str:
    """Plain text as XHTML paragraphs: blank lines part paragraphs, newlines break lines."""
    parts = [p.strip("\n") for p in _BLANK_LINES.split(text.replace("\r\n", "\n")) if p.strip()]
    return "\n".join(
        "<p>" + "<br/>".join(_e(line) for line in p.split("\n")) + "</p>" for p in parts
    )


def _image_name(number: int, index: int) -> str:
    return f"images/work-{number:03d}-{index}.jpg"


def _figures(work: BookWork, number: int) -> str:
    return "\n".join(
        f'<figure class="picture"><img src="{_image_name(number, index)}" '
        f'alt="{_e(image.alt)}" width="{image.width}" height="{image.height}"/></figure>'
        for index, image in enumerate(work.images, start=1)
    )


def _chapter(work: BookWork, number: int) -> epub.EpubHtml:
    from ebooklib import epub

    body = [f"<h1>{_e(work.title)}</h1>"]
    body.append(f'<p class="byline">{_e(work.author_name)} (@{_e(work.author_handle)})</p>')
    body.append(f'<p class="meta">{_e(work.challenge_title)} · Licence: {_e(work.license)}</p>')
    if work.editor_note:
        body.append(f'<blockquote class="note">{paragraphs(work.editor_note)}</blockquote>')
    if work.images:
        body.append(_figures(work, number))
    if work.description:
        body.append(f"<div>{paragraphs(work.description)}</div>")
    body.append(paragraphs(work.content))
    if work.media_urls:
        links = "".join(f'<li><a href="{_e(u)}">{_e(u)}</a></li>' for u in work.media_urls)
        body.append(f"<h2>Media</h2><ul>{links}</ul>")
    chapter = epub.EpubHtml(
        title=work.title, file_name=f"work-{number:03d}.xhtml", uid=f"work{number}"
    )
    chapter.content = "\n".join(body)
    return chapter


def _contributors(book: Book) -> epub.EpubHtml:
    from ebooklib import epub

    people: dict[str, list[str]] = {}
    names: dict[str, str] = {}
    for work in book.works:
        people.setdefault(work.author_handle, []).append(work.title)
        names[work.author_handle] = work.author_name
    rows = "".join(
        f"<li>{_e(names[handle])} (@{_e(handle)}): {_e(', '.join(titles))}</li>"
        for handle, titles in sorted(people.items(), key=lambda item: names[item[0]].lower())
    )
    page = epub.EpubHtml(title="Contributors", file_name="contributors.xhtml", uid="contributors")
    page.content = f"<h1>Contributors</h1><ul>{rows}</ul>" if rows else "<h1>Contributors</h1>"
    return page


def _title_page(book: Book) -> epub.EpubHtml:
    from ebooklib import epub

    page = epub.EpubHtml(title=book.title, file_name="title.xhtml", uid="titlepage")
    page.content = (
        f'<h1>{_e(book.title)}</h1><p class="meta">{_e(book.publisher)}</p>'
        + paragraphs(book.description)
    )
    return page


def build(book: Book) -> bytes:
    """The EPUB file of the book."""
    # Imported at the first book, here and above: ebooklib and lxml add 5 MiB to a worker.
    from ebooklib import epub

    document = epub.EpubBook()
    document.set_identifier(book.identifier)
    document.set_title(book.title)
    document.set_language(book.language)
    document.add_metadata("DC", "publisher", book.publisher)
    if book.description:
        document.add_metadata("DC", "description", book.description)
    authors = {work.author_handle: work.author_name for work in reversed(book.works)}
    for number, handle in enumerate(dict.fromkeys(w.author_handle for w in book.works)):
        document.add_author(authors[handle], uid=f"author{number}")
    _add_cover(document, book)
    style = epub.EpubItem(
        uid="style", file_name="style.css", media_type="text/css", content=STYLE.encode()
    )
    document.add_item(style)
    pages = [_title_page(book)]
    pages += [_chapter(work, n) for n, work in enumerate(book.works, start=1)]
    for number, work in enumerate(book.works, start=1):
        for index, image in enumerate(work.images, start=1):
            document.add_item(
                epub.EpubImage(
                    uid=f"image{number}_{index}",
                    file_name=_image_name(number, index),
                    media_type="image/jpeg",
                    content=image.jpeg,
                )
            )
    pages.append(_contributors(book))
    for page in pages:
        page.add_item(style)
        document.add_item(page)
    document.toc = pages
    document.add_item(epub.EpubNcx())
    document.add_item(epub.EpubNav())
    document.spine = ["cover", "nav", *pages]
    out = io.BytesIO()
    epub.write_epub(out, document, {"mtime": book.modified, "raise_exceptions": True})
    return _fixed_dates(out.getvalue(), book.modified)


def _add_cover(document: epub.EpubBook, book: Book) -> None:
    """The cover (`properties="cover-image"`): the title over the first picture, if any."""
    first = next((work.images[0] for work in book.works if work.images), None)
    if first is None:
        document.set_cover("cover.png", card.cover(book.title, book.publisher), create_page=True)
        return
    from PIL import Image

    with Image.open(io.BytesIO(first.jpeg)) as picture:
        cover = card.cover(book.title, book.publisher, picture)
    document.set_cover("cover.jpg", cover, create_page=True)


def _fixed_dates(data: bytes, moment: datetime) -> bytes:
    """The same zip with every file dated `moment`, so equal books are equal bytes."""
    stamp = moment.timetuple()[:6]
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w") as target:
        for info in source.infolist():
            fixed = zipfile.ZipInfo(info.filename, date_time=stamp)
            fixed.compress_type = info.compress_type
            fixed.external_attr = 0o644 << 16
            target.writestr(fixed, source.read(info.filename))
    return out.getvalue()
