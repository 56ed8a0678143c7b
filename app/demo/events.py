"""The demo community's calendar: past and upcoming events, a few series, RSVPs, check-ins.

Everything goes through the service functions, so the demo obeys the same rules as the API
(capacity, the waitlist, notifications). Past events are answered "as of" a day before they
started, which is when their members would have RSVPed.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from rich.progress import Progress
from sqlmodel import Session, col, select

from app.core.clock import utcnow
from app.demo import roster
from app.events import check_ins, rsvps, series
from app.events.schemas import EventCreate, EventUpdate, RsvpChoice
from app.models import Event, EventKind, EventStatus, Member
from app.recurrence import Frequency, Repeat


@dataclass(frozen=True)
class Plan:
    title: str
    kind: EventKind
    days_from_now: int
    hour: int
    hours: float = 2
    timezone: str = "Asia/Jakarta"
    city: str | None = None
    venue: str | None = None
    online: bool = False
    capacity: int | None = None
    repeat: Repeat | None = None
    status: EventStatus = EventStatus.PUBLISHED
    # How many members answer each occurrence; a full event gets a waitlist.
    answers: int = 12
    cancel: bool = False
    description: str = field(default="")


PLANS = [
    Plan(
        "Sketch night",
        EventKind.SHARING_SESSION,
        -28,
        19,
        city="Jakarta",
        venue="Ruang Kolektif, Jl. Cikini Raya 73",
        repeat=Repeat(frequency=Frequency.WEEKLY, count=10),
        answers=8,
        description="Draw together every week; bring anything, show what you made.",
    ),
    Plan(
        "Photo walk: Braga old town",
        EventKind.MEETUP,
        -45,
        7,
        hours=3,
        city="Bandung",
        venue="Gedung Merdeka, Jl. Asia Afrika",
        capacity=15,
        repeat=Repeat(frequency=Frequency.MONTHLY, count=6),
        description="Early light, old facades. Any camera welcome, phones included.",
    ),
    Plan(
        "Quarterly virtual exhibition",
        EventKind.EXHIBITION,
        -30,
        19,
        hours=3,
        online=True,
        repeat=Repeat(frequency=Frequency.MONTHLY, interval=3, count=4),
        answers=20,
        description="The season's best works from the challenges, with the artists live.",
    ),
    Plan(
        "Risograph printing workshop",
        EventKind.WORKSHOP,
        10,
        13,
        hours=4,
        city="Jakarta",
        venue="Ruang Kolektif, Jl. Cikini Raya 73",
        capacity=8,
        answers=24,
        description="Bring a drawing; leave with a two-colour riso print. Paper provided.",
    ),
    Plan(
        "Free online class: intro to Blender",
        EventKind.CLASS,
        5,
        20,
        online=True,
        capacity=50,
        answers=25,
        description="Model, light and render your first scene in two hours.",
    ),
    Plan(
        "Thematic discussion: copyright for illustrators",
        EventKind.DISCUSSION,
        -3,
        19,
        city="Yogyakarta",
        venue="Kedai Kebun Forum",
        description="Licences, commissions and what to do when your work is copied.",
    ),
    Plan(
        "Year-end social",
        EventKind.SOCIAL,
        25,
        18,
        hours=4,
        timezone="Asia/Makassar",
        city="Denpasar",
        venue="Taman Baca Kesiman",
        answers=20,
        description="Food, music and a zine swap to close the year.",
    ),
    Plan(
        "Street photography meetup",
        EventKind.MEETUP,
        12,
        16,
        city="Surabaya",
        venue="Jembatan Merah Plaza",
        cancel=True,
        answers=6,
        description="Postponed: the venue is under renovation.",
    ),
    Plan(
        "Zine fair planning",
        EventKind.DISCUSSION,
        40,
        19,
        online=True,
        status=EventStatus.DRAFT,
        answers=0,
        description="Organizers only, until the date is fixed.",
    ),
]


def _create(session: Session, organizer: Member, plan: Plan, now: datetime) -> Event:
    zone = ZoneInfo(plan.timezone)
    day = now.astimezone(zone).date() + timedelta(days=plan.days_from_now)
    starts = datetime(day.year, day.month, day.day, plan.hour, tzinfo=zone)
    data = EventCreate(
        title=plan.title,
        description=plan.description,
        kind=plan.kind,
        starts_at=starts,
        ends_at=starts + timedelta(hours=plan.hours),
        timezone=plan.timezone,
        venue=plan.venue,
        city=plan.city,
        online_url="https://meet.example.com/sanggar-" + plan.kind.value if plan.online else None,
        capacity=plan.capacity,
        status=plan.status,
        repeat=plan.repeat,
    )
    return series.create_event(session, organizer=organizer, data=data)


def _occurrences(session: Session, first: Event) -> list[Event]:
    if first.series_id is None:
        return [first]
    statement = select(Event).where(Event.series_id == first.series_id)
    return list(session.exec(statement.order_by(col(Event.starts_at))))


def _answer(
    session: Session,
    rng: random.Random,
    event: Event,
    *,
    crowd: list[Member],
    organizer: Member,
    count: int,
    now: datetime,
) -> None:
    # Past events are answered as of the day before; their attendees are checked in.
    as_of = min(now, event.starts_at - timedelta(days=1))
    assert event.id is not None
    for member in rng.sample(crowd, k=min(count, len(crowd))):
        assert member.id is not None
        choice = rng.choices(list(RsvpChoice), weights=[6, 3, 1])[0]
        rsvp = rsvps.set_rsvp(session, event_id=event.id, member=member, choice=choice, now=as_of)
        if rsvp.status == "going" and event.ends_at < now and rng.random() < 0.8:
            arrived = event.starts_at + timedelta(minutes=rng.randint(0, 20))
            check_ins.check_in(
                session, event_id=event.id, member_id=member.id, organizer=organizer, now=arrived
            )


def seed_events(session: Session, rng: random.Random, *, progress: Progress) -> int:
    """Creates the demo calendar; returns how many events (occurrences) it made."""
    organizer = roster.organizer(session)
    crowd = roster.crowd(session)
    now = utcnow()
    task = progress.add_task("Events", total=len(PLANS))
    made = 0
    for plan in PLANS:
        for event in _occurrences(session, _create(session, organizer, plan, now)):
            made += 1
            if event.status == EventStatus.PUBLISHED and plan.answers:
                _answer(
                    session,
                    rng,
                    event,
                    crowd=crowd,
                    organizer=organizer,
                    count=plan.answers,
                    now=now,
                )
            if plan.cancel:
                cancel = EventUpdate(status=EventStatus.CANCELLED)
                series.update_events(
                    session, target=event, occurrences=[event], changes=cancel, actor=organizer
                )
        progress.advance(task)
    return made
