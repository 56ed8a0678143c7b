"""Search: word forms in Indonesian and English, accents, search as you type, marked
snippets, what each caller may find, the index following every change at once, and a
stable keyset walk over the ranking."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from app.core.clock import utcnow
from app.core.db import read_only
from app.models import Challenge, Idea, Post, Role, SearchDocument, SearchType, Thread
from app.search import indexer, service
from tests.challenges.helpers import create_challenge, move_to, organizer, submit
from tests.conftest import is_postgres
from tests.conversation.helpers import API, created, propose, reply, report, start_thread
from tests.events.helpers import create_event
from tests.factories import make_member, make_project, member_with_headers

SEARCH = f"{API}/search"
Headers = dict[str, str]


def found(
    client: TestClient, q: str, headers: Headers | None = None, **params: Any
) -> list[tuple[str, int]]:
    response = client.get(SEARCH, params={"q": q, "limit": 100, **params}, headers=headers or {})
    assert response.status_code == 200, response.text
    return [(item["type"], item["id"]) for item in response.json()["items"]]


def items(client: TestClient, q: str, headers: Headers | None = None) -> list[dict[str, Any]]:
    response = client.get(SEARCH, params={"q": q, "limit": 100}, headers=headers or {})
    assert response.status_code == 200, response.text
    result: list[dict[str, Any]] = response.json()["items"]
    return result


@pytest.fixture
def member(app: FastAPI) -> Headers:
    return member_with_headers(app)[1]


@pytest.fixture
def staff(app: FastAPI) -> Headers:
    return organizer(app)


# --- words ---------------------------------------------------------------------------------


def test_indonesian_word_forms_meet(client: TestClient, member: Headers) -> None:
    thread = start_thread(client, member, title="Klub baca", body="Sebuah tulisan tentang pasar")
    assert ("thread", thread["id"]) in found(client, "menulis", member)
    other = start_thread(client, member, title="Belajar menulis puisi", body="Setiap minggu.")
    assert ("thread", other["id"]) in found(client, "tulisan", member)
    painter = start_thread(client, member, title="Melukis bersama", body="Cat air.")
    assert ("thread", painter["id"]) in found(client, "lukisan", member)


def test_english_word_forms_meet(client: TestClient, member: Headers) -> None:
    one = start_thread(client, member, title="Oil painting tips", body="Glazing.")
    many = start_thread(client, member, title="Sharing my paintings", body="Coast and sea.")
    assert set(found(client, "paintings", member)) >= {("thread", one["id"])}
    assert set(found(client, "painting", member)) >= {("thread", one["id"]), ("thread", many["id"])}


def test_accents_do_not_matter(client: TestClient, member: Headers) -> None:
    thread = start_thread(client, member, title="Café Ñusantara", body="Pameran di kafé.")
    assert ("thread", thread["id"]) in found(client, "cafe nusantara", member)
    assert ("thread", thread["id"]) in found(client, "CAFÉ", member)
    plain = start_thread(client, member, title="Resume review", body="Send a resume.")
    assert ("thread", plain["id"]) in found(client, "résumé", member)


def test_the_last_word_matches_as_a_prefix(client: TestClient, member: Headers) -> None:
    thread = start_thread(client, member, title="Gamelan rehearsal", body="Pendopo at seven.")
    assert ("thread", thread["id"]) in found(client, "gam", member)
    assert ("thread", thread["id"]) in found(client, "pendopo reh", member)
    # Only the last word is a prefix: a cut word before it must match whole.
    assert found(client, "gam rehearsal", member) == []


def test_every_word_must_match(client: TestClient, member: Headers) -> None:
    thread = start_thread(client, member, title="Batik tulis", body="Canting and wax.")
    assert ("thread", thread["id"]) in found(client, "batik canting", member)
    assert found(client, "batik keramik", member) == []


def test_snippets_mark_the_words_and_escape_the_rest(client: TestClient, member: Headers) -> None:
    start_thread(
        client,
        member,
        title="Zine night",
        body="Bring <b>scissors</b> & your Tulisan for the zine.",
    )
    (item,) = items(client, "menulis", member)
    assert "<mark>Tulisan</mark>" in item["snippet"]
    assert "&lt;b&gt;scissors&lt;/b&gt; &amp;" in item["snippet"]
    assert item["title"] == "Zine night"
    assert isinstance(item["score"], float)


def test_a_long_text_is_cut_around_the_match(client: TestClient, member: Headers) -> None:
    body = " ".join(["kata"] * 200 + ["wayang"] + ["akhir"] * 200)
    start_thread(client, member, title="Panjang", body=body)
    (item,) = items(client, "wayang", member)
    assert item["snippet"].startswith("…") and item["snippet"].endswith("…")
    assert "<mark>wayang</mark>" in item["snippet"]
    assert len(item["snippet"]) < 300


# --- who finds what ------------------------------------------------------------------------


def test_each_caller_finds_what_they_may_see(
    app: FastAPI, client: TestClient, member: Headers, staff: Headers
) -> None:
    word = "kerontjong"
    profile = make_member(app, display_name=f"Ayu {word.title()}", bio="Penyanyi")
    thread = start_thread(client, member, title=f"{word} night", body="Bring a ukulele.")
    post = created(reply(client, thread["id"], member, body=f"I love {word}."))
    idea = created(
        client.post(
            f"{API}/ideas", json={"title": f"{word} class", "body": "Weekly"}, headers=member
        )
    )
    coordinator = make_member(app)
    project = make_project(app, coordinator, title=f"{word} archive")
    published = create_event(client, staff, title=f"{word} evening")
    draft = create_event(client, staff, title=f"{word} draft", status="draft")
    running = create_challenge(client, staff)
    running_work = submit(client, running["id"], member, title=f"{word} song")
    closed = create_challenge(client, staff)
    closed_work = submit(client, closed["id"], member, title=f"{word} ballad")
    move_to(client, staff, closed["id"], "closed")

    public = {
        ("member", profile.id),
        ("event", published["id"]),
        ("submission", closed_work["id"]),
    }
    members_only = {
        ("thread", thread["id"]),
        ("post", post["id"]),
        ("idea", idea["id"]),
        ("project", project.id),
        ("submission", running_work["id"]),
    }
    assert set(found(client, word)) == public
    assert set(found(client, word, member)) == public | members_only
    assert set(found(client, word, staff)) == public | members_only | {("event", draft["id"])}


def test_emails_are_never_found(app: FastAPI, client: TestClient, staff: Headers) -> None:
    make_member(app, email="rahasiaku@example.com", display_name="Sari")
    admin = member_with_headers(app, role=Role.ADMIN)[1]
    for headers in ({}, staff, admin):
        assert found(client, "rahasiaku", headers) == []
    assert len(found(client, "sari", admin)) == 1


def test_works_of_unpublished_challenges_only_for_organizers(
    engine: Engine, client: TestClient, member: Headers, staff: Headers
) -> None:
    """The API refuses to unpublish a challenge with works; the index follows the column
    whatever changes it (here the ORM, as a maintenance script would)."""
    challenge = create_challenge(client, staff)
    work = submit(client, challenge["id"], member, title="Senja di Parangtritis")
    assert ("submission", work["id"]) in found(client, "parangtritis", member)
    with Session(engine) as session:
        row = session.get(Challenge, challenge["id"])
        assert row is not None
        row.published = False
        session.commit()
    assert found(client, "parangtritis", member) == []
    assert ("submission", work["id"]) in found(client, "parangtritis", staff)


def test_works_become_public_when_the_challenge_closes(
    client: TestClient, member: Headers, staff: Headers
) -> None:
    challenge = create_challenge(client, staff)
    work = submit(client, challenge["id"], member, title="Keroncong pagi")
    assert found(client, "keroncong") == []
    move_to(client, staff, challenge["id"], "voting")
    assert found(client, "keroncong") == []
    move_to(client, staff, challenge["id"], "closed")
    assert found(client, "keroncong") == [("submission", work["id"])]


def test_a_draft_event_is_found_by_everyone_once_published(
    client: TestClient, member: Headers, staff: Headers
) -> None:
    event = create_event(client, staff, title="Pameran topeng", status="draft")
    assert found(client, "topeng", member) == []
    response = client.patch(
        f"{API}/events/{event['id']}", json={"status": "published"}, headers=staff
    )
    assert response.status_code == 200, response.text
    assert found(client, "topeng") == [("event", event["id"])]


# --- the index follows every change at once ------------------------------------------------


def test_hidden_content_leaves_the_index_at_once(
    client: TestClient, member: Headers, staff: Headers
) -> None:
    thread = start_thread(client, member, title="Wayang kulit", body="Dalang tonight.")
    post = created(reply(client, thread["id"], member, body="Spam spam wayang"))
    case = report(client, member, "post", post["id"])
    assert case.status_code == 201, case.text
    decided = client.patch(
        f"{API}/reports/{case.json()['id']}",
        json={"status": "resolved", "hide_target": True},
        headers=staff,
    )
    assert decided.status_code == 200, decided.text
    assert set(found(client, "wayang", staff)) == {("thread", thread["id"])}
    shown = client.patch(
        f"{API}/reports/{case.json()['id']}",
        json={"status": "resolved", "hide_target": False},
        headers=staff,
    )
    assert shown.status_code == 200, shown.text
    assert set(found(client, "wayang", staff)) == {("thread", thread["id"]), ("post", post["id"])}


def test_a_hidden_thread_takes_its_posts_along(
    client: TestClient, member: Headers, staff: Headers
) -> None:
    thread = start_thread(client, member, title="Angklung", body="Bambu.")
    post = created(reply(client, thread["id"], member, body="Angklung ensemble"))
    case = report(client, member, "thread", thread["id"]).json()
    client.patch(
        f"{API}/reports/{case['id']}",
        json={"status": "resolved", "hide_target": True},
        headers=staff,
    )
    assert found(client, "angklung", member) == []
    assert ("post", post["id"]) not in found(client, "angklung", staff)


def test_edits_and_deletes_change_the_index(client: TestClient, member: Headers) -> None:
    thread = start_thread(client, member, title="Sablon kaos", body="Tinta plastisol.")
    post = created(reply(client, thread["id"], member, body="Gunakan tinta rubber"))
    edited = client.patch(
        f"{API}/posts/{post['id']}", json={"body": "Pakai screen mesh 120"}, headers=member
    )
    assert edited.status_code == 200, edited.text
    assert ("post", post["id"]) not in found(client, "rubber", member)
    assert ("post", post["id"]) in found(client, "mesh", member)
    assert client.delete(f"{API}/posts/{post['id']}", headers=member).status_code == 204
    assert found(client, "mesh", member) == []
    other = created(reply(client, thread["id"], member, body="Mesh 160 lebih halus"))
    assert client.delete(f"{API}/threads/{thread['id']}", headers=member).status_code == 204
    assert found(client, "mesh", member) == []
    assert found(client, "sablon", member) == []
    assert other["id"]


def test_a_profile_edit_and_a_deactivation(app: FastAPI, client: TestClient) -> None:
    person, headers = member_with_headers(app, display_name="Dewi Lestari")
    assert found(client, "dewi") == [("member", person.id)]
    response = client.patch(
        f"{API}/members/me", json={"display_name": "Dewi Sartika"}, headers=headers
    )
    assert response.status_code == 200, response.text
    assert found(client, "lestari") == []
    assert found(client, "sartika") == [("member", person.id)]
    admin = member_with_headers(app, role=Role.ADMIN)[1]
    response = client.patch(f"{API}/members/{person.id}", json={"is_active": False}, headers=admin)
    assert response.status_code == 200, response.text
    assert found(client, "sartika", admin) == []


def test_a_rolled_back_change_leaves_the_index_alone(
    engine: Engine, client: TestClient, member: Headers
) -> None:
    thread = start_thread(client, member, title="Tenun ikat", body="Sumba.")
    with Session(engine) as session:
        post = Post(thread_id=thread["id"], author_id=None, body="Tenun songket")
        session.add(post)
        session.flush()
        session.rollback()
    with Session(engine) as session:
        rows = session.exec(select(SearchDocument).where(SearchDocument.doc_type == "post")).all()
        assert rows == []


def test_reindex_rebuilds_the_same_index(
    engine: Engine, client: TestClient, member: Headers, staff: Headers
) -> None:
    start_thread(client, member, title="Keramik Kasongan", body="Tanah liat.")
    create_event(client, staff, title="Keramik workshop", status="draft")
    before = found(client, "keramik", staff)
    with Session(engine) as session:
        counts = indexer.reindex(session)
        session.commit()
    assert counts["thread"] == 1 and counts["event"] == 1
    assert found(client, "keramik", staff) == before


# --- ranking and pages ---------------------------------------------------------------------


def test_titles_rank_above_bodies(client: TestClient, member: Headers) -> None:
    body_only = start_thread(client, member, title="Catatan", body="Sedikit tentang ondel ondel.")
    title = start_thread(client, member, title="Ondel-ondel Betawi", body="Arak-arakan.")
    ranked = found(client, "ondel", member)
    assert ranked.index(("thread", title["id"])) < ranked.index(("thread", body_only["id"]))


def test_pages_walk_the_ranking_without_gaps_or_repeats(
    client: TestClient, member: Headers
) -> None:
    made = set()
    for n in range(23):
        extra = " kecak" * (n % 4)
        made.add(("idea", propose(client, member, title=f"Kecak {n}{extra}")["id"]))
    for n in range(4):
        made.add(("thread", start_thread(client, member, title="Tari", body=f"kecak {n}")["id"]))
    seen: list[tuple[str, int]] = []
    scores: list[float] = []
    cursor = None
    while True:
        params: dict[str, Any] = {"q": "kecak", "limit": 5}
        if cursor:
            params["cursor"] = cursor
        response = client.get(SEARCH, params=params, headers=member)
        assert response.status_code == 200, response.text
        page = response.json()
        seen += [(i["type"], i["id"]) for i in page["items"]]
        scores += [i["score"] for i in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert len(seen) == len(set(seen)) == 27
    assert set(seen) == made
    assert scores == sorted(scores, reverse=True)
    assert seen == found(client, "kecak", member)  # one page of 100: the same order


@pytest.mark.parametrize(("block", "rare"), [(4, False), (7, False), (4, True)])
def test_a_common_word_is_ranked_block_by_block(
    client: TestClient, member: Headers, monkeypatch: pytest.MonkeyPatch, block: int, rare: bool
) -> None:
    """More matches than one block of candidates: each block of the newest matches best
    first, then the next older block; pages cross blocks without gaps or repeats (on
    PostgreSQL also through the GIN index at once, as for a rare word)."""
    monkeypatch.setattr(service, "CANDIDATES", block)
    monkeypatch.setattr(service, "WALK", 2 * block)
    if rare:
        monkeypatch.setattr(service, "RARE", 10**9)
    made = []  # oldest first
    for n in range(17):
        extra = " gendang" * (n % 3)
        made.append(("idea", propose(client, member, title=f"Gendang {n}{extra}")["id"]))
    start_thread(client, member, title="Gendang rahasia", body="Hanya untuk pengurus.")
    seen: list[tuple[str, int]] = []
    scores: list[float] = []
    cursor = None
    while True:
        params: dict[str, Any] = {"q": "gendang", "limit": 3, "type": "idea"}
        if cursor:
            params["cursor"] = cursor
        response = client.get(SEARCH, params=params, headers=member)
        assert response.status_code == 200, response.text
        page = response.json()
        seen += [(i["type"], i["id"]) for i in page["items"]]
        scores += [i["score"] for i in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert len(seen) == len(set(seen)) == 17
    ranks = [(-score, kind, id_) for score, (kind, id_) in zip(scores, seen, strict=True)]
    newest_first = made[::-1]
    for start in range(0, 17, block):
        chunk = newest_first[start : start + block]
        assert set(seen[start : start + block]) == set(chunk)  # the block is the newest ones
        assert ranks[start : start + block] == sorted(ranks[start : start + block])
    assert ranks != sorted(ranks)  # best first within a block, not over all of them
    assert seen == found(client, "gendang", member, type="idea")  # one page: the same order


@pytest.mark.parametrize("margins", [service.SPAN_MARGINS, (0.1, 0.1)])
@pytest.mark.parametrize(("q", "kinds"), [("gendang", {0, 1}), ("suling genda", {0})])
def test_older_matches_are_found_in_the_span_their_share_predicts(
    client: TestClient,
    member: Headers,
    monkeypatch: pytest.MonkeyPatch,
    q: str,
    kinds: set[int],
    margins: tuple[float, ...],
) -> None:
    """Fewer matches than a block among the newest rows: the rest come from the span of
    older ids their share predicts (on PostgreSQL read from the GIN index, which holds the
    id), then a second span, then below it (spans too narrow: every stage); pages cross
    blocks without gaps or repeats."""
    monkeypatch.setattr(service, "CANDIDATES", 3)
    monkeypatch.setattr(service, "WALK", 3)
    monkeypatch.setattr(service, "SPAN_MARGINS", margins)
    titles = ["Gendang suling {}", "Gendang {}", "Suling {}"]
    ideas = [propose(client, member, title=titles[n % 3].format(n))["id"] for n in range(15)]
    made = {("idea", id_) for n, id_ in enumerate(ideas) if n % 3 in kinds}
    seen: list[tuple[str, int]] = []
    cursor = None
    while True:
        params: dict[str, Any] = {"q": q, "limit": 2, "type": "idea"}
        if cursor:
            params["cursor"] = cursor
        response = client.get(SEARCH, params=params, headers=member)
        assert response.status_code == 200, response.text
        seen += [(i["type"], i["id"]) for i in response.json()["items"]]
        cursor = response.json()["next_cursor"]
        if cursor is None:
            break
    assert len(seen) == len(set(seen)) == len(made)
    assert set(seen) == made


def test_more_of_the_word_and_shorter_texts_rank_higher(
    client: TestClient, member: Headers
) -> None:
    once = start_thread(client, member, title="Gamelan", body="Latihan setiap minggu sore.")
    twice = start_thread(client, member, title="Gamelan", body="Gamelan Jawa.")
    verses = " ".join(f"bait{n}" for n in range(30))  # length is distinct terms
    long = start_thread(client, member, title="Gamelan", body=f"Latihan setiap {verses}")
    assert [id_ for _, id_ in found(client, "gamelan", member)] == [
        twice["id"],
        once["id"],
        long["id"],
    ]


@pytest.mark.parametrize("terms", [64, 0])
def test_a_long_prefix_finds_the_words_it_begins(
    client: TestClient, member: Headers, monkeypatch: pytest.MonkeyPatch, terms: int
) -> None:
    """On SQLite a prefix longer than FTS5's prefix indexes is turned into the indexed terms
    it begins (or, if too many, left to FTS5): the same things are found either way."""
    monkeypatch.setattr(service, "PREFIX_TERMS", terms)
    painting = start_thread(client, member, title="Pameran lukisan", body="Cat minyak.")
    painter = start_thread(client, member, title="Pelukis muda", body="Lukisannya dijual.")
    start_thread(client, member, title="Lukis", body="Cat air.")
    assert set(found(client, "pameran lukisa", member)) == {("thread", painting["id"])}
    assert set(found(client, "lukisann", member)) == {("thread", painter["id"])}
    assert found(client, "lukisanny", member) == [("thread", painter["id"])]


def test_type_filter(client: TestClient, member: Headers) -> None:
    thread = start_thread(client, member, title="Reog Ponorogo", body="Dadak merak.")
    idea = propose(client, member, title="Reog workshop")
    assert found(client, "reog", member, type="idea") == [("idea", idea["id"])]
    assert set(found(client, "reog", member, type=["idea", "thread"])) == {
        ("idea", idea["id"]),
        ("thread", thread["id"]),
    }
    response = client.get(SEARCH, params={"q": "reog", "type": "comment"}, headers=member)
    assert response.status_code == 422


# --- odd input -----------------------------------------------------------------------------


@pytest.mark.parametrize("q", ["", "   ", "x" * 201, "a\x00b", "line\nbreak"])
def test_bad_queries_are_422(client: TestClient, q: str) -> None:
    response = client.get(SEARCH, params={"q": q})
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith("application/problem+json")


def test_q_is_required(client: TestClient) -> None:
    assert client.get(SEARCH).status_code == 422


@pytest.mark.parametrize(
    "q",
    [
        '"',
        "'",
        "AND",
        "a AND b",
        "OR",
        "NOT x",
        "*",
        "-",
        "-batik",
        "batik*",
        '"batik',
        "NEAR(a b)",
        "col:batik",
        "^batik",
        "a & b | !c",
        "(batik",
        ":*",
        "\\",
        "%_",
        "x" * 200,
        " ".join(["batik"] * 30),
        "🎨 lukisan",
        "漢字",
    ],
)
def test_odd_queries_are_answered(client: TestClient, member: Headers, q: str) -> None:
    start_thread(client, member, title="Batik dan lukisan", body="and or not near")
    response = client.get(SEARCH, params={"q": q}, headers=member)
    assert response.status_code == 200, response.text


def test_operators_are_plain_words(client: TestClient, member: Headers) -> None:
    thread = start_thread(client, member, title="Batik and tenun", body="Kain.")
    assert found(client, "batik AND", member) == [("thread", thread["id"])]
    assert found(client, "-batik", member) == [("thread", thread["id"])]
    assert found(client, '"batik"', member) == [("thread", thread["id"])]


@pytest.mark.parametrize("cursor", ["nope", "W10", "WzEsMiwzXQ", "x" * 513])
def test_a_forged_cursor_is_refused(client: TestClient, cursor: str) -> None:
    response = client.get(SEARCH, params={"q": "batik", "cursor": cursor})
    assert response.status_code in (400, 422), response.text


def test_limit_bounds(client: TestClient) -> None:
    assert client.get(SEARCH, params={"q": "a", "limit": 0}).status_code == 422
    assert client.get(SEARCH, params={"q": "a", "limit": 101}).status_code == 422


def test_index_rows_follow_the_posts(engine: Engine, client: TestClient, member: Headers) -> None:
    thread = start_thread(client, member, title="Kolintang", body="Minahasa.")
    for n in range(3):
        reply(client, thread["id"], member, body=f"Kolintang {n}")
    with Session(engine) as session:
        posts = session.exec(select(Post.id).order_by(col(Post.id))).all()
        docs = session.exec(
            select(SearchDocument.doc_id)
            .where(SearchDocument.doc_type == "post")
            .order_by(col(SearchDocument.doc_id))
        ).all()
    assert list(posts) == list(docs)
    assert utcnow()


def test_bulk_statements_are_followed(engine: Engine, client: TestClient, member: Headers) -> None:
    """Writes that bypass the ORM's unit of work (bulk UPDATE by primary key, DELETE … WHERE)
    change the index in their transaction too."""
    thread = start_thread(client, member, title="Lama", body="Isi.")
    idea = propose(client, member, title="Pasar seni")
    with Session(engine) as session:
        session.execute(sa.update(Thread), [{"id": thread["id"], "title": "Judul sinden"}])
        session.execute(sa.delete(Idea).where(col(Idea.id) == idea["id"]))
        session.commit()
    assert found(client, "sinden", member) == [("thread", thread["id"])]
    assert found(client, "lama", member) == []
    assert found(client, "pasar", member) == []


def _waiting_on_a_lock(engine: Engine) -> bool:
    with engine.connect() as connection:
        waiting = connection.execute(
            sa.text(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND wait_event_type = 'Lock'"
            )
        ).scalar_one()
    return bool(waiting)


@pytest.mark.skipif(not is_postgres(), reason="two writers at once need PostgreSQL")
def test_a_post_edited_while_its_thread_is_hidden_is_not_found(
    engine: Engine, client: TestClient, member: Headers
) -> None:
    """The hiding transaction has removed the post's row but not committed; an edit of the
    post decides its own row meanwhile. It must read the thread as the hiding leaves it."""
    thread = start_thread(client, member, title="Gamelan", body="Latihan.")
    post_id = created(reply(client, thread["id"], member, body="Bonang berbunyi"))["id"]
    hider = Session(engine)
    hider.execute(
        sa.update(Thread).where(col(Thread.id) == thread["id"]).values(hidden_at=utcnow())
    )
    indexer.refresh(hider, SearchType.POST, [post_id])  # its decision, before its commit

    def edit() -> None:
        with Session(engine) as editor:
            post = editor.get(Post, post_id)
            assert post is not None
            post.body = "Bonang berbunyi lagi"
            editor.commit()

    editing = threading.Thread(target=edit)
    editing.start()
    deadline = time.monotonic() + 10
    while not _waiting_on_a_lock(engine) and time.monotonic() < deadline:
        time.sleep(0.05)
    hider.commit()
    hider.close()
    editing.join(timeout=10)
    assert not editing.is_alive()
    with Session(engine) as session:
        rows = session.exec(
            select(SearchDocument).where(
                SearchDocument.doc_type == SearchType.POST, SearchDocument.doc_id == post_id
            )
        ).all()
    assert rows == []
    assert found(client, "bonang", member) == []


# --- PostgreSQL statements sent with their settings -----------------------------------------


@pytest.mark.skipif(not is_postgres(), reason="planner settings are PostgreSQL's")
@pytest.mark.parametrize("autocommit", [True, False], ids=["a GET's session", "a transaction"])
def test_a_statement_s_planner_settings_hold_for_it_alone(engine: Engine, autocommit: bool) -> None:
    """A GET's Session is in autocommit, where a SET LOCAL sent on its own does nothing: the
    setting goes in one message with the statement, and holds for that statement only."""
    setting = sa.text("SELECT current_setting('enable_indexscan')")
    with Session(read_only(engine) if autocommit else engine) as session:
        during = service._rows(
            session, "SELECT current_setting('enable_indexscan')", {}, off=("enable_indexscan",)
        )
        assert during == [("off",)]
        assert session.execute(setting).scalar_one() == "on"


@pytest.mark.skipif(not is_postgres(), reason="the statements sent by psycopg are PostgreSQL's")
def test_a_failing_search_statement_raises_as_sqlalchemy_would(engine: Engine) -> None:
    """Errors reach the app's handlers (app.core.errors) as SQLAlchemy's, never raw."""
    with Session(read_only(engine)) as session:
        with pytest.raises(sa.exc.DBAPIError) as raised:
            service._rows(session, "SELECT 1 / %(zero)s", {"zero": 0})
        assert raised.value.orig is not None and "division by zero" in str(raised.value.orig)
        assert session.execute(sa.text("SELECT 1")).scalar_one() == 1  # the connection still works
