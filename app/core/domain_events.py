"""Domain events: a feature says what happened; subscribers react in the same transaction.

`publish(session, VoteCast(...))` runs every subscriber of that event's class (and of its
base classes) synchronously on the caller's session, so a notification, a point or a
webhook delivery is written atomically with the change that caused it: either both are
committed or neither is. Subscribers must only write to the database; anything slow or
external (sending a webhook) is done later from what they recorded.

Every event is a frozen dataclass of ids and short strings, defined in the catalogue below,
grouped by the feature that publishes it. The catalogue imports no feature, so any feature
and any subscriber can import any event without importing the feature that publishes it.
Subscribers run in the order they were registered (the import order of `app.wiring`); a
subscriber of `DomainEvent` itself hears every event. Webhook types (`member.joined`, …) are
part of the public contract and are mapped to event classes in `app.webhooks.payloads`.

Tests observe events through `recording()` and `subscribed()`, not the registry.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar

from sqlmodel import Session

from app.core.clock import utcnow


@dataclass(frozen=True, kw_only=True)
class DomainEvent:
    """Something that happened. Subscribing to this base class hears every event."""

    actor_id: int | None = None  # the member who caused it; None for the system
    # When is not what: two events that say the same thing compare equal.
    occurred_at: datetime = field(default_factory=utcnow, compare=False)


E = TypeVar("E", bound=DomainEvent)
Subscriber = Callable[[Session, E], None]

# (event classes, subscriber) in registration order; `_heard_by` caches, per concrete class,
# the subscribers that hear it, in that order.
_registrations: list[tuple[tuple[type[DomainEvent], ...], Subscriber[Any]]] = []
_heard_by: dict[type[DomainEvent], tuple[Subscriber[Any], ...]] = {}
_recordings: list[list[DomainEvent]] = []


def subscribe(*event_classes: type[E]) -> Callable[[Subscriber[E]], Subscriber[E]]:
    """Registers the decorated function for these event classes and their subclasses."""
    if not event_classes:
        raise TypeError("subscribe() needs at least one event class")

    def register(subscriber: Subscriber[E]) -> Subscriber[E]:
        registration = (tuple(event_classes), subscriber)
        if registration not in _registrations:  # importing a module twice registers once
            _registrations.append(registration)
            _heard_by.clear()
        return subscriber

    return register


def unsubscribe(subscriber: Subscriber[Any]) -> None:
    """Removes every registration of this subscriber."""
    _registrations[:] = [r for r in _registrations if r[1] is not subscriber]
    _heard_by.clear()


def subscribers_of(event_class: type[DomainEvent]) -> tuple[Subscriber[Any], ...]:
    """Everything that hears an event of this class, in the order it runs."""
    heard = _heard_by.get(event_class)
    if heard is None:
        heard = tuple(s for classes, s in _registrations if issubclass(event_class, classes))
        _heard_by[event_class] = heard
    return heard


def subscriptions() -> tuple[tuple[tuple[type[DomainEvent], ...], Subscriber[Any]], ...]:
    """Every registration, (event classes, subscriber), in registration order."""
    return tuple(_registrations)


def publish(session: Session, event: DomainEvent) -> None:
    for recording in _recordings:
        recording.append(event)
    for subscriber in subscribers_of(type(event)):
        subscriber(session, event)


@contextmanager
def recording() -> Iterator[list[DomainEvent]]:
    """Collects every event published inside the block, in the order published."""
    seen: list[DomainEvent] = []
    _recordings.append(seen)
    try:
        yield seen
    finally:
        _recordings.remove(seen)


@contextmanager
def subscribed(subscriber: Subscriber[E], *event_classes: type[E]) -> Iterator[None]:
    """Registers a subscriber for the duration of the block (after every other one)."""
    subscribe(*event_classes)(subscriber)
    try:
        yield
    finally:
        unsubscribe(subscriber)


def all_event_classes(base: type[DomainEvent] = DomainEvent) -> list[type[DomainEvent]]:
    """Every event class of the catalogue that is published as such (the leaves)."""
    children = base.__subclasses__()
    if not children:
        return [base]
    return [leaf for child in children for leaf in all_event_classes(child)]


# --- the catalogue ---------------------------------------------------------------------------
# Ids and short strings (enum values as plain strings; a comment's words, to be told): subscribers
# read the rows they need. An intermediate class (ChallengePhaseReached, …) carries what its events
# share, so one subscriber or webhook builder handles them all; only the leaves are published.


# members: someone signed up.
@dataclass(frozen=True, kw_only=True)
class MemberJoined(DomainEvent):
    member_id: int


# accounts: a member's account life (mails carry the tokens; the database keeps only hashes).
@dataclass(frozen=True, kw_only=True)
class PasswordResetRequested(DomainEvent):
    member_id: int
    token: str  # the secret, in memory only: the mail carries it
    requested_by_admin: bool


@dataclass(frozen=True, kw_only=True)
class EmailVerificationRequested(DomainEvent):
    member_id: int
    token: str


@dataclass(frozen=True, kw_only=True)
class EmailChangeRequested(DomainEvent):
    member_id: int
    new_email: str  # the token goes to this address, not the member's current one
    token: str


@dataclass(frozen=True, kw_only=True)
class EmailChanged(DomainEvent):
    member_id: int
    old_email: str  # told of the change


@dataclass(frozen=True, kw_only=True)
class PasswordChanged(DomainEvent):
    member_id: int


@dataclass(frozen=True, kw_only=True)
class MemberErased(DomainEvent):
    member_id: int


# events (the calendar): an event's life, its waitlist and its check-ins.
@dataclass(frozen=True, kw_only=True)
class EventStatusChanged(DomainEvent):
    event_id: int


@dataclass(frozen=True, kw_only=True)
class EventPublished(EventStatusChanged):
    pass


@dataclass(frozen=True, kw_only=True)
class EventCancelled(EventStatusChanged):
    pass


@dataclass(frozen=True, kw_only=True)
class EventWaitlistPromoted(DomainEvent):
    """A seat came free and the member first on the waitlist now goes."""

    event_id: int
    member_id: int


@dataclass(frozen=True, kw_only=True)
class EventAttended(DomainEvent):
    """A member checked in (once per event)."""

    event_id: int
    member_id: int


# challenges: the sweep announces each phase once. `phase` is the phase at announcement
# time: after a long downtime "opened" may be announced for a challenge already voting.
@dataclass(frozen=True, kw_only=True)
class ChallengePhaseReached(DomainEvent):
    challenge_id: int
    phase: str


@dataclass(frozen=True, kw_only=True)
class ChallengeOpened(ChallengePhaseReached):
    pass


@dataclass(frozen=True, kw_only=True)
class ChallengeVotingStarted(ChallengePhaseReached):
    pass


@dataclass(frozen=True, kw_only=True)
class ChallengeClosed(ChallengePhaseReached):
    """Results are out: the winners are marked."""


# submissions: works entered, withdrawn, moderated and shown in the showcase.
@dataclass(frozen=True, kw_only=True)
class SubmissionCreated(DomainEvent):
    challenge_id: int
    submission_id: int


@dataclass(frozen=True, kw_only=True)
class SubmissionWithdrawn(DomainEvent):
    challenge_id: int
    submission_id: int


@dataclass(frozen=True, kw_only=True)
class SubmissionModerated(DomainEvent):
    challenge_id: int
    submission_id: int
    member_id: int  # the work's author
    reason: str | None


@dataclass(frozen=True, kw_only=True)
class SubmissionFeatured(SubmissionModerated):
    pass


@dataclass(frozen=True, kw_only=True)
class SubmissionUnfeatured(SubmissionModerated):
    pass


@dataclass(frozen=True, kw_only=True)
class SubmissionDisqualified(SubmissionModerated):
    pass


@dataclass(frozen=True, kw_only=True)
class SubmissionReinstated(SubmissionModerated):
    pass


@dataclass(frozen=True, kw_only=True)
class SubmissionShowcased(DomainEvent):
    challenge_id: int
    submission_id: int


# votes: a member votes once per work and may take the vote back.
@dataclass(frozen=True, kw_only=True)
class VoteCast(DomainEvent):
    challenge_id: int
    submission_id: int
    member_id: int


@dataclass(frozen=True, kw_only=True)
class VoteWithdrawn(DomainEvent):
    challenge_id: int
    submission_id: int
    member_id: int


# projects: proposals, membership, tasks and progress updates.
@dataclass(frozen=True, kw_only=True)
class ProjectCreated(DomainEvent):
    project_id: int


@dataclass(frozen=True, kw_only=True)
class ProjectCompleted(DomainEvent):
    project_id: int
    member_ids: tuple[int, ...]  # the active members when it was completed


@dataclass(frozen=True, kw_only=True)
class ProjectMembershipChanged(DomainEvent):
    project_id: int
    member_id: int
    role: str


@dataclass(frozen=True, kw_only=True)
class ProjectJoinRequested(ProjectMembershipChanged):
    pass


@dataclass(frozen=True, kw_only=True)
class ProjectJoinApproved(ProjectMembershipChanged):
    pass


@dataclass(frozen=True, kw_only=True)
class ProjectJoinDeclined(ProjectMembershipChanged):
    pass


@dataclass(frozen=True, kw_only=True)
class ProjectMemberAdded(ProjectMembershipChanged):
    pass


@dataclass(frozen=True, kw_only=True)
class ProjectMemberRemoved(ProjectMembershipChanged):
    pass


@dataclass(frozen=True, kw_only=True)
class TaskCompleted(DomainEvent):
    """Counted once per task; `member_id` is whom the contribution is for."""

    project_id: int
    task_id: int
    member_id: int


@dataclass(frozen=True, kw_only=True)
class ProjectUpdatePosted(DomainEvent):
    project_id: int
    update_id: int


# anthologies: books made of works.
@dataclass(frozen=True, kw_only=True)
class AnthologyCreated(DomainEvent):
    anthology_id: int


@dataclass(frozen=True, kw_only=True)
class AnthologyUpdated(DomainEvent):
    anthology_id: int


@dataclass(frozen=True, kw_only=True)
class AnthologyPublished(DomainEvent):
    """Its first publication only."""

    anthology_id: int


@dataclass(frozen=True, kw_only=True)
class AnthologyDeleted(DomainEvent):
    anthology_id: int


# mentoring: a request and its answers.
@dataclass(frozen=True, kw_only=True)
class MentorshipChanged(DomainEvent):
    mentorship_id: int
    mentor_id: int
    mentee_id: int


@dataclass(frozen=True, kw_only=True)
class MentorshipRequested(MentorshipChanged):
    pass


@dataclass(frozen=True, kw_only=True)
class MentorshipAccepted(MentorshipChanged):
    pass


@dataclass(frozen=True, kw_only=True)
class MentorshipDeclined(MentorshipChanged):
    """Declined while pending, or ended by the mentor once under way."""


@dataclass(frozen=True, kw_only=True)
class MentorshipCompleted(MentorshipChanged):
    pass


# conversation: threads and posts, comments on works, announcements, ideas, reports.
@dataclass(frozen=True, kw_only=True)
class ThreadCreated(DomainEvent):
    thread_id: int


@dataclass(frozen=True, kw_only=True)
class PostCreated(DomainEvent):
    post_id: int
    thread_id: int


@dataclass(frozen=True, kw_only=True)
class PostDeleted(DomainEvent):
    post_id: int


@dataclass(frozen=True, kw_only=True)
class CommentCreated(DomainEvent):
    comment_id: int
    submission_id: int
    submission_author_id: int
    submission_title: str  # told to the work's author, with the comment's words
    body: str


@dataclass(frozen=True, kw_only=True)
class CommentDeleted(DomainEvent):
    comment_id: int


@dataclass(frozen=True, kw_only=True)
class AnnouncementPublished(DomainEvent):
    announcement_id: int
    title: str
    pinned: bool


@dataclass(frozen=True, kw_only=True)
class IdeaCreated(DomainEvent):
    idea_id: int
    title: str


@dataclass(frozen=True, kw_only=True)
class IdeaStatusChanged(DomainEvent):
    idea_id: int
    status: str
    proposer_id: int | None


@dataclass(frozen=True, kw_only=True)
class ReportOpened(DomainEvent):
    case_id: int
    target_type: str
    target_id: int


@dataclass(frozen=True, kw_only=True)
class ContentHidden(DomainEvent):
    """Reported content was hidden by an organizer."""

    target_type: str
    target_id: int


# recognition: a badge (automatic) or an award (given by an organizer).
@dataclass(frozen=True, kw_only=True)
class BadgeAwarded(DomainEvent):
    member_id: int
    badge_id: int
    kind: str  # "automatic" or "award"
    code: str | None  # the automatic badge's code; None for an award
    title: str


# inquiries: a visitor wrote to a creator.
@dataclass(frozen=True, kw_only=True)
class InquiryReceived(DomainEvent):
    inquiry_id: int
    member_id: int  # the creator written to


# webhooks: the dispatcher gave up on a receiver that keeps failing.
@dataclass(frozen=True, kw_only=True)
class WebhookDisabled(DomainEvent):
    webhook_id: int
    reason: str


# chat bridges: the dispatcher switched off a bridge whose platform keeps refusing.
@dataclass(frozen=True, kw_only=True)
class ChatBridgeDisabled(DomainEvent):
    chat_bridge_id: int
    reason: str


# media: the processing job could not read an upload (the owner is told why).
@dataclass(frozen=True, kw_only=True)
class MediaProcessingFailed(DomainEvent):
    media_id: int
    owner_id: int
    reason: str
