"""The receiver in the API guide (docs/API.md) verifies what the dispatcher signs, and
refuses replays."""

from __future__ import annotations

import json
import re
import time
import uuid
from collections.abc import Callable
from typing import Any

from app.core.migrations import PROJECT_ROOT
from app.webhooks import signing


def guide_verify() -> Callable[..., bool]:
    guide = (PROJECT_ROOT / "docs" / "API.md").read_text()
    match = re.search(r"<!-- webhook-receiver -->\n```python\n(.*?)```", guide, re.DOTALL)
    assert match, "the API guide's receiver snippet is missing"
    namespace: dict[str, Any] = {}
    exec(match.group(1), namespace)
    verify: Callable[..., bool] = namespace["verify"]
    return verify


def test_the_guide_receiver_accepts_a_fresh_signature_and_refuses_tampering() -> None:
    verify = guide_verify()
    body = b'{"id":812,"type":"ping","created_at":"2026-12-01T09:30:00Z","data":{}}'
    header = signing.signature("whsec_abc", int(time.time()), body)
    assert verify("whsec_abc", header, body)
    assert not verify("whsec_abc", header, body.replace(b"812", b"813"))
    assert not verify("whsec_other", header, body)


def test_the_guide_receiver_refuses_a_replay_after_five_minutes() -> None:
    verify = guide_verify()
    body = b"{}"
    assert not verify(
        "whsec_abc", signing.signature("whsec_abc", int(time.time()) - 301, body), body
    )
    assert verify("whsec_abc", signing.signature("whsec_abc", int(time.time()) - 200, body), body)


def test_the_guides_worked_example_is_what_the_server_signs() -> None:
    """The example body (an event `id` is a UUID) and its header, as the guide prints them."""
    guide = (PROJECT_ROOT / "docs" / "API.md").read_text()
    match = re.search(
        r"exact body.*?```\n(.*?)\n```.*?```\n(Sanggar-Signature: .*?)\n```", guide, re.S
    )
    assert match, "the API guide's worked example is missing"
    body, header = match.group(1).encode(), match.group(2).removeprefix("Sanggar-Signature: ")
    assert json.loads(body)["id"] == str(uuid.UUID(json.loads(body)["id"]))
    assert signing.signature("whsec_example", 1796117401, body) == header
