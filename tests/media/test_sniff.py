"""A file's type comes from its bytes: never from its name or what the client says."""

from __future__ import annotations

import struct
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.media.sniff import SNIFF_BYTES, Detected, detect
from app.models import MediaKind
from tests.media import samples

ACCEPTED: list[tuple[Callable[..., Path], MediaKind, str]] = [
    (samples.jpeg_with_gps, MediaKind.IMAGE, "image/jpeg"),
    (samples.truncated_jpeg, MediaKind.IMAGE, "image/jpeg"),
    (samples.png, MediaKind.IMAGE, "image/png"),
    (samples.png_bomb, MediaKind.IMAGE, "image/png"),
    (samples.webp, MediaKind.IMAGE, "image/webp"),
    (samples.gif, MediaKind.IMAGE, "image/gif"),
    (samples.heic, MediaKind.IMAGE, "image/heic"),
    (samples.mp3, MediaKind.AUDIO, "audio/mpeg"),
    (samples.ogg, MediaKind.AUDIO, "audio/ogg"),
    (samples.wav, MediaKind.AUDIO, "audio/wav"),
    (samples.m4a, MediaKind.AUDIO, "audio/mp4"),
    (samples.mp4, MediaKind.VIDEO, "video/mp4"),
    (samples.webm, MediaKind.VIDEO, "video/webm"),
    (samples.pdf, MediaKind.DOCUMENT, "application/pdf"),
]


def _head(path: Path) -> bytes:
    with path.open("rb") as file:
        return file.read(SNIFF_BYTES)


@pytest.mark.parametrize(("make", "kind", "content_type"), ACCEPTED, ids=lambda v: str(v))
def test_each_accepted_type_is_detected_by_its_bytes_whatever_its_name(
    tmp_path: Path, make: Callable[..., Path], kind: MediaKind, content_type: str
) -> None:
    # A misleading name: the detector never sees it, and the bytes decide.
    path = make(tmp_path, name="holiday.svg")
    assert detect(_head(path)) == Detected(kind=kind, content_type=content_type)


@pytest.mark.parametrize(
    "make", [samples.svg, samples.text, samples.zip_file], ids=lambda f: f.__name__
)
def test_svg_text_and_zip_are_refused(tmp_path: Path, make: Callable[..., Path]) -> None:
    path = make(tmp_path, name="photo.jpg")
    assert detect(_head(path)) is None


@pytest.mark.parametrize(
    ("head", "expected"),
    [
        (b"\xff\xfb\x90\xc4" + b"\x00" * 413 + b"\xff\xfb\x90\xc4", "audio/mpeg"),  # no ID3
        (b"GIF87a\x01\x00\x01\x00\x00\x00\x00", "image/gif"),
        (b"OggS\x00\x02" + b"\x00" * 22 + b"\x13OpusHead", "audio/ogg"),
    ],
)
def test_headers_without_the_usual_preamble(head: bytes, expected: str) -> None:
    found = detect(head)
    assert found is not None and found.content_type == expected


@pytest.mark.parametrize(
    "head",
    [
        b"\xef\xbb\xbf<svg xmlns='http://www.w3.org/2000/svg'/>",  # with a byte order mark
        b"  \n<!DOCTYPE svg><svg/>",
        b"<?xml version='1.0'?><svg/>",
        b"<!doctype html><script>alert(1)</script>",
        b"PK\x03\x04" + b"\x00" * 26,  # zip, and so docx, epub, jar
    ],
)
def test_markup_and_archives_are_refused(head: bytes) -> None:
    assert detect(head) is None


def test_matroska_is_not_webm(tmp_path: Path) -> None:
    assert detect(_head(samples.webm(tmp_path, doctype=b"matroska"))) is None


@pytest.mark.parametrize(
    "head",
    [
        b"",
        b"\x00",
        b"<html><body>%PDF-1.4</body></html>",  # a signature not at the start counts for nothing
        b"\x1a\x45\xdf\xa3\xa3\x42\x82\x88matroska",  # Matroska: not WebM
        b"RIFF\x00\x00\x00\x00AVI LIST",  # AVI
        b"fLaC\x00\x00\x00\x22",  # FLAC is not in the list
    ],
)
def test_other_and_short_heads_are_refused(head: bytes) -> None:
    assert detect(head) is None


def _ftyp(major: bytes, *compatible: bytes) -> bytes:
    payload = major + b"\x00\x00\x00\x00" + b"".join(compatible)
    return struct.pack(">I", 8 + len(payload)) + b"ftyp" + payload + b"\x00\x00\x00\x08free"


@pytest.mark.parametrize(
    ("head", "expected"),
    [
        (_ftyp(b"M4A ", b"M4A ", b"mp42", b"isom"), "audio/mp4"),
        (_ftyp(b"M4B ", b"M4B "), "audio/mp4"),
        (_ftyp(b"mp42", b"isom", b"M4A "), "audio/mp4"),  # audio among the compatible brands
        (_ftyp(b"isom", b"isom", b"avc1"), "video/mp4"),
        (_ftyp(b"mp42", b"mp42", b"M4A ", b"M4V "), "video/mp4"),
        (_ftyp(b"heic", b"mif1", b"heic"), "image/heic"),
        (_ftyp(b"mif1", b"mif1", b"heic"), "image/heic"),
        (_ftyp(b"avif", b"mif1", b"avif"), None),  # AVIF is not in the list
        (_ftyp(b"mif1", b"mif1", b"avif", b"heic"), None),
        (_ftyp(b"qt  ", b"qt  "), None),  # QuickTime
        (_ftyp(b"3gp4", b"3gp4"), None),
        (b"\x00\x00\x00\x07ftypisom", None),  # a box too short to be one
    ],
)
def test_iso_media_files_are_told_apart_by_their_brands(head: bytes, expected: str | None) -> None:
    found = detect(head)
    assert (found.content_type if found else None) == expected


@settings(max_examples=300, deadline=None)
@given(
    prefix=st.sampled_from(
        [
            b"",
            b"\xff\xd8\xff",
            b"\x89PNG\r\n\x1a\n",
            b"RIFF",
            b"OggS",
            b"ID3",
            b"%PDF-",
            b"\x1a\x45\xdf\xa3",
            b"\x00\x00\x00\x18ftyp",
            b"\x00\x00\x00\x10ftypmif1",
        ]
    ),
    rest=st.binary(max_size=200),
)
def test_any_bytes_give_an_answer_never_an_error(prefix: bytes, rest: bytes) -> None:
    found = detect(prefix + rest)
    assert found is None or found.content_type in {c for _, _, c in ACCEPTED}
