"""What an uploaded file is, decided by its first bytes.

Never by its name or the client's `Content-Type`: those say what the sender claims. The
accepted types are the product's: JPEG, PNG, WebP, GIF, HEIC/HEIF, MP3, OGG, WAV, M4A, MP4,
WebM and PDF. Everything else, SVG included (a picture that can carry script), is `None`,
which the upload answers with 415.

Two parts:

- ISO base media files (MP4, M4A, HEIC: all start with an `ftyp` box) are told apart here by
  the box's brands, because a signature library cannot: its strongest match for an M4A or a
  HEIC is "video/mp4". Major brand `M4A `/`M4B ` (or an MP4 brand with `M4A `/`M4B ` among
  the compatible ones and no `M4V `) is audio/mp4; a HEIF brand is image/heic; the MP4
  family is video/mp4; anything else in that container (QuickTime `qt  `, 3GP, AVIF) is
  refused.
- WebM and Matroska share the EBML container: the header's DocType tells them apart (only
  `webm` is accepted), read here because a signature looks for it at one fixed offset.
- Everything else goes to puremagic (pure Python signatures, actively released). Of its
  matches only those of the highest confidence count, and they must name exactly one
  accepted type (an AVI's strongest matches are AVI, though it is RIFF like WAV and WebP).

Ogg is always audio/ogg (kind audio), even an Ogg carrying Theora video, and WebM always
video/webm (kind video), even one carrying only sound: the container decides, not the codecs
inside it, which only a decoder could tell.
"""

from __future__ import annotations

from dataclasses import dataclass

from app.models import MediaKind

# How many leading bytes `detect` looks at. puremagic's signatures of the accepted types sit
# in the first few dozen bytes; an `ftyp` box's compatible brands fit easily too.
SNIFF_BYTES = 8192


@dataclass(frozen=True)
class Detected:
    kind: MediaKind
    content_type: str


_ACCEPTED: dict[str, MediaKind] = {
    "image/jpeg": MediaKind.IMAGE,
    "image/png": MediaKind.IMAGE,
    "image/webp": MediaKind.IMAGE,
    "image/gif": MediaKind.IMAGE,
    "image/heic": MediaKind.IMAGE,
    "audio/mpeg": MediaKind.AUDIO,
    "audio/ogg": MediaKind.AUDIO,
    "audio/wav": MediaKind.AUDIO,
    "audio/mp4": MediaKind.AUDIO,
    "video/mp4": MediaKind.VIDEO,
    "video/webm": MediaKind.VIDEO,
    "application/pdf": MediaKind.DOCUMENT,
}

# puremagic's names for the accepted types (it knows several per format) → ours. ISO base
# media and EBML types are absent on purpose: those files never reach puremagic.
_ALIASES: dict[str, str] = {
    "image/jpeg": "image/jpeg",
    "image/pjpeg": "image/jpeg",
    "image/png": "image/png",
    "image/webp": "image/webp",
    "image/gif": "image/gif",
    "audio/mpeg": "audio/mpeg",
    "audio/mp3": "audio/mpeg",
    "audio/x-mpeg": "audio/mpeg",
    "application/ogg": "audio/ogg",
    "audio/ogg": "audio/ogg",
    "audio/wav": "audio/wav",
    "audio/wave": "audio/wav",
    "audio/x-wav": "audio/wav",
    "audio/vnd.wave": "audio/wav",
    "application/pdf": "application/pdf",
}

# `ftyp` brands (four bytes each).
_HEIF_BRANDS = frozenset({b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"hevm", b"hevs"})
_HEIF_GENERIC = frozenset({b"mif1", b"msf1"})  # HEIF structure; the codec brand says which
_AVIF_BRANDS = frozenset({b"avif", b"avis"})
_AUDIO_BRANDS = frozenset({b"M4A ", b"M4B "})
_MP4_BRANDS = frozenset(
    {
        b"isom", b"iso2", b"iso3", b"iso4", b"iso5", b"iso6", b"iso7", b"iso8", b"iso9",
        b"mp41", b"mp42", b"mp71", b"avc1", b"M4V ", b"M4VH", b"M4VP", b"dash", b"msdh",
        b"msix", b"MSNV", b"NDAS", b"mmp4", b"f4v ", b"XAVC",
    }
)  # fmt: skip


def detect(head: bytes) -> Detected | None:
    """The accepted type of a file starting with `head` (its first SNIFF_BYTES), or None."""
    if len(head) >= 12 and head[4:8] == b"ftyp":
        content_type = _iso_bmff_type(head)
    elif head.startswith(_EBML_MAGIC):
        content_type = "video/webm" if _ebml_doctype(head) == b"webm" else None
    else:
        content_type = _signature_type(head)
    if content_type is None:
        return None
    return Detected(kind=_ACCEPTED[content_type], content_type=content_type)


def _iso_bmff_type(head: bytes) -> str | None:
    box_size = int.from_bytes(head[0:4], "big")
    if box_size < 16 or box_size % 4:
        return None
    major = head[8:12]
    box = head[16 : min(box_size, len(head))]
    compatible = {box[i : i + 4] for i in range(0, len(box) - 3, 4)}
    if major in _HEIF_BRANDS:
        return "image/heic"
    if major in _HEIF_GENERIC:
        if compatible & _HEIF_BRANDS and not compatible & _AVIF_BRANDS:
            return "image/heic"
        return None
    if major in _AUDIO_BRANDS:
        return "audio/mp4"
    if major in _MP4_BRANDS:
        if compatible & _AUDIO_BRANDS and b"M4V " not in compatible:
            return "audio/mp4"
        return "video/mp4"
    return None


_EBML_MAGIC = b"\x1a\x45\xdf\xa3"
_EBML_DOCTYPE = 0x4282


def _ebml_doctype(head: bytes) -> bytes | None:
    """The DocType of an EBML header (`webm`, `matroska`, …), or None if it cannot be read."""
    size, position = _vint(head, len(_EBML_MAGIC), keep_marker=False)
    if size is None:
        return None
    end = min(position + size, len(head))
    while position < end:
        element, position = _vint(head, position, keep_marker=True)
        length, position = _vint(head, position, keep_marker=False)
        if element is None or length is None:
            return None
        if element == _EBML_DOCTYPE:
            return head[position : position + length].rstrip(b"\x00")
        position += length
    return None


def _vint(data: bytes, position: int, *, keep_marker: bool) -> tuple[int | None, int]:
    """An EBML variable-length integer at `position`: its value and the position after it."""
    if position >= len(data) or data[position] == 0:
        return None, position
    first = data[position]
    width = 8 - first.bit_length() + 1
    if position + width > len(data):
        return None, position
    value = first if keep_marker else first & ((1 << (8 - width)) - 1)
    for byte in data[position + 1 : position + width]:
        value = (value << 8) | byte
    return value, position + width


def _signature_type(head: bytes) -> str | None:
    # Here, not at the top: its signature tables take 1.4 MiB, and only uploads read them.
    import puremagic

    if not head:
        return None
    try:
        matches = puremagic.magic_string(head)
    except (puremagic.PureError, ValueError):
        return None
    if not matches:
        return None
    best = max(match.confidence for match in matches)
    named = {_ALIASES.get(match.mime_type) for match in matches if match.confidence == best}
    named.discard(None)
    if len(named) != 1:
        return None
    return named.pop()
