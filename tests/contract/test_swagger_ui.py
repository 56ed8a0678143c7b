"""Swagger UI in a real browser: headless Chromium opens /docs with every non-loopback request
blocked, logs in with Authorize (password flow), runs members_get_me with "Try it out" and
reads the answer on the page. The screenshot is kept in test-artifacts/ (gitignored)."""

from __future__ import annotations

import json
import os
from pathlib import Path

from app.core.migrations import PROJECT_ROOT
from tests.contract.conftest import CHROMIUM, LiveSanggar, once, require, run

ARTIFACTS = PROJECT_ROOT / "test-artifacts"

pytestmark = once


def test_swagger_ui_logs_in_and_tries_members_get_me_offline(
    npm_project: Path, live_sanggar: LiveSanggar
) -> None:
    chromium = require(CHROMIUM, install="apt-get install chromium")
    node = require("node", install="apt-get install nodejs")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    screenshot = ARTIFACTS / "swagger-ui-members-get-me.png"
    screenshot.unlink(missing_ok=True)
    result = run(
        [
            node,
            "swagger-ui.mjs",
            live_sanggar.url,
            "admin",
            live_sanggar.admin_password,
            str(screenshot),
        ],
        cwd=npm_project,
        timeout=180,
        env={**os.environ, "CHROMIUM": chromium},
    )
    page = json.loads(result.stdout.strip().splitlines()[-1])
    assert page["oas"] == "OAS 3.1", "the docs page must render the OpenAPI 3.1 contract"
    assert page["blocked"] == [], "the docs page reached outside the machine"
    assert page["status"] == "200"
    me = json.loads(page["body"])
    assert (me["handle"], me["display_name"], me["role"]) == ("admin", "Admin", "admin")
    assert me["email"] == live_sanggar.admin_email
    assert screenshot.stat().st_size > 10_000
