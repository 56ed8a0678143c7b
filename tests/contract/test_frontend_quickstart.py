"""docs/frontend-quickstart.md works as written: its demo log-ins exist with their roles, its
CORS line lets the dev origin in (and the refusal names the setting), and its TypeScript
blocks, read in order as one module, type-check under `tsc --strict` against types generated
from a live `sanggar serve` (on a free port, with the demo community) and run against it.
A harness appended to the module expires the access token and makes three calls at once:
they must all succeed after exactly one refresh."""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import tarfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from app.core.migrations import PROJECT_ROOT
from tests.contract.conftest import once, require, run
from tests.processes import SANGGAR, TEST_SECRET, Server, http, server_env

pytestmark = once

GUIDE = PROJECT_ROOT / "docs" / "frontend-quickstart.md"
DOC_URL = "http://localhost:8000"
DEMO_PASSWORD = "sanggar-demo"
TYPES = "sanggar.d.ts"  # the guide imports "./sanggar"
PACKAGE_SECTION = "## 10. Or let `@sanggar/client` do all of the above"

# Not in the guide: signs an expired copy of the access token with the test server's key
# (WebCrypto, as in a browser), then three calls find it expired at once.
HARNESS = """
declare const process: { env: Record<string, string | undefined> };
const base64url = (bytes: Uint8Array): string =>
  btoa(String.fromCharCode(...bytes)).replace(/\\+/g, "-").replace(/\\//g, "_").replace(/=+$/, "");
async function expiredCopy(token: string): Promise<string> {
  const [header, payload] = token.split(".");
  const claims = JSON.parse(atob((payload ?? "").replace(/-/g, "+").replace(/_/g, "/")));
  const now = Math.floor(Date.now() / 1000);
  const body = base64url(
    new TextEncoder().encode(JSON.stringify({ ...claims, iat: now - 900, exp: now - 60 })),
  );
  const key = await crypto.subtle.importKey(
    "raw", new TextEncoder().encode(process.env.SANGGAR_SECRET_KEY ?? ""),
    { name: "HMAC", hash: "SHA-256" }, false, ["sign"],
  );
  const signed = new TextEncoder().encode(`${header}.${body}`);
  const signature = await crypto.subtle.sign("HMAC", key, signed);
  return `${header}.${body}.${base64url(new Uint8Array(signature))}`;
}
const held = tokens as Tokens | null; // assigned in functions: TypeScript narrows it to null
if (held === null) throw new Error("not logged in");
const expired = await expiredCopy(held.access_token);
tokens = { ...held, access_token: expired };
const calls = await Promise.all([
  api.GET("/api/v1/members/me"),
  api.GET("/api/v1/notifications"),
  api.GET("/api/v1/members/me/first-steps"),
]);
console.log("HARNESS " + JSON.stringify({
  statuses: calls.map((call) => call.response.status),
  refreshed: (tokens as Tokens | null)?.access_token !== expired,
}));
"""
TSCONFIG = {
    "compilerOptions": {
        # What a Vite or similar SPA project uses.
        "strict": True,
        "target": "ES2022",
        "module": "ESNext",
        "moduleResolution": "Bundler",
        "lib": ["ES2022", "DOM", "DOM.Iterable"],
        "skipLibCheck": True,
        "outDir": "out",
    },
    "files": ["quickstart.ts"],
}


def _blocks(language: str, *, package: bool | None = None) -> list[str]:
    """The guide's blocks in one language: those of sections 1–8 (`package=False`), those of
    the @sanggar/client section (`package=True`), or all."""
    plain, _, with_package = GUIDE.read_text().partition(PACKAGE_SECTION)
    text = {None: plain + with_package, False: plain, True: with_package}[package]
    return re.findall(rf"```{language}\n(.*?)```", text, re.DOTALL)


def _demo_log_ins() -> dict[str, str]:
    """role → username, from the guide's table."""
    rows = re.findall(r"^\| (\w+) \| `(\w+)` \|", GUIDE.read_text(), re.MULTILINE)
    return dict(rows)


def _cors_origin() -> str:
    [line] = [line for block in _blocks("sh") for line in block.splitlines() if "CORS" in line]
    assignment, command = line.split(" ", 1)
    assert shlex.split(command)[:2] == [".venv/bin/sanggar", "serve"]
    name, origin = assignment.split("=", 1)
    assert name == "SANGGAR_CORS_ORIGINS"
    return origin


@pytest.fixture(scope="module")
def demo_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    home = tmp_path_factory.mktemp("quickstart")
    env = server_env(f"sqlite:///{home / 'sanggar.db'}", cors_origins=_cors_origin())
    for command in (["migrate"], ["seed-demo"]):  # `make demo`, with the defaults
        subprocess.run([SANGGAR, *command], env=env, cwd=home, check=True, capture_output=True)
    server = Server(env, home)  # `sanggar serve --port <a free one>`
    try:
        yield server
    finally:
        server.stop()


def test_the_guide_names_a_demo_log_in_for_every_role(demo_server: Server) -> None:
    log_ins = _demo_log_ins()
    assert sorted(log_ins) == ["admin", "member", "mentor", "organizer"]
    for role, username in log_ins.items():
        form = {"username": username, "password": DEMO_PASSWORD, "grant_type": "password"}
        tokens = http.post(f"{demo_server.url}/api/v1/auth/token", data=form)
        assert tokens.status_code == 200, (username, tokens.text)
        bearer = {"Authorization": f"Bearer {tokens.json()['access_token']}"}
        me = http.get(f"{demo_server.url}/api/v1/members/me", headers=bearer).json()
        assert (me["handle"], me["role"]) == (username, role)
    # "sent as JSON, the log-in is a 422 whose `detail` says a form is expected"
    as_json = http.post(f"{demo_server.url}/api/v1/auth/token", json=form)
    assert as_json.status_code == 422
    assert "application/x-www-form-urlencoded" in as_json.json()["detail"]


def test_the_guides_cors_line_lets_the_dev_origin_in(demo_server: Server) -> None:
    origin = _cors_origin()
    assert origin == "http://localhost:5173"
    preflight = {"Access-Control-Request-Method": "PATCH"}
    allowed = http.options(
        f"{demo_server.url}/api/v1/members/me", headers={"Origin": origin, **preflight}
    )
    assert allowed.status_code == 200
    assert allowed.headers["access-control-allow-origin"] == origin
    other = http.options(
        f"{demo_server.url}/api/v1/members/me",
        headers={"Origin": "http://localhost:3000", **preflight},
    )
    assert other.status_code == 403
    assert other.json()["code"] == "cors_origin_not_allowed"
    assert "SANGGAR_CORS_ORIGINS" in other.json()["detail"]


def _module(url: str) -> str:
    blocks = _blocks("ts", package=False)
    assert len(blocks) >= 5, "the guide's TypeScript blocks are missing"
    source = "\n".join(blocks)
    assert DOC_URL in source
    return source.replace(DOC_URL, url) + HARNESS


def _project(directory: Path, npm_project: Path, source: str) -> None:
    """An app's project: the npm packages the repository's client installs, ESM, tsc."""
    modules = directory / "node_modules"
    modules.mkdir()
    for package in (npm_project / "node_modules").iterdir():
        (modules / package.name).symlink_to(package)
    (directory / "package.json").write_text('{"type": "module"}')
    tsconfig = {**TSCONFIG, "files": [source]}
    (directory / "tsconfig.json").write_text(json.dumps(tsconfig))


def test_the_guides_typescript_runs_against_a_live_server(
    npm_project: Path, demo_server: Server, tmp_path: Path
) -> None:
    node = require("node", install="apt-get install nodejs")
    bin_dir = npm_project / "node_modules" / ".bin"
    _project(tmp_path, npm_project, "quickstart.ts")
    (tmp_path / "quickstart.ts").write_text(_module(demo_server.url))
    # As the guide says: types from the running server's contract.
    run(
        [str(bin_dir / "openapi-typescript"), f"{demo_server.url}/openapi.json", "-o", TYPES],
        cwd=tmp_path,
    )
    run([str(bin_dir / "tsc"), "-p", "."], cwd=tmp_path)
    refreshes_before = demo_server.log().count('"path":"/api/v1/auth/refresh"')

    output = run(
        # Node has EventSource (section 9) behind a flag; browsers have it built in.
        [node, "--experimental-eventsource", "out/quickstart.js"],
        cwd=tmp_path,
        timeout=120,
        env={**os.environ, "SANGGAR_SECRET_KEY": TEST_SECRET},
    ).stdout
    lines = output.splitlines()
    assert "logged in as @indra_lestari1 (member)" in lines
    [challenges] = [line for line in lines if line.endswith(" challenges")]
    assert int(challenges.split()[0]) > 0
    assert any(line.startswith("bio saved, new ETag ") for line in lines)
    assert "412 etag_mismatch" in lines
    [idea] = [line for line in lines if line.startswith("idea ")]
    first, retried = re.findall(r"idea (\d+), retried: (\d+)", idea)[0]
    assert first == retried and idea.endswith("replayed: true")
    assert any(line.startswith("404 challenge_not_found: ") for line in lines), output
    assert any(line.startswith("body.links.0: ") for line in lines), output
    bell = [line for line in lines if line.startswith("bell: ")]
    assert bell and bell[-1] == "bell: 0 unread", output

    harness = json.loads(output.split("HARNESS ", 1)[1].splitlines()[0])
    assert harness == {"statuses": [200, 200, 200], "refreshed": True}
    refreshes = demo_server.log().count('"path":"/api/v1/auth/refresh"') - refreshes_before
    assert refreshes == 1, "three calls that found the token expired must share one refresh"


def test_the_readme_names_a_member_log_in_the_port_and_cors_and_links_the_guide() -> None:
    readme = (PROJECT_ROOT / "README.md").read_text()
    assert f"`{_demo_log_ins()['member']}` is a member" in readme  # a log-in tested above
    assert "sanggar serve --port" in readme
    assert f"SANGGAR_CORS_ORIGINS={_cors_origin()}" in readme
    assert "(docs/frontend-quickstart.md)" in readme


def test_the_guides_package_section_packs_installs_and_runs(
    npm_project: Path, demo_server: Server, tmp_path: Path
) -> None:
    npm = require("npm", install="apt-get install npm")
    node = require("node", install="apt-get install nodejs")
    [commands] = _blocks("sh", package=True)
    pack, install = commands.splitlines()
    assert pack.startswith("(cd clients/typescript && npm ci && npm pack)")
    tarball_name = install.split("/")[-1]
    # `npm pack` as the guide says (npm ci: the npm_project fixture), then what `npm install`
    # of the tarball does, without the registry: unpack it into node_modules/@sanggar/client.
    packed = tmp_path / "packed"
    packed.mkdir()
    run([npm, "pack", "--pack-destination", str(packed)], cwd=npm_project, timeout=300)
    assert [path.name for path in packed.iterdir()] == [tarball_name]
    app = tmp_path / "app"
    app.mkdir()
    _project(app, npm_project, "package.ts")
    client = app / "node_modules" / "@sanggar" / "client"
    (app / "node_modules" / "@sanggar").mkdir(exist_ok=True)
    with tarfile.open(packed / tarball_name) as archive:
        archive.extractall(tmp_path / "unpacked", filter="data")
    (tmp_path / "unpacked" / "package").rename(client)

    [source] = _blocks("ts", package=True)
    assert DOC_URL in source
    (app / "package.ts").write_text(source.replace(DOC_URL, demo_server.url))
    run([str(npm_project / "node_modules" / ".bin" / "tsc"), "-p", "."], cwd=app)
    lines = run([node, "out/package.js"], cwd=app, timeout=120).stdout.splitlines()
    assert lines[0].startswith("@indra_lestari1 sees ") and lines[0].endswith(" open challenges")
    assert lines[1] == "404 challenge_not_found"
