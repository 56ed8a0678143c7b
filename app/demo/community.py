"""A realistic demo community for `sanggar seed-demo`; each feature adds its part beside it.

Members come first (every role; every discipline and several cities once there are nine of
them), then each feature plays out its part through its own services, one progress bar per
stage. The whole community is one transaction, so a run adds everything or nothing, and a
database that already has it gets nothing more. Every choice comes from one
random.Random(seed): the same seed grows the same community, handle for handle.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

import sqlalchemy as sa
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from sqlalchemy.engine import Engine
from sqlmodel import Session, SQLModel, select

from app.core.config import Settings
from app.demo import anthologies as anthologies_demo
from app.demo import bridges as bridges_demo
from app.demo import challenges as challenges_demo
from app.demo import conversation as conversation_demo
from app.demo import events as events_demo
from app.demo import judging as judging_demo
from app.demo import mentoring as mentoring_demo
from app.demo import projects as projects_demo
from app.demo import recognition as recognition_demo
from app.demo.pictures import DemoMedia
from app.members import service as members
from app.members.exceptions import HandleTaken
from app.members.schemas import MemberUpdate
from app.models import Discipline, Member, Role

DEMO_PASSWORD = "sanggar-demo"  # noqa: S105 - every demo account; say so in the README, never in production

FIRST_NAMES = [
    "Rina",
    "Budi",
    "Sari",
    "Dewi",
    "Agus",
    "Putri",
    "Fajar",
    "Maya",
    "Yusuf",
    "Intan",
    "Bayu",
    "Citra",
    "Dimas",
    "Eka",
    "Gilang",
    "Hana",
    "Indra",
    "Joko",
    "Kartika",
    "Lestari",
    "Made",
    "Nadia",
    "Oka",
    "Rizky",
    "Siti",
    "Teguh",
    "Wulan",
    "Yoga",
    "Zahra",
    "Ayu",
]
LAST_NAMES = [
    "Wijaya",
    "Santoso",
    "Pratama",
    "Lestari",
    "Saputra",
    "Hidayat",
    "Kusuma",
    "Nugroho",
    "Permata",
    "Siregar",
    "Setiawan",
    "Hakim",
    "Utami",
    "Rahman",
    "Gunawan",
]
CITIES = ["Jakarta", "Bandung", "Yogyakarta", "Surabaya", "Denpasar", "Medan", "Makassar", "Malang"]
SKILLS = {
    Discipline.DESIGN: ["figma", "branding", "typography", "ui design"],
    Discipline.ILLUSTRATION: ["procreate", "ink", "risograph", "watercolor"],
    Discipline.PHOTOGRAPHY: ["street", "portrait", "lightroom", "film"],
    Discipline.WRITING: ["short fiction", "poetry", "copywriting", "editing"],
    Discipline.VIDEO: ["premiere", "color grading", "documentary", "motion"],
    Discipline.MUSIC: ["ableton", "songwriting", "mixing"],
    Discipline.ANIMATION: ["after effects", "blender", "2d animation"],
    Discipline.CRAFT: ["batik", "ceramics", "bookbinding"],
    Discipline.OTHER: ["community building", "curation"],
}
BIOS = [
    "Draws every morning before work; loves picture books.",
    "Street photographer chasing light in old markets.",
    "Writes short fiction about small towns and big families.",
    "Designer by day, zine maker by night.",
    "Video maker documenting local crafts.",
    "Learning to animate, one loop at a time.",
]


# Each member's first discipline and city go round these lists, so that a community of
# nine or more members has every discipline and several cities; the rest is the seed's.
DISCIPLINES = list(Discipline)
SMALLEST_COMMUNITY = len(DISCIPLINES)
# The tables whose new rows the summary counts, with the words it uses for one and many.
SUMMARY_TABLES = {
    "members": ("member", "members"),
    "challenges": ("challenge", "challenges"),
    "submissions": ("work", "works"),
    "votes": ("vote", "votes"),
    "events": ("event", "events"),
    "projects": ("project", "projects"),
    "mentorships": ("mentorship", "mentorships"),
    "threads": ("thread", "threads"),
    "comments": ("comment", "comments"),
    "ideas": ("idea", "ideas"),
    "announcements": ("announcement", "announcements"),
    "anthologies": ("anthology", "anthologies"),
    "activities": ("contribution", "contributions"),
}


@dataclass
class SeedSummary:
    """How many rows of each kind the run added (nothing when already seeded)."""

    added: dict[str, int]

    @property
    def members(self) -> int:
        return self.added.get("members", 0)

    def __str__(self) -> str:
        if not any(self.added.values()):
            return "nothing added"
        counts = ", ".join(
            f"{n} {SUMMARY_TABLES[t][0 if n == 1 else 1]}" for t, n in self.added.items()
        )
        return f"{counts} added (log in as demo_admin / {DEMO_PASSWORD})"


def _row_counts(session: Session) -> dict[str, int]:
    tables = SQLModel.metadata.tables
    return {
        name: session.execute(sa.select(sa.func.count()).select_from(tables[name])).scalar_one()
        for name in SUMMARY_TABLES
    }


def _progress(console: Console) -> Progress:
    return Progress(
        TextColumn("{task.description:<13}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
    )


def _already_seeded(session: Session) -> bool:
    return (
        session.exec(select(Member.id).where(Member.handle_key == "demo_admin")).first() is not None
    )


def seed_community(
    engine: Engine, settings: Settings, *, members_count: int, seed: int, console: Console
) -> SeedSummary:
    """Seeds the demo community in one transaction, or nothing when it is already there."""
    if members_count < SMALLEST_COMMUNITY:
        raise ValueError(f"A demo community needs at least {SMALLEST_COMMUNITY} members.")
    rng = random.Random(seed)  # noqa: S311 - repeatable demo data, not security
    # Demo passwords are hashed cheaply to seed quickly; a log-in rehashes them with the
    # configured cost (pwdlib's verify_and_update).
    fast = settings.model_copy(
        update={"password_hash_memory_kib": 1024, "password_hash_time_cost": 1}
    )
    pictures = DemoMedia(settings)
    with Session(engine) as session:
        if _already_seeded(session):
            console.print("[yellow]The demo community is already seeded: nothing added.[/yellow]")
            return SeedSummary(added={})
        before = _row_counts(session)
        try:
            with _progress(console) as progress:
                _seed_everything(session, fast, rng, members_count, progress, pictures)
            added = {t: n - before[t] for t, n in _row_counts(session).items()}
            session.commit()
        except (sa.exc.IntegrityError, HandleTaken):
            # A seed-demo running at the same time committed first (the demo admin's handle
            # is unique): its community stands and this one is dropped whole, pictures too.
            session.rollback()
            pictures.discard()
            if not _already_seeded(session):
                raise
            console.print("[yellow]The demo community is already seeded: nothing added.[/yellow]")
            return SeedSummary(added={})
        except BaseException:
            pictures.discard()  # nothing of this run was committed: neither are its pictures
            raise
    return SeedSummary(added=added)


def _seed_everything(
    session: Session,
    settings: Settings,
    rng: random.Random,
    members_count: int,
    progress: Progress,
    pictures: DemoMedia,
) -> None:
    task = progress.add_task("Members", total=members_count + 2)
    _seed_staff(session, settings)
    progress.advance(task, 2)
    # A fifth join after today's activities: recognition's quiet members (below).
    quiet = members_count // 5
    for index in range(members_count - quiet):
        _seed_member(session, settings, rng, index)
        progress.advance(task)
    # The calendar needs the members in place: they RSVP and attend.
    events_demo.seed_events(session, rng, progress=progress)
    projects_demo.seed_projects(session, rng, progress=progress)
    mentoring_demo.seed_mentoring(session, rng, progress=progress)
    # Challenges need members to enter works and vote.
    challenges_demo.seed_challenges(session, rng, pictures=pictures, progress=progress)
    judging_demo.seed_judged_challenge(session, rng, progress=progress)
    # Conversations need works to comment on.
    conversation_demo.seed_conversation(session, rng, progress=progress)
    # The anthologies collect the closed writing and photography challenges' winners.
    anthologies_demo.seed_anthology(session, progress=progress)
    # The chat bridges of each kind, inactive: the shape of their targets.
    bridges_demo.seed_bridges(session, settings)
    # The past last: it needs to know who contributed today.
    late = range(members_count - quiet, members_count)
    recognition_demo.seed_history(
        session,
        rng,
        quiet=[_seed_member(session, settings, rng, index) for index in late],
        progress=progress,
    )
    progress.advance(task, quiet)


def _seed_staff(session: Session, settings: Settings) -> None:
    for handle, name, role in (
        ("demo_admin", "Demo Admin", Role.ADMIN),
        ("demo_organizer", "Demo Organizer", Role.ORGANIZER),
    ):
        members.create_member(
            session,
            settings,
            email=f"{handle}@example.com",
            password=DEMO_PASSWORD,
            handle=handle,
            display_name=name,
            role=role,
        )


def _seed_member(session: Session, settings: Settings, rng: random.Random, index: int) -> Member:
    first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
    handle = f"{first}_{last}{index}".lower()
    member = members.create_member(
        session,
        settings,
        email=f"{handle}@example.com",
        password=DEMO_PASSWORD,
        handle=handle,
        display_name=f"{first} {last}",
        role=Role.MENTOR if index % 10 == 0 else Role.MEMBER,
    )
    first_discipline = DISCIPLINES[index % len(DISCIPLINES)]
    others = [d for d in DISCIPLINES if d != first_discipline]
    disciplines = [first_discipline, *rng.sample(others, k=rng.randint(0, 1))]
    skills = [skill for d in disciplines for skill in rng.sample(SKILLS[d], k=2)]
    city = CITIES[index] if index < len(CITIES) else rng.choice(CITIES)
    profile = MemberUpdate(
        bio=rng.choice(BIOS),
        city=city,
        disciplines=disciplines,
        skills=skills,
        open_for_commissions=rng.random() < 0.3,
    )
    return members.update_profile(session, member=member, changes=profile)
