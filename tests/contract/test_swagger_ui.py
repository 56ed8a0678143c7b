"""The documentation in a real browser, where a frontend developer opens it: headless Chromium
on `localhost` (not the 127.0.0.1 the server was started with) and a free, non-default port.
On /docs it logs in with Authorize (password flow), runs members_get_me with "Try it out" and
reads the answer on the page; then it renders /redoc. Any request that leaves the machine
(images and fonts included) and any Content-Security-Policy violation fails the test. Then
the same under a real-looking name (sanggar.test, which Chromium resolves to 127.0.0.1), as
behind a proxy with a name of its own. Last, a PNG is uploaded through media_upload's file
input. The screenshots are kept in test-artifacts/ (gitignored)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from PIL import Image

from app.core.migrations import PROJECT_ROOT
from tests.contract.conftest import CHROMIUM, LiveSanggar, once, require, run

ARTIFACTS = PROJECT_ROOT / "test-artifacts"

pytestmark = once


@pytest.mark.parametrize("host", ["localhost", "sanggar.test"])
def test_swagger_ui_and_redoc_work_at_any_address_offline(
    npm_project: Path, live_sanggar: LiveSanggar, host: str
) -> None:
    chromium = require(CHROMIUM, install="apt-get install chromium")
    node = require("node", install="apt-get install nodejs")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    screenshot = ARTIFACTS / f"swagger-ui-members-get-me-{host}.png"
    screenshot.unlink(missing_ok=True)
    served_at = live_sanggar.url.replace("://127.0.0.1:", f"://{host}:")
    assert served_at != live_sanggar.url and not served_at.endswith(":8000")
    name = [host] if host != "localhost" else []  # localhost resolves by itself
    result = run(
        [
            node,
            "swagger-ui.mjs",
            served_at,
            "admin",
            live_sanggar.admin_password,
            str(screenshot),
            *name,
        ],
        cwd=npm_project,
        timeout=180,
        env={**os.environ, "CHROMIUM": chromium},
    )
    page = json.loads(result.stdout.strip().splitlines()[-1])
    assert page["oas"] == "OAS 3.1", "the docs page must render the OpenAPI 3.1 contract"
    assert page["left"] == [], "the docs pages reached outside the machine"
    assert page["violations"] == [], "the docs pages broke their own Content-Security-Policy"
    assert page["status"] == "200"
    me = json.loads(page["body"])
    assert (me["handle"], me["display_name"], me["role"]) == ("admin", "Admin", "admin")
    assert me["email"] == live_sanggar.admin_email
    assert screenshot.stat().st_size > 10_000
    assert page["redoc"].startswith("Sanggar"), "ReDoc must render the contract"


def test_swagger_ui_uploads_a_file_to_the_media_endpoint(
    npm_project: Path, live_sanggar: LiveSanggar, tmp_path: Path
) -> None:
    """media_upload in Swagger UI shows a file input for `file`; choosing a small PNG there
    and pressing Execute uploads it (201, an image being processed or ready)."""
    chromium = require(CHROMIUM, install="apt-get install chromium")
    node = require("node", install="apt-get install nodejs")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    screenshot = ARTIFACTS / "swagger-ui-media-upload.png"
    screenshot.unlink(missing_ok=True)
    picture = tmp_path / "red-square.png"
    Image.new("RGB", (64, 64), (200, 30, 40)).save(picture, format="PNG")
    served_at = live_sanggar.url.replace("://127.0.0.1:", "://localhost:")
    result = run(
        [
            node,
            "swagger-ui-upload.mjs",
            served_at,
            "admin",
            live_sanggar.admin_password,
            str(picture),
            str(screenshot),
        ],
        cwd=npm_project,
        timeout=180,
        env={**os.environ, "CHROMIUM": chromium},
    )
    page = json.loads(result.stdout.strip().splitlines()[-1])
    assert page["fileInputs"] == 1, "the upload form must offer one file input"
    assert page["left"] == [], "the docs page reached outside the machine"
    assert page["status"] == "201", page["body"]
    uploaded = json.loads(page["body"])
    assert (uploaded["kind"], uploaded["content_type"]) == ("image", "image/png")
    assert (uploaded["width"], uploaded["height"]) == (64, 64)
    assert uploaded["status"] in ("processing", "ready")
    assert uploaded["alt_text"] == "A red square, uploaded from Swagger UI"
    assert screenshot.stat().st_size > 5_000
