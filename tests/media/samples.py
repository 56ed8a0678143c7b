"""Sample files for the media tests, generated on the spot: nothing downloaded or committed.

Each function writes one file into the given directory and returns its path. `name` lets a
test give the file a misleading name (a JPEG called `notes.txt`): the type is decided by the
bytes. The audio and video samples are the smallest byte layouts the detector recognizes and,
where the format allows, from which a duration can be read (`DURATION_S`).

`metadata_keys(path)` / `has_location(path)` tell what an image still carries: EXIF (through
Pillow and as raw bytes), GPS, XMP, comments and PNG text chunks, so a test can assert that
a re-encoded original and its variants carry none of it.
"""

from __future__ import annotations

import io
import struct
import wave
import zipfile
import zlib
from pathlib import Path

import pillow_heif
from PIL import Image, ImageDraw, PngImagePlugin

pillow_heif.register_heif_opener()

# The duration, in seconds, of every audio and video sample that has one.
DURATION_S = 2.0

# Words the metadata of the samples carries, looked for in the raw bytes of a processed file.
GPS_MARKER = b"WGS-84"
COMMENT_MARKER = b"taken-at-the-secret-garden"
XMP_MARKER = b"<x:xmpmeta"

_XMP = (
    b'<?xpacket begin="" id="W5M0MpCehiHzreSzNTczkc9d"?>'
    b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF '
    b'xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
    b'<rdf:Description xmlns:exif="http://ns.adobe.com/exif/1.0/" '
    b'exif:GPSLatitude="6,10.5S" exif:GPSLongitude="106,49.6E"/>'
    b'</rdf:RDF></x:xmpmeta><?xpacket end="w"?>'
)


def _picture(width: int, height: int, mode: str = "RGB") -> Image.Image:
    """A picture whose orientation shows: red on the left half, blue on the right, a corner dot."""
    image = Image.new("RGB", (width, height), (20, 160, 60))
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 0, width // 2, height), fill=(200, 30, 30))
    draw.rectangle((width // 2, 0, width, height), fill=(30, 30, 200))
    draw.ellipse((0, 0, max(1, width // 8), max(1, height // 8)), fill=(250, 250, 0))
    return image.convert(mode) if mode != "RGB" else image


def _exif(orientation: int | None = None) -> Image.Exif:
    exif = Image.Exif()
    exif[0x010F] = "SanggarCam"  # Make
    exif[0x0110] = "Model S"  # Model
    exif[0x0131] = "sample-software"  # Software
    if orientation is not None:
        exif[0x0112] = orientation
    gps = exif.get_ifd(0x8825)
    gps[1] = "S"  # GPSLatitudeRef
    gps[2] = (6.0, 10.0, 30.0)  # GPSLatitude
    gps[3] = "E"  # GPSLongitudeRef
    gps[4] = (106.0, 49.0, 36.0)  # GPSLongitude
    gps[18] = GPS_MARKER.decode()  # GPSMapDatum
    return exif


def jpeg_with_gps(
    directory: Path,
    *,
    orientation: int = 6,
    size: tuple[int, int] = (200, 100),
    name: str = "photo.jpg",
) -> Path:
    """A JPEG with EXIF (orientation, camera, a GPS IFD), XMP and a comment."""
    path = directory / name
    _picture(*size).save(
        path,
        "JPEG",
        quality=90,
        exif=_exif(orientation),
        xmp=_XMP,
        comment=COMMENT_MARKER,
    )
    return path


def jpeg(directory: Path, *, size: tuple[int, int] = (640, 480), name: str = "plain.jpg") -> Path:
    """A JPEG without metadata (for sizes and speed)."""
    path = directory / name
    _picture(*size).save(path, "JPEG", quality=90)
    return path


def truncated_jpeg(directory: Path, *, name: str = "broken.jpg") -> Path:
    """A JPEG cut after its header: detected as JPEG, not decodable."""
    full = jpeg(directory, size=(400, 300), name="whole.jpg")
    data = full.read_bytes()
    full.unlink()
    path = directory / name
    path.write_bytes(data[: len(data) // 4])
    return path


def png(directory: Path, *, size: tuple[int, int] = (300, 200), name: str = "image.png") -> Path:
    """A PNG with tEXt, iTXt (XMP) and eXIf chunks (GPS inside)."""
    info = PngImagePlugin.PngInfo()
    info.add_text("Comment", COMMENT_MARKER.decode())
    info.add_itxt("XML:com.adobe.xmp", _XMP.decode())
    path = directory / name
    _picture(*size, mode="RGBA").save(path, "PNG", pnginfo=info, exif=_exif())
    return path


def webp(directory: Path, *, size: tuple[int, int] = (300, 200), name: str = "image.webp") -> Path:
    """A WebP with EXIF (GPS inside) and XMP chunks."""
    path = directory / name
    _picture(*size).save(path, "WEBP", quality=80, exif=_exif(), xmp=_XMP)
    return path


def gif(directory: Path, *, size: tuple[int, int] = (120, 80), name: str = "image.gif") -> Path:
    """An animated GIF of two frames with a comment and an XMP application extension."""
    first = _picture(*size).convert("P")
    second = _picture(*size).transpose(Image.Transpose.FLIP_LEFT_RIGHT).convert("P")
    out = io.BytesIO()
    first.save(
        out,
        "GIF",
        save_all=True,
        append_images=[second],
        duration=100,
        loop=0,
        comment=COMMENT_MARKER,
    )
    data = out.getvalue()
    # XMP travels in an application extension ("XMP DataXMP"), after the colour table.
    packed = data[10]
    start = 13 + (3 << ((packed & 0x07) + 1) if packed & 0x80 else 0)
    blocks = b"".join(
        bytes([len(_XMP[i : i + 255])]) + _XMP[i : i + 255] for i in range(0, len(_XMP), 255)
    )
    xmp = b"\x21\xff\x0bXMP DataXMP" + blocks + b"\x00"
    path = directory / name
    path.write_bytes(data[:start] + xmp + data[start:])
    return path


def heic(directory: Path, *, size: tuple[int, int] = (200, 100), name: str = "image.heic") -> Path:
    """A HEIC (HEVC in HEIF) with EXIF (orientation 6, GPS) and XMP, written by pillow-heif."""
    heif = pillow_heif.from_pillow(_picture(*size))
    path = directory / name
    heif.save(path, quality=80, exif=_exif(6).tobytes(), xmp=_XMP)
    return path


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return (
        struct.pack(">I", len(data))
        + kind
        + data
        + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    )


def png_bomb(
    directory: Path, width: int = 50_000, height: int = 50_000, *, name: str = "bomb.png"
) -> Path:
    """A PNG of a few hundred bytes whose header claims width × height pixels.

    Only the header claims the size: the IDAT holds a few compressed rows. Decoding it would
    ask for width × height × 3 bytes; reading its dimensions must not decode it.
    """
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)  # 8-bit RGB
    rows = zlib.compress(b"\x00" + b"\x00" * (3 * min(width, 1024)), 9)
    data = (
        b"\x89PNG\r\n\x1a\n"
        + _png_chunk(b"IHDR", ihdr)
        + _png_chunk(b"IDAT", rows)
        + _png_chunk(b"IEND", b"")
    )
    path = directory / name
    path.write_bytes(data)
    return path


def svg(directory: Path, *, name: str = "drawing.svg") -> Path:
    path = directory / name
    path.write_text(
        '<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10">'
        '<script>alert("x")</script><rect width="10" height="10"/></svg>\n'
    )
    return path


def text(directory: Path, *, name: str = "notes.txt") -> Path:
    path = directory / name
    path.write_text("Just some words, not media.\n")
    return path


def zip_file(directory: Path, *, name: str = "archive.zip") -> Path:
    path = directory / name
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("inside.txt", "hello")
    return path


def wav(directory: Path, *, seconds: float = DURATION_S, name: str = "sound.wav") -> Path:
    """A mono 8 kHz 16-bit WAV of `seconds` of silence, written by the `wave` module."""
    path = directory / name
    rate = 8000
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(b"\x00\x00" * int(rate * seconds))
    return path


def mp3(directory: Path, *, seconds: float = DURATION_S, name: str = "sound.mp3") -> Path:
    """An ID3v2 tag, then MPEG-1 Layer III frames (128 kbit/s, 44.1 kHz, mono) of silence."""
    header = bytes([0xFF, 0xFB, 0x90, 0xC4])  # sync, MPEG-1 L3 no CRC, 128k, 44.1k, mono
    frame_length = 144 * 128_000 // 44_100  # 417 bytes, no padding
    frame = header + b"\x00" * (frame_length - len(header))
    frames = round(seconds * 44_100 / 1152)
    # An empty ID3v2.4 tag (10-byte header, size 0): many MP3s start with one.
    id3 = b"ID3\x04\x00\x00\x00\x00\x00\x00"
    path = directory / name
    path.write_bytes(id3 + frame * frames)
    return path


def _ogg_page(
    packet: bytes, *, sequence: int, granule: int, flags: int, serial: int = 0x5A5A
) -> bytes:
    segments: list[int] = []
    remaining = len(packet)
    while remaining >= 255:
        segments.append(255)
        remaining -= 255
    segments.append(remaining)
    header = (
        b"OggS"
        + bytes([0, flags])
        + struct.pack("<qIII", granule, serial, sequence, 0)
        + bytes([len(segments)])
        + bytes(segments)
    )
    page = header + packet
    crc = _ogg_crc(page)
    return page[:22] + struct.pack("<I", crc) + page[26:]


def _ogg_crc(data: bytes) -> int:
    crc = 0
    for byte in data:
        crc ^= byte << 24
        for _ in range(8):
            crc = ((crc << 1) ^ 0x04C11DB7) if crc & 0x80000000 else crc << 1
            crc &= 0xFFFFFFFF
    return crc


def ogg(directory: Path, *, seconds: float = DURATION_S, name: str = "sound.ogg") -> Path:
    """An Ogg Vorbis stream's headers and a last page whose granule position gives the length."""
    rate = 44_100
    identification = (
        b"\x01vorbis"
        + struct.pack("<IBIiii", 0, 1, rate, 0, 128_000, 0)
        + bytes([0xB8])  # blocksizes 256 / 2048
        + b"\x01"  # framing
    )
    vendor = b"sanggar-samples"
    comment = (
        b"\x03vorbis" + struct.pack("<I", len(vendor)) + vendor + struct.pack("<I", 0) + b"\x01"
    )
    data = (
        _ogg_page(identification, sequence=0, granule=0, flags=0x02)
        + _ogg_page(comment, sequence=1, granule=0, flags=0x00)
        + _ogg_page(b"\x00" * 16, sequence=2, granule=int(rate * seconds), flags=0x04)
    )
    path = directory / name
    path.write_bytes(data)
    return path


def _box(kind: bytes, payload: bytes) -> bytes:
    return struct.pack(">I", 8 + len(payload)) + kind + payload


def _iso_bmff(major_brand: bytes, compatible: list[bytes], seconds: float) -> bytes:
    ftyp = _box(b"ftyp", major_brand + struct.pack(">I", 0) + b"".join(compatible))
    timescale = 1000
    mvhd = _box(
        b"mvhd",
        struct.pack(">BxxxIIII", 0, 0, 0, timescale, int(seconds * timescale))
        + struct.pack(">IH", 0x00010000, 0x0100)  # rate 1.0, volume 1.0
        + b"\x00" * 10
        + struct.pack(">9I", 0x00010000, 0, 0, 0, 0x00010000, 0, 0, 0, 0x40000000)
        + b"\x00" * 24
        + struct.pack(">I", 2),  # next track id
    )
    return ftyp + _box(b"moov", mvhd) + _box(b"mdat", b"\x00" * 32)


def m4a(directory: Path, *, seconds: float = DURATION_S, name: str = "sound.m4a") -> Path:
    """An ISO BMFF file of brand `M4A ` with a movie header giving its length."""
    path = directory / name
    path.write_bytes(_iso_bmff(b"M4A ", [b"M4A ", b"mp42", b"isom"], seconds))
    return path


def mp4(directory: Path, *, seconds: float = DURATION_S, name: str = "video.mp4") -> Path:
    """An ISO BMFF file of brand `isom` with a movie header giving its length."""
    path = directory / name
    path.write_bytes(_iso_bmff(b"isom", [b"isom", b"iso2", b"avc1", b"mp41"], seconds))
    return path


def _ebml_element(element_id: bytes, payload: bytes) -> bytes:
    # The size as a one-byte EBML variable-length integer (as muxers write small elements).
    return element_id + bytes([0x80 | len(payload)]) + payload


def webm(directory: Path, *, name: str = "video.webm", doctype: bytes = b"webm") -> Path:
    """An EBML header of DocType `webm` (or `doctype`: `matroska`) and the start of a Segment."""
    header = _ebml_element(
        b"\x1a\x45\xdf\xa3",
        _ebml_element(b"\x42\x86", b"\x01")  # EBMLVersion
        + _ebml_element(b"\x42\xf7", b"\x01")  # EBMLReadVersion
        + _ebml_element(b"\x42\xf2", b"\x04")  # EBMLMaxIDLength
        + _ebml_element(b"\x42\xf3", b"\x08")  # EBMLMaxSizeLength
        + _ebml_element(b"\x42\x82", doctype)  # DocType
        + _ebml_element(b"\x42\x87", b"\x04")  # DocTypeVersion
        + _ebml_element(b"\x42\x85", b"\x02"),  # DocTypeReadVersion
    )
    segment = _ebml_element(b"\x18\x53\x80\x67", b"\xec\x80" * 16)  # Void elements
    path = directory / name
    path.write_bytes(header + segment)
    return path


def pdf(directory: Path, *, name: str = "document.pdf") -> Path:
    """A one-page PDF with a valid cross-reference table."""
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] >>",
    ]
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n" % number + body + b"\nendobj\n")
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    for offset in offsets:
        out.write(b"%010d 00000 n \n" % offset)
    out.write(
        b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    )
    path = directory / name
    path.write_bytes(out.getvalue())
    return path


# --- what an image still carries -----------------------------------------------------------

_RAW_MARKERS: dict[str, tuple[bytes, ...]] = {
    # JPEG APP1 "Exif\0\0", WebP chunk "EXIF", PNG chunk "eXIf", HEIF item "Exif"
    "exif": (b"Exif\x00\x00", b"EXIF", b"eXIf"),
    "gps": (GPS_MARKER,),
    "xmp": (XMP_MARKER, b"http://ns.adobe.com/xap/1.0/", b"XMP "),
    "comment": (COMMENT_MARKER,),
    "png_text": (b"tEXt", b"iTXt", b"zTXt"),
}


def metadata_keys(path: Path) -> set[str]:
    """What metadata `path` still carries: read by Pillow and looked for in the raw bytes.

    Returns a subset of {"exif", "gps", "xmp", "comment", "png_text"}; empty for a clean file.
    """
    found: set[str] = set()
    raw = path.read_bytes()
    for key, markers in _RAW_MARKERS.items():
        if any(marker in raw for marker in markers):
            found.add(key)
    with Image.open(path) as image:
        exif = image.getexif()
        if len(exif):
            found.add("exif")
        if exif.get_ifd(0x8825):
            found.add("gps")
        info = image.info
        if info.get("xmp") or info.get("XML:com.adobe.xmp"):
            found.add("xmp")
        if info.get("comment"):
            found.add("comment")
        if info.get("exif"):
            found.add("exif")
    return found


def has_location(path: Path) -> bool:
    """Whether `path` still tells where it was taken (a GPS IFD, or the GPS words in XMP)."""
    keys = metadata_keys(path)
    return "gps" in keys or "xmp" in keys or b"GPSLatitude" in path.read_bytes()
