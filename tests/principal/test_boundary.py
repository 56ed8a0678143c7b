"""The token cache's machinery stays behind app.principal: a feature asks who is calling
(`dependencies`), says what it changed (`changes`) and may name the errors (`exceptions`);
only the composition root (app/main.py) builds the cache, its broadcast and the token-use
batches."""

from __future__ import annotations

import ast
from pathlib import Path

APP = Path(__file__).resolve().parents[2] / "app"
PUBLIC = {"app.principal.dependencies", "app.principal.changes", "app.principal.exceptions"}
COMPOSITION_ROOT = {"app.main"}


def _module(path: Path) -> str:
    return ".".join(path.relative_to(APP.parent).with_suffix("").parts).removesuffix(".__init__")


def _principal_imports(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.ImportFrom) and node.module:
            if node.module == "app.principal":
                found |= {f"app.principal.{alias.name}" for alias in node.names}
            elif node.module.startswith("app.principal."):
                found.add(node.module)
        elif isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.startswith("app.principal")}
    return found


def test_features_use_only_the_principal_s_public_modules() -> None:
    reaching_in = {
        f"{_module(path)} imports {name}"
        for path in sorted(APP.rglob("*.py"))
        if not _module(path).startswith("app.principal") and _module(path) not in COMPOSITION_ROOT
        for name in _principal_imports(path) - PUBLIC
    }
    assert not reaching_in, (
        "Only app.main may build the token cache's machinery; features use "
        f"{sorted(PUBLIC)}: {sorted(reaching_in)}"
    )
