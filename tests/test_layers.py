"""The layers of `app/`, as rules a test checks.

From the bottom up:

- `app.i18n`: the translations (gettext catalogues, locale negotiation). It imports nothing
  of the app (only the standard library and Babel), so every layer may use it.
- `app.core`: infrastructure (database, errors, HTTP, caching, idempotency, domain events).
  It imports nothing of the application outside itself.
- `app.models`: the tables. They import only `app.core`.
- `app.principal`: who is asking (the request's member and token). Above the models, below
  every feature: it imports only `app.core` and `app.models`.
- `app.relay` (the Redis pub/sub relay between processes) and `app.leases` (rows claimed
  by one process at a time): machinery the principal or several features share; beside
  `app.principal`, under the same rule.
- the features (`app.members`, `app.challenges`, ... every other package): they may import
  the layers below and each other, but never in a cycle, and never anything above them.
- the flows (`app.results`, `app.demo`, `app.mentors`): they combine several features, so
  they sit above them; no feature imports a flow.
- the composition root (`app.api`, `app.wiring`, `app.main`, `app.cli`): it assembles
  everything and nothing imports it except itself.

Notifications and webhooks are side effects: a feature never calls them, it publishes a
domain event and its `subscribers` module (or another feature's) reacts. So only
`app/<feature>/subscribers.py` and named parts of the composition root import them.

Every import counts: at the top of a module, inside a function, and under
`if TYPE_CHECKING:`. An import a type checker follows is still a dependency the reader has
to follow, and a cycle hidden behind TYPE_CHECKING is still a cycle.

Each rule is a function from the import graph to a list of violations (one readable line
each), tested on the real tree and, in `test_each_rule_reports_what_breaks_it`, on small
made-up graphs that break it, so a rule that stopped checking anything would be noticed.
"""

from __future__ import annotations

import ast
from collections import defaultdict, deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path

import pytest

APP_DIR = Path(__file__).resolve().parents[1] / "app"

I18N = "app.i18n"
CORE = "app.core"
MODELS = "app.models"
# Low packages between the models and the features (each imports only core and models).
LOW = frozenset({"app.principal", "app.relay", "app.leases"})
# Packages above the features: each combines several of them.
FLOWS = frozenset({"app.results", "app.demo", "app.mentors"})
# The composition root: assembles the app, the API and the command line.
TOP = frozenset({"app.api", "app.wiring", "app.main", "app.cli"})
# The package `app` itself (its docstring is the app's description).
ROOT = "app"

SIDE_EFFECTS = frozenset({"app.notifications", "app.webhooks"})
SUBSCRIBERS_MODULE = "subscribers"
# What of notifications and webhooks a module other than a feature's subscribers may import
# (the composition root, mostly), and why.
SIDE_EFFECT_ENTRY_POINTS: dict[str, frozenset[str]] = {
    # a notification's mail, written by the notification's own statement: the statement
    # app.mail.subscribers hands to notifications.send_along, built on the notification
    # and its texts (kept beside the subscribers, which register it)
    "app.mail.along": frozenset({"app.notifications.service", "app.notifications.texts"}),
    # their routes (the member's notifications; webhook management)
    "app.api": frozenset({"app.notifications.router", "app.webhooks.router"}),
    # their subscribers, and the periodic jobs that deliver and prune webhook deliveries
    "app.wiring": frozenset(
        {
            "app.notifications.subscribers",
            "app.webhooks.subscribers",
            "app.webhooks.dispatcher",
            "app.webhooks.retention",
        }
    ),
    # the webhook payloads documented in the OpenAPI document's `webhooks`
    # and the live notification streams' hub (started and stopped with the app, its path
    # exempt from the admission limit)
    "app.main": frozenset(
        {"app.webhooks.docs", "app.notifications.live", "app.notifications.router"}
    ),
}


@dataclass(frozen=True)
class Import:
    importer: str  # module, e.g. "app.members.service"
    imported: str  # module (or package) it names, e.g. "app.mentoring.profiles"
    where: str  # "app/members/service.py:28"

    def __str__(self) -> str:
        return f"{self.importer} imports {self.imported} ({self.where})"


def package_of(module: str) -> str:
    """`app.members.service` → `app.members`; `app.main` → `app.main`; `app` → `app`."""
    return ".".join(module.split(".")[:2])


def layer_of(package: str) -> str:
    if package == ROOT:
        return "root"
    if package == I18N:
        return "base"
    if package == CORE:
        return "core"
    if package == MODELS:
        return "models"
    if package in LOW:
        return "low"
    if package in FLOWS:
        return "flow"
    if package in TOP:
        return "top"
    return "feature"


# --- the graph ---------------------------------------------------------------------------


def module_name(path: Path) -> str:
    parts = path.relative_to(APP_DIR.parent).with_suffix("").parts
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def _absolute(node: ast.ImportFrom, *, importer: str, is_package: bool) -> str:
    if node.level == 0:
        return node.module or ""
    base = importer.split(".")
    # `from . import x` in a package's __init__ is relative to the package itself.
    base = base[: len(base) - node.level + (1 if is_package else 0)]
    return ".".join([*base, node.module] if node.module else base)


def imports_of(
    source: str, *, importer: str, is_package: bool, known: frozenset[str]
) -> Iterable[tuple[str, int]]:
    """Every `app` module this source imports, wherever the import statement is."""
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, node.lineno
        elif isinstance(node, ast.ImportFrom):
            module = _absolute(node, importer=importer, is_package=is_package)
            for alias in node.names:
                # `from app.challenges import subscribers` names a module; `from
                # app.members.schemas import Skill` names something in one.
                submodule = f"{module}.{alias.name}"
                yield (submodule if submodule in known else module), node.lineno


def build_graph(app_dir: Path = APP_DIR) -> list[Import]:
    files = sorted(app_dir.rglob("*.py"))
    known = frozenset(module_name(path) for path in files)
    graph: dict[Import, None] = {}  # in order, once each
    for path in files:
        importer = module_name(path)
        found = imports_of(
            path.read_text(),
            importer=importer,
            is_package=path.name == "__init__.py",
            known=known,
        )
        for imported, line in found:
            if imported == ROOT or imported.startswith(ROOT + "."):
                where = f"{path.relative_to(app_dir.parent)}:{line}"
                graph[Import(importer, imported, where)] = None
    return list(graph)


@pytest.fixture(scope="module")
def graph() -> list[Import]:
    return build_graph()


# --- the rules ---------------------------------------------------------------------------

Rule = Callable[[list[Import]], list[str]]


def _between_packages(graph: Iterable[Import]) -> Iterable[tuple[Import, str, str]]:
    for edge in graph:
        source, target = package_of(edge.importer), package_of(edge.imported)
        if source != target:
            yield edge, source, target


def i18n_imports_nothing_of_the_app(graph: list[Import]) -> list[str]:
    return [
        f"{edge}: app.i18n is under every layer and imports nothing of the app"
        for edge, source, target in _between_packages(graph)
        if source == I18N and target != ROOT
    ]


def core_imports_only_core(graph: list[Import]) -> list[str]:
    return [
        f"{edge}: app.core is the bottom layer and imports nothing of the app outside "
        "itself but app.i18n"
        for edge, source, target in _between_packages(graph)
        if source == CORE and target not in (ROOT, I18N)
    ]


def models_import_only_core(graph: list[Import]) -> list[str]:
    return [
        f"{edge}: app.models imports only app.core ({target} is above the tables)"
        for edge, source, target in _between_packages(graph)
        if source == MODELS and target not in (CORE, ROOT, I18N)
    ]


def low_layer_imports_no_feature(graph: list[Import]) -> list[str]:
    return [
        f"{edge}: {source} sits below every feature and imports only app.core and app.models"
        for edge, source, target in _between_packages(graph)
        if source in LOW and layer_of(target) not in ("base", "core", "models", "low", "root")
    ]


def features_import_nothing_above_them(graph: list[Import]) -> list[str]:
    return [
        f"{edge}: a feature imports neither a flow nor the composition root "
        f"({', '.join(sorted(FLOWS | TOP))}); they import it"
        for edge, source, target in _between_packages(graph)
        if layer_of(source) == "feature" and layer_of(target) in ("flow", "top")
    ]


def flows_import_no_composition_root(graph: list[Import]) -> list[str]:
    return [
        f"{edge}: a flow does not import the composition root ({', '.join(sorted(TOP))})"
        for edge, source, target in _between_packages(graph)
        if layer_of(source) == "flow" and layer_of(target) == "top"
    ]


def _package_edges(graph: Iterable[Import]) -> dict[str, dict[str, Import]]:
    """Package → package it imports → one import that does it (the first, for the report)."""
    edges: dict[str, dict[str, Import]] = defaultdict(dict)
    for edge, source, target in _between_packages(graph):
        if layer_of(source) in ("feature", "flow") and layer_of(target) in ("feature", "flow"):
            edges[source].setdefault(target, edge)
    return edges


def _shortest_cycle(edges: dict[str, dict[str, Import]], start: str) -> list[str] | None:
    """The shortest path start → … → start, or None."""
    came_from: dict[str, str] = {}
    queue = deque([start])
    while queue:
        package = queue.popleft()
        for target in sorted(edges.get(package, {})):
            if target == start:
                path = [package]
                while path[-1] != start:
                    path.append(came_from[path[-1]])
                return [start, *reversed(path[:-1]), start]
            if target not in came_from:
                came_from[target] = package
                queue.append(target)
    return None


def features_import_each_other_in_no_cycle(graph: list[Import]) -> list[str]:
    edges = _package_edges(graph)
    seen: set[frozenset[str]] = set()
    found = []
    for package in sorted(edges):
        cycle = _shortest_cycle(edges, package)
        if cycle is None or frozenset(cycle) in seen:
            continue
        seen.add(frozenset(cycle))
        steps = "".join(f"\n    {edges[a][b]}" for a, b in pairwise(cycle))
        found.append(
            f"{' -> '.join(cycle)}: packages import each other in a cycle (move what they "
            f"share below them, or what needs both into a flow above them):{steps}"
        )
    return found


def _is_subscriber(module: str) -> bool:
    parts = module.split(".")
    return (
        len(parts) == 3
        and layer_of(package_of(module)) == "feature"
        and parts[2] == (SUBSCRIBERS_MODULE)
    )


def only_subscribers_import_side_effects(graph: list[Import]) -> list[str]:
    found = []
    for edge, _source, target in _between_packages(graph):
        if target not in SIDE_EFFECTS or _is_subscriber(edge.importer):
            continue
        allowed = SIDE_EFFECT_ENTRY_POINTS.get(edge.importer, frozenset())
        if edge.imported in allowed:
            continue
        besides = f" (and, from {edge.importer}, {', '.join(sorted(allowed))})" if allowed else ""
        found.append(
            f"{edge}: {target} is a side effect, imported only by a feature's subscribers "
            f"module{besides}; publish a domain event and react to it in subscribers.py"
        )
    return found


RULES: dict[str, Rule] = {
    "i18n": i18n_imports_nothing_of_the_app,
    "core": core_imports_only_core,
    "models": models_import_only_core,
    "low": low_layer_imports_no_feature,
    "above": features_import_nothing_above_them,
    "flows": flows_import_no_composition_root,
    "cycles": features_import_each_other_in_no_cycle,
    "side effects": only_subscribers_import_side_effects,
}


def _check(rule: Rule, graph: list[Import]) -> None:
    violations = rule(graph)
    if violations:
        pytest.fail("\n".join(violations), pytrace=False)


# --- the real tree -----------------------------------------------------------------------


def test_the_graph_sees_every_kind_of_import(graph: list[Import]) -> None:
    """A walk that missed deferred imports would check far less than it claims."""
    assert len({edge.importer for edge in graph}) > 100
    assert any(edge.importer == "app.cli" and edge.imported == "app.wiring" for edge in graph)


def test_core_imports_only_core(graph: list[Import]) -> None:
    _check(core_imports_only_core, graph)


def test_models_import_only_core(graph: list[Import]) -> None:
    _check(models_import_only_core, graph)


def test_the_principal_imports_no_feature(graph: list[Import]) -> None:
    _check(low_layer_imports_no_feature, graph)


def test_features_import_no_flow_and_no_composition_root(graph: list[Import]) -> None:
    _check(features_import_nothing_above_them, graph)


def test_flows_import_no_composition_root(graph: list[Import]) -> None:
    _check(flows_import_no_composition_root, graph)


def test_features_import_each_other_in_no_cycle(graph: list[Import]) -> None:
    _check(features_import_each_other_in_no_cycle, graph)


def test_only_subscribers_import_notifications_and_webhooks(graph: list[Import]) -> None:
    _check(only_subscribers_import_side_effects, graph)


def test_every_side_effect_entry_point_exists() -> None:
    """An allowance for a module that is gone would let a new one by that name in unseen."""
    known = {module_name(path) for path in APP_DIR.rglob("*.py")}
    for importer, modules in SIDE_EFFECT_ENTRY_POINTS.items():
        assert importer in known
        assert modules <= known, modules - known


# --- the rules themselves ----------------------------------------------------------------


def _edges(*pairs: tuple[str, str]) -> list[Import]:
    return [Import(importer, imported, "made-up.py:1") for importer, imported in pairs]


BROKEN = [
    pytest.param(
        "i18n", _edges(("app.i18n", "app.core.config")), "imports nothing of the app", id="i18n"
    ),
    pytest.param(
        "core", _edges(("app.core.db", "app.members.service")), "app.core is the bottom", id="core"
    ),
    pytest.param(
        "core",
        _edges(("app.core.idempotency", "app.models.idempotency")),
        "app.core.idempotency imports app.models.idempotency",
        id="core-to-models",
    ),
    pytest.param(
        "models",
        _edges(("app.models.member", "app.members.schemas")),
        "app.models imports only app.core",
        id="models",
    ),
    pytest.param(
        "low",
        _edges(("app.principal.dependencies", "app.members.service")),
        "below every feature",
        id="principal",
    ),
    pytest.param(
        "above", _edges(("app.members.router", "app.api")), "composition root", id="feature-to-api"
    ),
    pytest.param(
        "above",
        _edges(("app.challenges.service", "app.results.service")),
        "a feature imports neither a flow",
        id="feature-to-flow",
    ),
    pytest.param("flows", _edges(("app.demo", "app.wiring")), "a flow does not", id="flow-to-top"),
    pytest.param(
        "cycles",
        _edges(("app.members.service", "app.mentoring.profiles"), ("app.mentoring", "app.members")),
        "app.members -> app.mentoring -> app.members",
        id="two-features",
    ),
    pytest.param(
        "cycles",
        _edges(
            ("app.votes.service", "app.submissions.service"),
            ("app.submissions.service", "app.challenges.ranking"),
            ("app.challenges.results", "app.votes.service"),
            ("app.challenges.service", "app.audit.service"),
        ),
        "app.challenges -> app.votes -> app.submissions -> app.challenges",
        id="three-features",
    ),
    pytest.param(
        "side effects",
        _edges(("app.events.service", "app.notifications.service")),
        "imported only by a feature's subscribers module",
        id="service-to-notifications",
    ),
    pytest.param(
        "side effects",
        _edges(("app.api", "app.webhooks.service")),
        "from app.api, app.notifications.router, app.webhooks.router",
        id="api-beyond-routers",
    ),
    pytest.param(
        "side effects",
        _edges(("app.demo.community", "app.notifications.service")),
        "a side effect",
        id="flow-to-notifications",
    ),
]


@pytest.mark.parametrize(("rule", "graph", "expected"), BROKEN)
def test_each_rule_reports_what_breaks_it(rule: str, graph: list[Import], expected: str) -> None:
    violations = RULES[rule](graph)
    assert any(expected in violation for violation in violations), violations


ALLOWED = _edges(
    ("app.models.member", "app.core.clock"),
    ("app.core.errors", "app.i18n"),
    ("app.models.member", "app.i18n"),
    ("app.principal.dependencies", "app.models"),
    ("app.members.service", "app.principal.dependencies"),
    ("app.mentoring.service", "app.members.service"),
    ("app.results.service", "app.challenges.service"),
    ("app.cli", "app.main"),
    ("app.events.subscribers", "app.notifications.service"),
    ("app.webhooks.subscribers", "app.notifications"),
    ("app.notifications.service", "app.notifications.schemas"),
    ("app.wiring", "app.webhooks.dispatcher"),
    ("app.main", "app"),
)


@pytest.mark.parametrize("rule", sorted(RULES))
def test_no_rule_refuses_what_the_layers_allow(rule: str) -> None:
    assert RULES[rule](ALLOWED) == []


def test_a_relative_import_is_resolved() -> None:
    known = frozenset({"app.members", "app.members.schemas", "app.members.service"})
    found = imports_of(
        "from typing import TYPE_CHECKING\nfrom .schemas import MemberPublic\n"
        "from . import service\nif TYPE_CHECKING:\n    import app.events\n"
        "def f():\n    from app.mentoring import profiles\n",
        importer="app.members.router",
        is_package=False,
        known=known,
    )
    assert sorted(name for name, _ in found if name.startswith("app")) == [
        "app.events",
        "app.members.schemas",
        "app.members.service",
        "app.mentoring",
    ]
