"""The media benchmark: image processing, Pillow against pyvips, uploads through the server.

Subcommands (`.venv/bin/python -m bench.media <command>`):

  libraries     a 24-megapixel JPEG to three WebP variants, and the whole pipeline (original
                re-encoded without metadata + variants + blurhash), with Pillow (our
                app.media.imaging) and with pyvips: CPU time (time.process_time, all threads)
                over several runs and peak RSS (VmHWM), each library in a fresh process.
                pyvips is not a dependency: `pip install pyvips` (libvips from the OS) to
                measure it, else it is reported missing.
  sizes         process_image's CPU time for JPEGs of several sizes: the cost per megapixel.
  upload        (needs the upload endpoint) a 20 MiB upload through `sanggar serve` against a
                plain file copy on the same disk; the server's peak RSS while 8 clients upload
                25 MiB each; a thumbnail's req/s against the constant-JSON ceiling (wrk).
  all           all of the above; writes nothing, prints Markdown for bench/MEDIA.md.

Environment: BENCH_MEDIA_RUNS (default 5) runs per measurement.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import PIL
from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
RUNS = int(os.environ.get("BENCH_MEDIA_RUNS", "5"))
LIMIT_MP = 50
SIDES = {"thumb": 320, "medium": 1280, "large": 2560}


# --- test images ---------------------------------------------------------------------------


def photo(path: Path, width: int, height: int) -> Path:
    """A photograph-like JPEG (noise over gradients, quality 92: about 0.3 bytes a pixel)."""
    if path.exists():
        return path
    noise = Image.effect_noise((max(1, width // 4), max(1, height // 4)), 60).convert("RGB")
    noise = noise.resize((width, height), Image.Resampling.BICUBIC)
    gradient = Image.linear_gradient("L").resize((width, height)).convert("RGB")
    Image.blend(noise, gradient, 0.5).save(path, "JPEG", quality=92)
    return path


def rotated_photo(path: Path, source: Path) -> Path:
    """`source` stored sideways with EXIF orientation 6, as phones write portraits."""
    if path.exists():
        return path
    with Image.open(source) as image:
        exif = Image.Exif()
        exif[0x0112] = 6
        image.transpose(Image.Transpose.ROTATE_90).save(path, "JPEG", quality=92, exif=exif)
    return path


def _sizes_for(megapixels: float) -> tuple[int, int]:
    """A 3:2 frame of about `megapixels`."""
    height = round((megapixels * 1_000_000 / 1.5) ** 0.5)
    return round(height * 1.5), height


# --- one library in its own process ---------------------------------------------------------


def _pillow_variants(source: Path, out: Path) -> None:
    """The variants as process_image makes them from a big JPEG (a DCT-scaled decode)."""
    from app.media import imaging

    with Image.open(source) as image:
        size = image.size
    imaging._write_variants(imaging._draft_upright(source), out, original_size=size)


def _pillow_full(source: Path, out: Path) -> None:
    from app.media.imaging import process_image

    process_image(source, out, max_megapixels=LIMIT_MP)


def _vips() -> Any:
    return importlib.import_module("pyvips")


def _vips_variants(source: Path, out: Path) -> None:
    vips = _vips()
    for name, side in SIDES.items():
        # thumbnail() decodes with shrink-on-load (libjpeg DCT scaling) and turns upright.
        variant = vips.Image.thumbnail(str(source), side, height=side, size="down")
        variant.webpsave(str(out / f"{name}.webp"), Q=80, strip=True)


def _vips_full(source: Path, out: Path) -> None:
    vips = _vips()
    image = vips.Image.new_from_file(str(source), access="sequential").autorot()
    image.jpegsave(str(out / "original"), Q=88, strip=True)
    _vips_variants(source, out)
    # the blurhash, as the Pillow pipeline makes it: from a 32-pixel thumbnail
    small = vips.Image.thumbnail(str(out / "thumb.webp"), 32)
    import blurhash  # type: ignore[import-untyped]

    data = small.write_to_memory()
    width, height, bands = small.width, small.height, small.bands
    rows = [
        [tuple(data[(y * width + x) * bands : (y * width + x) * bands + 3]) for x in range(width)]
        for y in range(height)
    ]
    blurhash.encode(rows, 4, 3)


PIPELINES: dict[str, Callable[[Path, Path], None]] = {
    "pillow-variants": _pillow_variants,
    "pillow-full": _pillow_full,
    "pyvips-variants": _vips_variants,
    "pyvips-full": _vips_full,
}


def _maxrss_mib() -> float:
    """This process's peak RSS in MiB.

    /proc's VmHWM where there is one: ru_maxrss keeps, across exec, the peak of the process
    that forked this one (the benchmark's parent, when it has just drawn a 24-megapixel
    photograph), so every child would report at least the parent's peak.
    """
    status = Path("/proc/self/status")
    if status.exists():
        for line in status.read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _child(pipeline: str, source: Path, runs: int) -> None:
    """Run one pipeline `runs` times in this (fresh) process and print JSON."""
    function = PIPELINES[pipeline]
    if pipeline.startswith("pyvips"):
        vips = _vips()
        vips.cache_set_max(0)  # no operation cache: every run decodes again
    else:
        import app.media.imaging  # noqa: F401 - imports outside the measured region
    idle = _maxrss_mib()
    cpu: list[float] = []
    wall: list[float] = []
    with tempfile.TemporaryDirectory() as scratch:
        for index in range(runs):
            out = Path(scratch) / str(index)
            out.mkdir()
            started_cpu, started_wall = time.process_time(), time.perf_counter()
            function(source, out)
            cpu.append(time.process_time() - started_cpu)
            wall.append(time.perf_counter() - started_wall)
    print(json.dumps({"cpu": cpu, "wall": wall, "idle_mib": idle, "peak_mib": _maxrss_mib()}))


def measure_pipeline(pipeline: str, source: Path, runs: int = RUNS) -> dict[str, Any] | None:
    command = [sys.executable, "-m", "bench.media", "_child", pipeline, str(source), str(runs)]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        print(done.stderr[-2000:], file=sys.stderr)
        return None
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def pyvips_version() -> str | None:
    try:
        vips = _vips()
    except (ImportError, OSError):
        return None
    return f"pyvips {vips.__version__}, libvips {vips.version(0)}.{vips.version(1)}"


def libraries(workdir: Path) -> str:
    source = photo(workdir / "24mp.jpg", 6000, 4000)
    vips = pyvips_version()
    lines = [
        f"Source: a 6000 × 4000 JPEG (quality 92, {source.stat().st_size / 2**20:.1f} MiB). "
        f"{RUNS} runs each in a fresh process; CPU = time.process_time (all threads), "
        "median and best; peak RSS = VmHWM of that process (its RSS after imports, "
        "before the first run, in brackets).",
        "",
        f"Pillow {PIL.__version__}; " + (vips or "pyvips not installed: Pillow only"),
        "",
        "| pipeline | CPU median (s) | CPU best (s) | wall median (s) | peak RSS MiB (idle) |",
        "|---|---|---|---|---|",
    ]
    rotated = rotated_photo(workdir / "24mp-rotated.jpg", source)
    runs = [(pipeline, pipeline, source) for pipeline in PIPELINES]
    runs.append(("pillow-full, EXIF orientation 6", "pillow-full", rotated))
    for label, pipeline, path in runs:
        if pipeline.startswith("pyvips") and vips is None:
            continue
        result = measure_pipeline(pipeline, path)
        if result is None:
            lines.append(f"| {label} | failed | | | |")
            continue
        lines.append(
            f"| {label} | {statistics.median(result['cpu']):.3f} | {min(result['cpu']):.3f}"
            f" | {statistics.median(result['wall']):.3f}"
            f" | {result['peak_mib']:.0f} ({result['idle_mib']:.0f}) |"
        )
    return "\n".join(lines)


def sizes(workdir: Path) -> str:
    lines = [
        "process_image (original re-encoded + three variants + blurhash), Pillow, "
        f"{RUNS} runs each in a fresh process, CPU median:",
        "",
        "| megapixels | size | CPU (s) | ms per megapixel | peak RSS MiB |",
        "|---|---|---|---|---|",
    ]
    for megapixels in (1, 4, 12, 24, 48):
        width, height = _sizes_for(megapixels)
        source = photo(workdir / f"{megapixels}mp.jpg", width, height)
        result = measure_pipeline("pillow-full", source)
        if result is None:
            lines.append(f"| {megapixels} | {width} × {height} | failed | | |")
            continue
        cpu = statistics.median(result["cpu"])
        lines.append(
            f"| {megapixels} | {width} × {height} | {cpu:.3f} | {cpu * 1000 / megapixels:.0f}"
            f" | {result['peak_mib']:.0f} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0] if __doc__ else None)
    parser.add_argument("command", choices=["libraries", "sizes", "upload", "all", "_child"])
    parser.add_argument("args", nargs="*")
    args = parser.parse_args()
    if args.command == "_child":
        pipeline, source, runs = args.args
        _child(pipeline, Path(source), int(runs))
        return
    workdir = Path(os.environ.get("BENCH_MEDIA_DIR", tempfile.gettempdir())) / "sanggar-bench"
    workdir.mkdir(parents=True, exist_ok=True)
    if args.command in ("libraries", "all"):
        print("## Pillow or pyvips\n\n" + libraries(workdir) + "\n", flush=True)
    if args.command in ("sizes", "all"):
        print("## Cost per megapixel\n\n" + sizes(workdir) + "\n", flush=True)
    if args.command in ("upload", "all"):
        upload = importlib.import_module("bench.media_upload")  # needs the upload endpoint
        print("## Uploads through the server\n\n" + upload.run(workdir) + "\n", flush=True)


if __name__ == "__main__":
    main()
