from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.core.ratelimit import build_rules
from app.media.service import original_key
from app.media.storage import open_storage
from tests.conversation.helpers import reply, start_thread
from tests.factories import auth_headers, make_media, make_member


def test_the_export_is_a_zip_of_my_data_and_files(
    app: FastAPI, client: TestClient, tmp_path: Path
) -> None:
    member = make_member(app, handle="Dewi_Export", bio="Weaver")
    stranger = make_member(app, handle="Someone_Else")
    headers = auth_headers(app, member)
    thread = start_thread(client, headers, title="My loom")
    assert reply(client, thread["id"], headers, body="Warp first").status_code == 201
    start_thread(client, auth_headers(app, stranger), title="Not mine at all")
    with Session(app.state.engine) as session:
        media = make_media(session, member)
        session.commit()
        key, media_id = original_key(media.storage_key), media.id
    source = tmp_path / "upload"
    content = b"\x89PNG picture bytes" * 1000
    source.write_bytes(content)
    open_storage(app.state.settings).put_file(key, source, content_type="image/png")

    response = client.get("/api/v1/members/me/export", headers=headers)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(response.content))
    assert archive.testzip() is None
    data = json.loads(archive.read("member.json"))
    assert data["profile"]["handle"] == "Dewi_Export"
    assert data["profile"]["email"] == member.email
    assert [t["title"] for t in data["threads"]] == ["My loom"]
    assert [p["body"] for p in data["posts"]] == ["Warp first"]
    assert [m["id"] for m in data["media"]] == [media_id]
    assert archive.read(f"media/{media_id}") == content
    text = archive.read("member.json").decode()
    for secret in ("password_hash", "token_hash", "$argon2", "Not mine at all", "Someone_Else"):
        assert secret not in text


def test_the_export_needs_a_log_in_and_is_limited(app: FastAPI, client: TestClient) -> None:
    assert client.get("/api/v1/members/me/export").status_code == 401
    rule = next(
        r for r in build_rules(app.state.settings) if r.matches("GET", "/api/v1/members/me/export")
    )
    assert rule.name == "export"


def test_every_mail_sending_and_password_checking_route_is_limited(app: FastAPI) -> None:
    rules = build_rules(app.state.settings)

    def rule_of(method: str, path: str) -> str:
        return next(r.name for r in rules if r.matches(method, path))

    assert rule_of("POST", "/api/v1/members/me/password") == "account"
    assert rule_of("POST", "/api/v1/members/me/verification-email") == "account"
    assert rule_of("POST", "/api/v1/members/42/password-reset") == "account"
    assert rule_of("POST", "/api/v1/auth/password-reset") == "auth"
    assert rule_of("POST", "/api/v1/auth/verify-email") == "auth"
    # It may carry the current password (an email change); its mails: 5 an hour (service).
    assert rule_of("PATCH", "/api/v1/members/me") == "account"
    assert rule_of("POST", "/api/v1/members/me/deletion") == "account"
    assert rule_of("GET", "/api/v1/members/me") == "api"
    assert rule_of("PATCH", "/api/v1/members/42") == "api"
