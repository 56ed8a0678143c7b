"""Domain events: publish and subscribe by class, recording for tests, and the catalogue's
two rules (everything subscribed is published somewhere; everything published is heard
by something, or listed here as published for the record)."""

from __future__ import annotations

import ast
import dataclasses
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, func, select

import app
from app import wiring  # registers every subscriber
from app.core import domain_events
from app.core.domain_events import DomainEvent
from app.models import Member, Notification, Role

APP = Path(app.__file__).parent
CATALOGUE = Path(domain_events.__file__)

# Published, and asserted by tests, but heard by no subscriber today: facts kept for the
# next subscriber (an anthology's life, moderation that needs no message) rather than
# removed from the features that know when they happen.
UNSUBSCRIBED = {
    domain_events.AnthologyCreated,
    domain_events.AnthologyUpdated,
    domain_events.AnthologyPublished,
    domain_events.AnthologyDeleted,
    domain_events.ContentHidden,  # the organizer who hid it is the only one to tell
    domain_events.SubmissionUnfeatured,  # the author was never told it is featured for good
    # the erasure itself deletes the member's mail, settings and digest keys (app/accounts)
    domain_events.MemberErased,
}


@dataclasses.dataclass(frozen=True, kw_only=True)
class ThingHappened(DomainEvent):
    thing_id: int


@dataclasses.dataclass(frozen=True, kw_only=True)
class SmallThingHappened(ThingHappened):
    pass


@dataclasses.dataclass(frozen=True, kw_only=True)
class OtherThingHappened(DomainEvent):
    pass


def catalogue() -> list[type[DomainEvent]]:
    return [c for c in domain_events.all_event_classes() if c.__module__ == domain_events.__name__]


# --- publish, subscribe, recording -------------------------------------------------------


@pytest.fixture
def heard() -> Iterator[list[tuple[str, DomainEvent]]]:
    """Who heard what, in order: `thing` hears ThingHappened (and its subclasses), `any`
    every event."""
    seen: list[tuple[str, DomainEvent]] = []

    def thing(_session: Session, event: ThingHappened) -> None:
        seen.append(("thing", event))

    def anything(_session: Session, event: DomainEvent) -> None:
        seen.append(("any", event))

    with (
        domain_events.subscribed(thing, ThingHappened),
        domain_events.subscribed(anything, DomainEvent),
    ):
        yield seen


def test_subscribers_hear_their_class_and_its_subclasses_in_registration_order(
    heard: list[tuple[str, DomainEvent]], engine: Engine
) -> None:
    thing, small, other = (
        ThingHappened(actor_id=7, thing_id=3),
        SmallThingHappened(thing_id=4),
        OtherThingHappened(),
    )
    with Session(engine) as session:
        for event in (thing, small, other):
            domain_events.publish(session, event)
    assert heard == [
        ("thing", thing),
        ("any", thing),
        ("thing", small),
        ("any", small),
        ("any", other),
    ]
    assert (thing.actor_id, thing.thing_id) == (7, 3)


def test_subscribed_registers_only_inside_the_block(engine: Engine) -> None:
    seen: list[DomainEvent] = []

    def record(_session: Session, event: ThingHappened) -> None:
        seen.append(event)

    with domain_events.subscribed(record, ThingHappened):
        assert record in domain_events.subscribers_of(SmallThingHappened)
    assert record not in domain_events.subscribers_of(ThingHappened)
    with Session(engine) as session:
        domain_events.publish(session, ThingHappened(thing_id=1))
    assert seen == []


def test_recording_keeps_the_order_of_publication_nested_events_included(
    engine: Engine,
) -> None:
    def cause(session: Session, event: ThingHappened) -> None:
        domain_events.publish(session, OtherThingHappened(actor_id=event.actor_id))

    with (
        domain_events.subscribed(cause, ThingHappened),
        domain_events.recording() as published,
        Session(engine) as session,
    ):
        domain_events.publish(session, ThingHappened(actor_id=2, thing_id=1))
    assert published == [ThingHappened(actor_id=2, thing_id=1), OtherThingHappened(actor_id=2)]
    with Session(engine) as session:
        domain_events.publish(session, OtherThingHappened())
    assert len(published) == 2  # nothing is recorded after the block


def test_events_are_frozen_keyword_only_and_equal_whenever_they_happened() -> None:
    event = ThingHappened(thing_id=1)
    with pytest.raises(dataclasses.FrozenInstanceError):
        event.thing_id = 2  # type: ignore[misc]
    with pytest.raises(TypeError):
        ThingHappened(None, 1)  # type: ignore[call-arg, arg-type]
    later = dataclasses.replace(event, occurred_at=event.occurred_at.replace(year=2030))
    assert later == event


def test_side_effects_roll_back_with_their_cause(engine: Engine) -> None:
    """A notification written by a subscriber exists exactly when the change that caused it."""
    from app.core.config import Settings
    from app.members import service as members

    settings = Settings(_env_file=None, password_hash_memory_kib=1024, password_hash_time_cost=1)
    with Session(engine) as session:
        members.create_member(
            session,
            settings,
            email="x@example.com",
            password="long password",
            handle="x",
            display_name="X",
            role=Role.MEMBER,
        )
        assert session.exec(select(func.count()).select_from(Notification)).one() == 1
        session.rollback()
    with Session(engine) as session:
        assert session.exec(select(func.count()).select_from(Member)).one() == 0
        assert session.exec(select(func.count()).select_from(Notification)).one() == 0


def test_subscribers_run_in_the_order_the_wiring_lists_them() -> None:
    """The subscribers of one event run in registration order: app.wiring's."""
    registered: list[str] = []
    for _, subscriber in domain_events.subscriptions():
        module = subscriber.__module__
        if module.startswith("app.") and module not in registered:
            registered.append(module)
    assert registered == [module.__name__ for module in wiring.SUBSCRIBERS]
    in_order = [s.__module__ for s in domain_events.subscribers_of(domain_events.ChallengeClosed)]
    assert in_order == [
        "app.challenges.subscribers",
        "app.recognition.subscribers",
        "app.webhooks.subscribers",
    ]


# --- the catalogue's rules -----------------------------------------------------------------


def _name(node: ast.expr) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return None


def _published_in(tree: ast.Module, names: set[str]) -> set[str]:
    """The event classes a module publishes: those constructed in a `publish(session, X(...))`
    call, and, when a module publishes an event built from a variable (a helper given the
    class, as in `_announce(session, MentorshipAccepted, ...)`), every class it names."""
    direct: set[str] = set()
    indirect = False
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Call) and _name(node.func) == "publish"):
            continue
        if len(node.args) != 2:
            continue
        event = node.args[1]
        constructed = _name(event.func) if isinstance(event, ast.Call) else None
        if constructed in names:
            direct.add(constructed)
        else:
            indirect = True
    if not indirect:
        return direct
    named = {_name(n) for n in ast.walk(tree) if isinstance(n, ast.Name | ast.Attribute)}
    return direct | (names & {n for n in named if n is not None})


def published_in_app() -> dict[str, set[str]]:
    """Event class name -> the modules of app/ that publish it."""
    names = {c.__name__ for c in catalogue()}
    found: dict[str, set[str]] = {}
    for path in sorted(APP.rglob("*.py")):
        if path == CATALOGUE:
            continue
        tree = ast.parse(path.read_text(), filename=str(path))
        for name in _published_in(tree, names):
            found.setdefault(name, set()).add(str(path.relative_to(APP.parent)))
    return found


def test_the_walk_finds_direct_and_helper_publications() -> None:
    published = published_in_app()
    assert published["VoteCast"] == {"app/votes/service.py"}  # through _publish(session, VoteCast…)
    assert published["MemberJoined"] == {"app/members/service.py"}  # publish(s, MemberJoined(…))
    assert "app/recognition/subscribers.py" not in set().union(*published.values())


def test_every_subscribed_event_is_published_somewhere_in_app() -> None:
    published = published_in_app()
    missing = sorted(
        f"{subscriber.__module__}.{subscriber.__name__} subscribes to {cls.__name__}"
        for classes, subscriber in domain_events.subscriptions()
        if subscriber.__module__.startswith("app.")
        for cls in classes
        if not any(issubclass(c, cls) and c.__name__ in published for c in catalogue())
    )
    assert not missing, "Nothing in app/ publishes what these hear:\n" + "\n".join(missing)


def test_every_event_is_heard_or_listed_as_published_for_the_record() -> None:
    subscribed = {
        cls
        for classes, subscriber in domain_events.subscriptions()
        if subscriber.__module__.startswith("app.")
        for cls in classes
    }
    unheard = {c for c in catalogue() if not any(issubclass(c, s) for s in subscribed)}
    assert unheard == UNSUBSCRIBED, (
        "Subscribe to these events, or list them in UNSUBSCRIBED with the reason: "
        + ", ".join(sorted(c.__name__ for c in unheard ^ UNSUBSCRIBED))
    )


def test_every_event_of_the_catalogue_is_published() -> None:
    published = published_in_app()
    assert sorted(c.__name__ for c in catalogue() if c.__name__ not in published) == []


def test_the_catalogue_imports_no_feature() -> None:
    tree = ast.parse(CATALOGUE.read_text())
    imported = {
        node.module
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and node.module is not None
    } | {
        alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.Import)
        for alias in node.names
    }
    assert {m for m in imported if m.startswith("app.") and not m.startswith("app.core.")} == set()
