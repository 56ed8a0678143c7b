"""Images made safe to serve, and the durations of audio and video (pure functions, no database)."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path

import pytest
from PIL import Image, ImageSequence

from app.media import imaging
from app.media.imaging import (
    VARIANT_SIZES,
    ImageTooLarge,
    ProcessedImage,
    UnprocessableMedia,
    process_image,
    read_dimensions,
    read_duration,
)
from tests.media import samples

LIMIT = 50  # megapixels, the default setting


def _process(path: Path, tmp_path: Path, *, limit: int = LIMIT) -> ProcessedImage:
    return process_image(path, tmp_path / "out", max_megapixels=limit)


def test_read_dimensions_reads_the_header(tmp_path: Path) -> None:
    assert read_dimensions(samples.png(tmp_path, size=(300, 200)), max_megapixels=LIMIT) == (
        300,
        200,
    )


def test_a_bomb_is_refused_from_its_header_without_decoding(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bomb = samples.png_bomb(tmp_path, 50_000, 50_000)
    assert bomb.stat().st_size < 4096

    def no_decoding(*args: object, **kwargs: object) -> None:
        raise AssertionError("pixels were decoded")

    monkeypatch.setattr(Image.Image, "load", no_decoding)
    monkeypatch.setattr("PIL.ImageFile.ImageFile.load", no_decoding)
    with pytest.raises(ImageTooLarge) as refused:
        read_dimensions(bomb, max_megapixels=LIMIT)
    assert (refused.value.width, refused.value.height) == (50_000, 50_000)
    assert "50 megapixels" in refused.value.reason


def test_process_image_refuses_a_bomb_before_decoding(tmp_path: Path) -> None:
    with pytest.raises(ImageTooLarge):
        _process(samples.png_bomb(tmp_path, 50_000, 50_000), tmp_path)
    assert not (tmp_path / "out" / "original").exists()


def test_the_megapixel_limit_is_the_setting(tmp_path: Path) -> None:
    image = samples.jpeg(tmp_path, size=(2000, 1000))  # 2 megapixels
    assert read_dimensions(image, max_megapixels=2) == (2000, 1000)
    with pytest.raises(ImageTooLarge) as refused:
        read_dimensions(image, max_megapixels=1)
    assert (refused.value.width, refused.value.height) == (2000, 1000)
    with pytest.raises(ImageTooLarge):
        _process(image, tmp_path, limit=1)


@pytest.mark.parametrize("make", [samples.text, samples.svg, samples.pdf, samples.truncated_jpeg])
def test_what_is_not_a_readable_image_is_unprocessable_with_a_reason(
    tmp_path: Path, make: Callable[..., Path]
) -> None:
    with pytest.raises(UnprocessableMedia) as refused:
        _process(make(tmp_path), tmp_path)
    assert refused.value.reason
    assert not isinstance(refused.value, ImageTooLarge)


def test_the_exif_orientation_is_applied(tmp_path: Path) -> None:
    processed = _process(samples.jpeg_with_gps(tmp_path, orientation=6, size=(200, 100)), tmp_path)
    assert (processed.width, processed.height) == (100, 200)
    with Image.open(processed.original) as original:
        assert original.size == (100, 200)
        # Orientation 6 turns the stored picture a quarter clockwise: its left half (red)
        # is now the top, its right half (blue) the bottom.
        upright = original.convert("RGB")
        top, bottom = upright.getpixel((50, 60)), upright.getpixel((50, 150))
        assert isinstance(top, tuple) and isinstance(bottom, tuple)
        assert top[0] > 150 > top[2]
        assert bottom[2] > 150 > bottom[0]
    for variant in processed.variants:
        assert (variant.width, variant.height) == (100, 200)


@pytest.mark.parametrize(
    ("make", "content_type"),
    [
        (samples.jpeg_with_gps, "image/jpeg"),
        (samples.heic, "image/jpeg"),
        (samples.png, "image/png"),
        (samples.webp, "image/webp"),
        (samples.gif, "image/gif"),
    ],
)
def test_no_exif_gps_xmp_or_comment_survives_in_the_original_or_any_variant(
    tmp_path: Path, make: Callable[..., Path], content_type: str
) -> None:
    source = make(tmp_path)
    assert samples.has_location(source)  # the sample does carry a location
    processed = _process(source, tmp_path)
    assert processed.content_type == content_type
    for path in [processed.original, *(variant.path for variant in processed.variants)]:
        assert samples.metadata_keys(path) == set(), path.name
        assert not samples.has_location(path)


def test_heic_becomes_jpeg(tmp_path: Path) -> None:
    processed = _process(samples.heic(tmp_path, size=(200, 100)), tmp_path)
    assert processed.content_type == "image/jpeg"
    with Image.open(processed.original) as original:
        assert original.format == "JPEG"
        assert sorted(original.size) == [100, 200]


def _frames(path: Path) -> list[bytes]:
    with Image.open(path) as image:
        return [frame.convert("RGBA").tobytes() for frame in ImageSequence.Iterator(image)]


def test_an_animated_gif_stays_animated_exactly_and_its_variants_are_stills(
    tmp_path: Path,
) -> None:
    source = samples.gif(tmp_path)
    processed = _process(source, tmp_path)
    with Image.open(processed.original) as original:
        assert original.format == "GIF"
        assert getattr(original, "n_frames", 1) == 2
        assert original.info.get("loop") == 0
        assert original.info.get("duration") == 100
    assert _frames(processed.original) == _frames(source)  # not a pixel re-encoded
    assert processed.bytes < source.stat().st_size
    with Image.open(processed.variants[0].path) as thumb:
        assert getattr(thumb, "n_frames", 1) == 1


def test_an_animation_over_the_pixel_budget_becomes_its_first_frame(tmp_path: Path) -> None:
    source = samples.gif(tmp_path)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(imaging, "_animation_fits", lambda *args, **kwargs: False)
        still = process_image(source, tmp_path / "still", max_megapixels=LIMIT)
    with Image.open(still.original) as original:
        assert getattr(original, "n_frames", 1) == 1


@pytest.mark.parametrize("cut", [0, 6, 13, 40, -30, -1])
def test_a_malformed_gif_is_unprocessable(tmp_path: Path, cut: int) -> None:
    whole = samples.gif(tmp_path).read_bytes()
    damaged = tmp_path / "damaged.gif"
    damaged.write_bytes(whole[:cut] + b"\x99" + whole[cut + 1 :] if cut >= 0 else whole[:cut])
    try:
        _process(damaged, tmp_path)
    except UnprocessableMedia as refused:
        assert refused.reason


def test_variants_have_their_sizes_as_webp(tmp_path: Path) -> None:
    processed = _process(samples.jpeg(tmp_path, size=(3000, 2000)), tmp_path)
    sizes = {variant.name: (variant.width, variant.height) for variant in processed.variants}
    assert sizes == {"thumb": (320, 213), "medium": (1280, 853), "large": (2560, 1707)}
    assert [variant.name for variant in processed.variants] == ["thumb", "medium", "large"]
    for variant in processed.variants:
        assert variant.content_type == "image/webp"
        assert variant.path.parent == tmp_path / "out"
        assert variant.bytes == variant.path.stat().st_size
        with Image.open(variant.path) as written:
            assert written.format == "WEBP"
            assert written.size == (variant.width, variant.height)


def test_a_big_jpeg_gets_its_variants_from_a_reduced_decode(tmp_path: Path) -> None:
    processed = _process(samples.jpeg(tmp_path, size=(6000, 4000)), tmp_path)
    assert (processed.width, processed.height) == (6000, 4000)
    sizes = {variant.name: (variant.width, variant.height) for variant in processed.variants}
    assert sizes == {"thumb": (320, 213), "medium": (1280, 853), "large": (2560, 1707)}


def test_a_small_image_is_never_upscaled(tmp_path: Path) -> None:
    processed = _process(samples.png(tmp_path, size=(300, 200)), tmp_path)
    for variant in processed.variants:
        assert (variant.width, variant.height) == (300, 200)
    medium = _process(samples.jpeg(tmp_path, size=(900, 600)), tmp_path / "second")
    sizes = {variant.name: (variant.width, variant.height) for variant in medium.variants}
    assert sizes == {"thumb": (320, 213), "medium": (900, 600), "large": (900, 600)}


def test_the_original_is_described_and_a_blurhash_made(tmp_path: Path) -> None:
    processed = _process(samples.jpeg(tmp_path, size=(640, 480)), tmp_path)
    data = processed.original.read_bytes()
    assert processed.bytes == len(data)
    assert processed.sha256 == hashlib.sha256(data).hexdigest()
    assert processed.original == tmp_path / "out" / "original"
    assert 20 <= len(processed.blurhash) <= 40
    assert set(VARIANT_SIZES) == {variant.name for variant in processed.variants}


def test_read_duration_of_the_samples(tmp_path: Path) -> None:
    assert read_duration(samples.wav(tmp_path, seconds=2.0), "audio/wav") == 2.0
    for make, content_type in [
        (samples.mp3, "audio/mpeg"),
        (samples.ogg, "audio/ogg"),
        (samples.m4a, "audio/mp4"),
        (samples.mp4, "video/mp4"),
    ]:
        duration = read_duration(make(tmp_path), content_type)
        assert duration == pytest.approx(samples.DURATION_S, abs=0.05), content_type


def test_read_duration_is_none_when_unknown_or_damaged(tmp_path: Path) -> None:
    assert read_duration(samples.webm(tmp_path), "video/webm") is None
    assert read_duration(samples.text(tmp_path), "audio/mpeg") is None
    assert read_duration(samples.pdf(tmp_path), "audio/wav") is None
    assert read_duration(samples.png(tmp_path), "video/mp4") is None


@pytest.mark.parametrize(
    "make", [samples.jpeg_with_gps, samples.png, samples.webp, samples.gif, samples.heic]
)
def test_a_damaged_image_is_unprocessable_or_processed_never_another_error(
    tmp_path: Path, make: Callable[..., Path]
) -> None:
    whole = make(tmp_path).read_bytes()
    damaged = tmp_path / "damaged"
    for offset in range(16, len(whole), max(1, len(whole) // 40)):
        changed = bytearray(whole)
        changed[offset] ^= 0x5A
        damaged.write_bytes(bytes(changed))
        try:
            _process(damaged, tmp_path / str(offset))
        except UnprocessableMedia as refused:
            assert refused.reason
    for cut in (len(whole) // 3, len(whole) - 10):
        damaged.write_bytes(whole[:cut])
        try:
            _process(damaged, tmp_path / f"cut{cut}")
        except UnprocessableMedia as refused:
            assert refused.reason
