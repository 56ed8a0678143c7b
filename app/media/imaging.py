"""Images made safe to serve: dimensions from the header, metadata gone, variants and a blurhash.

Pure functions on files, no database: the processing job calls them off the request path.

- `read_dimensions` reads the header only (Pillow opens lazily), so a 50,000 × 50,000 PNG
  of a few KiB is refused before a byte of it is decoded. Pillow's own decompression-bomb
  guard is on as well: `Image.MAX_IMAGE_PIXELS` is the configured limit and its warning is
  an error.
- `process_image` applies the EXIF orientation, then re-encodes the original without any
  metadata: no EXIF (so no GPS), no XMP, no comments, no PNG text chunks. An embedded colour
  profile is converted away (pixels to sRGB, profile dropped), since a profile is free-form
  bytes too. JPEG and HEIC become JPEG (quality 88), PNG stays PNG, WebP stays WebP (lossy,
  quality 90), GIF stays GIF: copied block by block without its comments and application
  extensions (no pixel decoded, so an animation stays exactly as it was). An animated GIF
  or WebP keeps its animation when all its frames together have no more pixels than the
  megapixel limit (browsers decode every frame; the WebP encoder holds them all), else it
  becomes its first frame. Variants are WebP stills (the first frame), the
  longest side min(target, the original's): never upscaled, and all three always made.
- For JPEG the variants come from a second, reduced decode (`draft`: libjpeg's DCT scaling
  decodes a 6000 × 4000 photo straight at 3000 × 2000), which is what makes a 24-megapixel
  photo fit the time budget (bench/MEDIA.md has the numbers). Each variant is resized from
  the next larger one, and each large image is released as soon as it is written.
- `read_duration` reads audio and video lengths from their headers with mutagen.
"""

from __future__ import annotations

import hashlib
import io
import math
import shutil
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import blurhash  # type: ignore[import-untyped]
import mutagen
import pillow_heif
from mutagen.mp3 import MP3
from mutagen.mp4 import MP4
from mutagen.oggflac import OggFLAC
from mutagen.oggopus import OggOpus
from mutagen.oggspeex import OggSpeex
from mutagen.oggtheora import OggTheora
from mutagen.oggvorbis import OggVorbis
from mutagen.wave import WAVE
from PIL import Image, ImageCms, ImageOps, ImageSequence

from app.i18n import N_

VARIANT_SIZES: dict[str, int] = {"thumb": 320, "medium": 1280, "large": 2560}

JPEG_QUALITY = 88
WEBP_QUALITY = 80  # variants
WEBP_ORIGINAL_QUALITY = 90
WEBP_METHOD = 4  # libwebp's effort, 0–6: Pillow's default (bench/MEDIA.md)
BLURHASH_SIDE = 32  # the blurhash is computed on a thumbnail this big (it is a 4 × 3 blur)

# Pillow's format names of the accepted images ("HEIF" is pillow-heif's).
_FORMATS = ("JPEG", "PNG", "WEBP", "GIF", "HEIF")
_OUTPUT_FORMAT = {"JPEG": "JPEG", "HEIF": "JPEG", "PNG": "PNG", "WEBP": "WEBP", "GIF": "GIF"}
_CONTENT_TYPE = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp", "GIF": "image/gif"}
# What the re-encoded original keeps of the decoder's `info`: how to draw it, nothing more.
_KEPT_INFO = ("transparency", "duration", "loop", "background", "disposal")

pillow_heif.register_heif_opener()


class UnprocessableMedia(Exception):
    """The file cannot be made into a served image; `reason` is shown to its owner."""

    def __init__(self, reason: str, **values: Any) -> None:
        """`reason` is a message id (`N_()`) filled from `values`, so a 422 says it in the
        caller's language; `self.reason`, what is stored with the media, is English."""
        self.reason = reason.format(**values) if values else reason
        super().__init__(self.reason)
        self.message, self.values = reason, values


class ImageTooLarge(UnprocessableMedia):
    def __init__(self, *, width: int, height: int, max_megapixels: int) -> None:
        megapixels = width * height / 1_000_000
        super().__init__(
            N_(
                "The image is {width} × {height} pixels ({megapixels} megapixels); "
                "at most {limit} megapixels are accepted."
            ),
            width=width,
            height=height,
            megapixels=f"{megapixels:,.1f}",
            limit=max_megapixels,
        )
        self.width = width
        self.height = height


@dataclass(frozen=True)
class VariantFile:
    name: str
    path: Path
    width: int
    height: int
    bytes: int
    content_type: str


@dataclass(frozen=True)
class ProcessedImage:
    original: Path
    content_type: str
    width: int
    height: int
    bytes: int
    sha256: str
    blurhash: str
    variants: tuple[VariantFile, ...]


_UNREADABLE = N_("The image could not be read: the file is damaged, incomplete or not an image.")


def _guard(max_megapixels: int) -> None:
    """Pillow's decompression-bomb guard at our limit, its warning an error (idempotent)."""
    Image.MAX_IMAGE_PIXELS = max_megapixels * 1_000_000
    # filterwarnings replaces an identical filter instead of adding a second one.
    warnings.filterwarnings("error", category=Image.DecompressionBombWarning)


def read_dimensions(path: Path, *, max_megapixels: int) -> tuple[int, int]:
    """(width, height) from the header only; never decodes pixels.

    Raises ImageTooLarge over `max_megapixels`, UnprocessableMedia if it is not a readable
    image of an accepted format.
    """
    _guard(max_megapixels)
    try:
        with Image.open(path, formats=_FORMATS) as image:
            width, height = image.size
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        width, height = _header_size(path)
        raise ImageTooLarge(width=width, height=height, max_megapixels=max_megapixels) from None
    except Exception as error:
        raise UnprocessableMedia(_UNREADABLE) from error
    if width < 1 or height < 1:
        raise UnprocessableMedia(_UNREADABLE)
    if width * height > max_megapixels * 1_000_000:
        raise ImageTooLarge(width=width, height=height, max_megapixels=max_megapixels)
    return width, height


def _header_size(path: Path) -> tuple[int, int]:
    """The size a header claims, read by the format's plugin without the bomb check.

    Only after Pillow refused the image as a bomb, to say how big it claims to be.
    """
    with path.open("rb") as file:
        prefix = file.read(16)
        for format_id in _FORMATS:
            factory, accept = Image.OPEN[format_id]
            if accept is not None and not accept(prefix):
                continue
            file.seek(0)
            try:
                image = factory(file, str(path))
            except Exception:  # noqa: S112 - another plugin may read it
                continue
            width, height = image.size
            return int(width), int(height)
    return 0, 0


def process_image(source: Path, workdir: Path, *, max_megapixels: int) -> ProcessedImage:
    """Re-encode `source` without metadata into `workdir/original`, make the WebP variants
    (`workdir/<name>.webp`) and the blurhash.

    Raises ImageTooLarge or UnprocessableMedia (with a reason for the owner).
    """
    read_dimensions(source, max_megapixels=max_megapixels)
    try:
        return _process(source, workdir, max_megapixels=max_megapixels)
    except UnprocessableMedia:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as error:
        raise UnprocessableMedia(
            N_("The image is larger than {limit} megapixels once decoded."), limit=max_megapixels
        ) from error
    except MemoryError as error:
        raise UnprocessableMedia(N_("The image needs too much memory to process.")) from error
    except Exception as error:
        # Pillow's decoders raise OSError, SyntaxError, ValueError, EOFError, struct.error…
        # for damaged files; none of them is worth a retry.
        raise UnprocessableMedia(_UNREADABLE) from error


def _process(source: Path, workdir: Path, *, max_megapixels: int) -> ProcessedImage:
    workdir.mkdir(parents=True, exist_ok=True)
    with Image.open(source, formats=_FORMATS) as opened:
        source_format = opened.format or ""
        output_format = _OUTPUT_FORMAT[source_format]
        original = workdir / "original"
        if source_format == "GIF" and _rewrite_gif(source, original, max_megapixels=max_megapixels):
            first = _upright(opened)  # the first frame, for the variants
        elif (
            source_format == "WEBP"
            and _animation_fits(
                getattr(opened, "n_frames", 1) * opened.width * opened.height,
                max_megapixels=max_megapixels,
            )
            and getattr(opened, "n_frames", 1) > 1
        ):
            first = _write_animation(opened, original)
        else:
            # No copy of the decoded pixels: `first` is `opened` unless turned or converted.
            first = _upright(opened)
            if first is not opened:
                opened.close()
            _write_still(first, original, output_format)
        if source_format == "JPEG" and max(first.size) >= 2 * VARIANT_SIZES["large"]:
            # The variants from a reduced decode (DCT scaling) instead of the full image,
            # which is released first.
            first.close()
            first = _draft_upright(source)
        out_width, out_height = _size_of(original)
        variants = _write_variants(first, workdir, original_size=(out_width, out_height))
    digest, size = _sha256(original)
    return ProcessedImage(
        original=original,
        content_type=_CONTENT_TYPE[output_format],
        width=out_width,
        height=out_height,
        bytes=size,
        sha256=digest,
        blurhash=_blurhash(variants[0].path),
        variants=variants,
    )


def _animation_fits(pixels: int, *, max_megapixels: int) -> bool:
    """Whether all frames together are within the limit (the encoders hold every frame)."""
    return pixels <= max_megapixels * 1_000_000


def _upright(image: Image.Image) -> Image.Image:
    """The first frame, decoded, turned as its EXIF orientation says, in sRGB, info cleared.

    `image` itself (turned in place, its `info` cleared) unless its colours had to be
    converted: no copy of the pixels is made for nothing.
    """
    image.seek(0)
    image.load()
    kept: dict[str | tuple[int, int], Any] = {
        key: image.info[key] for key in _KEPT_INFO if key in image.info
    }
    icc = image.info.get("icc_profile")
    # In place: without it Pillow returns a copy even when there is nothing to turn.
    ImageOps.exif_transpose(image, in_place=True)
    converted = _to_srgb(image, icc)
    converted.info = kept
    return converted


def _draft_upright(source: Path) -> Image.Image:
    """A JPEG decoded at the smallest DCT scale that still covers the large variant."""
    image = Image.open(source, formats=("JPEG",))
    width, height = image.size
    scale = VARIANT_SIZES["large"] / max(width, height)
    image.draft("RGB", (math.ceil(width * scale), math.ceil(height * scale)))
    upright = _upright(image)  # load() has closed the file
    if upright is not image:
        image.close()
    return upright


def _to_srgb(image: Image.Image, icc: bytes | None) -> Image.Image:
    """Pixels converted from an embedded profile to sRGB; the profile is not kept."""
    if image.mode == "CMYK":
        image = image.convert("RGB")
    if not icc or image.mode not in ("RGB", "RGBA"):
        return image
    try:
        profile = ImageCms.ImageCmsProfile(io.BytesIO(icc))
        converted = ImageCms.profileToProfile(image, profile, _SRGB, outputMode=image.mode)
    except (ImageCms.PyCMSError, OSError, ValueError):
        return image  # a damaged profile: the pixels as they are
    return converted if converted is not None else image


_SRGB = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB"))


def _write_still(image: Image.Image, path: Path, output_format: str) -> None:
    if output_format == "JPEG":
        _rgb(image).save(path, "JPEG", quality=JPEG_QUALITY, optimize=False)
    elif output_format == "PNG":
        kept = {"transparency": image.info["transparency"]} if "transparency" in image.info else {}
        image.save(path, "PNG", **kept)
    elif output_format == "WEBP":
        _web(image).save(path, "WEBP", quality=WEBP_ORIGINAL_QUALITY, method=WEBP_METHOD)
    else:
        image.save(path, "GIF")  # the first frame of an animation over the budget


def _write_animation(opened: Image.Image, path: Path) -> Image.Image:
    """An animated WebP's frames re-encoded with their timing and nothing else; returns the
    first, for the variants."""
    timing = {key: opened.info[key] for key in ("loop", "duration") if key in opened.info}
    # A list: the WebP encoder wants one, and holds every frame anyway (which is why
    # animations are kept only within the megapixel budget).
    first, *frames = [_bare(frame) for frame in ImageSequence.Iterator(opened)]
    first.save(
        path,
        "WEBP",
        save_all=True,
        append_images=frames,
        quality=WEBP_ORIGINAL_QUALITY,
        method=WEBP_METHOD,
        **timing,
    )
    return _web(first)


# GIF application extensions kept: the loop count. XMP packets and ICC profiles travel in
# other application extensions, which are left out with comments and plain text.
_GIF_LOOP_EXTENSIONS = (b"NETSCAPE2.0", b"ANIMEXTS1.0")


def _rewrite_gif(source: Path, target: Path, *, max_megapixels: int) -> bool:
    """Copy a GIF block by block without its metadata; no pixel is decoded.

    Kept: the header and colour tables, graphic control extensions (timing, transparency),
    the loop count, every frame's image data as it is (lossless, however many frames) and the
    trailer. Left out: comments, plain-text and other application extensions (XMP, ICC), and
    anything after the trailer. False, and no file, when all the frames together have more
    pixels than the limit (a browser decodes every one): the caller keeps the first frame.
    Raises UnprocessableMedia for a malformed or cut file.
    """
    pixels = 0
    with source.open("rb") as reader, target.open("wb") as writer:
        header = _take(reader, 13)
        if header[:6] not in (b"GIF87a", b"GIF89a"):
            raise UnprocessableMedia(_UNREADABLE)
        writer.write(header)
        if header[10] & 0x80:
            writer.write(_take(reader, 3 << ((header[10] & 0x07) + 1)))
        while True:
            introducer = _take(reader, 1)
            if introducer == b"\x3b":  # trailer
                writer.write(introducer)
                return True
            if introducer == b"\x21":  # extension
                label = _take(reader, 1)
                size = _take(reader, 1)
                first_block = _take(reader, size[0])
                keep = label == b"\xf9" or (
                    label == b"\xff" and first_block[:11] in _GIF_LOOP_EXTENSIONS
                )
                out = writer if keep else None
                if out is not None:
                    out.write(introducer + label + size + first_block)
                if size != b"\x00":
                    _copy_sub_blocks(reader, out)
            elif introducer == b"\x2c":  # a frame
                descriptor = _take(reader, 9)
                pixels += int.from_bytes(descriptor[4:6], "little") * int.from_bytes(
                    descriptor[6:8], "little"
                )
                if not _animation_fits(pixels, max_megapixels=max_megapixels):
                    break
                writer.write(introducer + descriptor)
                if descriptor[8] & 0x80:
                    writer.write(_take(reader, 3 << ((descriptor[8] & 0x07) + 1)))
                writer.write(_take(reader, 1))  # LZW minimum code size
                _copy_sub_blocks(reader, writer)
            else:
                raise UnprocessableMedia(_UNREADABLE)
    target.unlink()
    return False


def _take(reader: io.BufferedReader, count: int) -> bytes:
    data = reader.read(count)
    if len(data) != count:
        raise UnprocessableMedia(_UNREADABLE)
    return data


def _copy_sub_blocks(reader: io.BufferedReader, writer: io.BufferedWriter | None) -> None:
    """GIF data sub-blocks up to and with the empty one, to `writer` or nowhere."""
    while True:
        size = _take(reader, 1)
        block = _take(reader, size[0]) if size != b"\x00" else b""
        if writer is not None:
            writer.write(size + block)
        if size == b"\x00":
            return


def _bare(frame: Image.Image) -> Image.Image:
    """One animation frame as plain pixels with its timing, no metadata."""
    copy = frame.convert("RGBA") if frame.mode not in ("RGB", "RGBA") else frame.copy()
    copy.info = {key: frame.info[key] for key in ("duration",) if key in frame.info}
    return copy


def _size_of(path: Path) -> tuple[int, int]:
    with Image.open(path) as written:
        width, height = written.size
    return int(width), int(height)


def _write_variants(
    image: Image.Image, workdir: Path, *, original_size: tuple[int, int]
) -> tuple[VariantFile, ...]:
    """thumb, medium, large, each resized from the next larger one; `image` is closed."""
    current = _web(image)
    if current is not image:
        image.close()
    made: dict[str, VariantFile] = {}
    previous: Path | None = None
    for name, target in sorted(VARIANT_SIZES.items(), key=lambda item: -item[1]):
        # Each size from the original's, so rounding does not add up along the chain.
        resized = _fit(current, _fitted(original_size, target))
        path = workdir / f"{name}.webp"
        if resized is current and previous is not None:
            # The same size as the larger variant (a small image): the same bytes.
            shutil.copyfile(previous, path)
        else:
            resized.save(path, "WEBP", quality=WEBP_QUALITY, method=WEBP_METHOD)
        previous = path
        if resized is not current:
            current.close()
        current = resized
        made[name] = VariantFile(
            name=name,
            path=path,
            width=resized.width,
            height=resized.height,
            bytes=path.stat().st_size,
            content_type="image/webp",
        )
    current.close()
    return tuple(made[name] for name in sorted(VARIANT_SIZES, key=VARIANT_SIZES.__getitem__))


def _fitted(size: tuple[int, int], side: int) -> tuple[int, int]:
    """`size` scaled so its longest side is `side`, never larger than it is; aspect kept."""
    width, height = size
    if max(width, height) <= side:
        return width, height
    scale = side / max(width, height)
    return max(1, round(width * scale)), max(1, round(height * scale))


def _fit(image: Image.Image, size: tuple[int, int]) -> Image.Image:
    if image.size == size:
        return image
    return image.resize(size, Image.Resampling.LANCZOS, reducing_gap=3.0)


def _web(image: Image.Image) -> Image.Image:
    """RGB, or RGBA when the image has transparency: what WebP takes."""
    if image.mode in ("RGB", "RGBA"):
        return image
    if image.mode in ("I", "I;16", "I;16B", "I;16L", "I;16N", "F"):
        image = image.convert("I").point(lambda value: value / 256).convert("L")
    has_alpha = "A" in image.getbands() or "transparency" in image.info
    return image.convert("RGBA" if has_alpha else "RGB")


def _rgb(image: Image.Image) -> Image.Image:
    """RGB for JPEG: transparency flattened on white."""
    image = _web(image)
    if image.mode == "RGBA":
        flat = Image.new("RGB", image.size, (255, 255, 255))
        flat.paste(image, mask=image.getchannel("A"))
        return flat
    return image


def _blurhash(thumb: Path) -> str:
    with Image.open(thumb) as image:
        small = _rgb(image.copy())
    small.thumbnail((BLURHASH_SIDE, BLURHASH_SIDE), Image.Resampling.BILINEAR)
    width, height = small.size
    data = small.tobytes()
    rows = [
        [tuple(data[(y * width + x) * 3 : (y * width + x) * 3 + 3]) for x in range(width)]
        for y in range(height)
    ]
    components = (4, 3) if width >= height else (3, 4)
    return str(blurhash.encode(rows, *components))


def _sha256(path: Path) -> tuple[str, int]:
    digest = hashlib.sha256()
    size = 0
    with path.open("rb") as file:
        while chunk := file.read(1 << 20):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size


# --- audio and video ---------------------------------------------------------------------


def _ogg(path: Path) -> Any:
    return mutagen.File(path, options=[OggVorbis, OggOpus, OggFLAC, OggSpeex, OggTheora])


_DURATION_READERS: dict[str, Callable[[Path], Any]] = {
    "audio/mpeg": MP3,
    "audio/ogg": _ogg,
    "audio/wav": WAVE,
    "audio/mp4": MP4,
    "video/mp4": MP4,
}


def read_duration(path: Path, content_type: str) -> float | None:
    """The length in seconds of an audio or video file, where its headers tell (else None).

    WebM and anything mutagen cannot read answer None; this never raises for a damaged or
    unknown file.
    """
    reader = _DURATION_READERS.get(content_type)
    if reader is None:
        return None
    try:
        parsed = reader(path)
        length = float(parsed.info.length) if parsed is not None else 0.0
    except Exception:
        return None
    if not math.isfinite(length) or length <= 0:
        return None
    return round(length, 3)
