"""Live notifications: `GET /api/v1/notifications/stream` (server-sent events).

How a notification reaches an open stream:
- A service that writes notifications, or marks them read, notes the member (or everyone)
  on its Session (`tell_after_commit`, topic `service.LIVE_TOPIC`). Once the database has
  committed, the hub of that process hears it (`LiveHub.committed`): it wakes the streams of
  those members in this process and, with `SANGGAR_REDIS_URL`, publishes the member ids on a
  Redis channel that every other process's hub listens to. Nothing is announced before the
  commit, nor after a rollback.
- A woken stream reads, in a Session of its own that it closes at once, what is newer than
  the last notification it sent (by id) and the unread count, and sends them. The message
  carries only member ids: the database is the one source, so a lost message delays nothing
  but that wake-up (the next one, or a reconnect with `Last-Event-ID`, catches up).
- Idle, a stream holds no connection and no admission place (app.main exempts its path);
  it waits on an `asyncio.Event`. Each heartbeat is a comment line (sse-starlette's ping).
- A change to a member's principal (app.principal.changes: deactivation, erasure, …) wakes
  their streams the same way; one that finds its member no longer active ends.

Tickets: a browser's `EventSource` sends no headers, so `POST …/stream-ticket` gives a
signed ticket (member, expiry 60 s, random nonce; HMAC under the secret key, nothing stored
when it is issued). Redeeming it spends it: with Redis a `SET NX` of its hash; without, an
INSERT of its hash into the idempotency-key table (owner `stream-ticket`), whose unique
(owner, key) lets exactly one redemption in, across processes, on SQLite and PostgreSQL.
Only hashes are stored; the table's daily purge removes them.

Open streams per member: counted in a Redis sorted set (one entry per stream, refreshed at
each heartbeat, so a killed process's entries lapse) when Redis is configured, else per
process.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import hmac
import json
import secrets
import threading
import time
import uuid
from collections.abc import AsyncIterator, Hashable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
import structlog
from anyio import to_thread
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select
from sse_starlette import EventSourceResponse, ServerSentEvent
from starlette.types import Receive, Scope, Send

from app import i18n
from app.core.clock import utcnow
from app.core.config import Settings
from app.core.db import listen_after_commit, upsert_insert
from app.core.errors import ProblemError
from app.core.idempotency_keys import IdempotencyKey
from app.i18n import N_
from app.models import Member, Notification
from app.notifications import service
from app.notifications.schemas import NotificationPublic
from app.principal import changes
from app.relay import RedisRelay, connect, redis_name

if TYPE_CHECKING:
    import redis

log = structlog.get_logger("sanggar.notifications.live")

TICKET_SECONDS = 60
TICKET_OWNER = "stream-ticket"
REPLAY_LIMIT = 500  # a reconnect after a long absence replays this many; the feed has the rest
TOPIC = "notifications"


class InvalidStreamTicket(ProblemError):
    status = 401
    code = "invalid_stream_ticket"

    def __init__(self) -> None:
        super().__init__(
            N_("This stream ticket is unknown, expired or already used: get a new one."),
            headers={"WWW-Authenticate": 'Bearer error="invalid_token"'},
        )


class TooManyStreams(ProblemError):
    status = 429
    code = "too_many_streams"

    def __init__(self, limit: int, retry_after: int) -> None:
        super().__init__(
            N_("At most {limit} notification streams may be open at once: close one first."),
            values={"limit": limit},
            headers={"Retry-After": str(retry_after)},
        )


# --- tickets -------------------------------------------------------------------------------


def _sign(key: str, payload: str) -> str:
    digest = hmac.new(key.encode(), b"stream-ticket|" + payload.encode(), hashlib.sha256)
    return base64.urlsafe_b64encode(digest.digest()).rstrip(b"=").decode()


def issue_ticket(settings: Settings, member_id: int) -> tuple[str, datetime]:
    expires = int(time.time()) + TICKET_SECONDS
    payload = f"{member_id}.{expires}.{secrets.token_urlsafe(16)}"
    return f"{payload}.{_sign(settings.signing_key(), payload)}", datetime.fromtimestamp(
        expires, tz=utcnow().tzinfo
    )


def ticket_member(settings: Settings, ticket: str) -> int:
    """The member a well-signed, unexpired ticket names (not yet spent: `spend_ticket`)."""
    payload, _, signature = ticket.rpartition(".")
    parts = payload.split(".")
    if len(parts) != 3 or not hmac.compare_digest(
        signature.encode("utf-8", "replace"),
        _sign(settings.signing_key(), payload).encode(),
    ):
        raise InvalidStreamTicket()
    try:
        member_id, expires = int(parts[0]), int(parts[1])
    except ValueError as error:
        raise InvalidStreamTicket() from error
    if expires < time.time():
        raise InvalidStreamTicket()
    return member_id


def ticket_hash(ticket: str) -> str:
    return hashlib.sha256(ticket.encode()).hexdigest()


def spend_in_database(engine: Engine, ticket: str) -> bool:
    """True for the one redemption of this ticket, whichever process makes it."""
    with Session(engine) as session:
        inserted = session.execute(
            upsert_insert(session, IdempotencyKey)
            .values(
                owner=TICKET_OWNER,
                key=ticket_hash(ticket),
                request_hash="",
                status_code=0,
                response_body="",
                created_at=utcnow(),
            )
            .on_conflict_do_nothing(index_elements=["owner", "key"])
            .returning(col(IdempotencyKey.id))
        ).first()
        session.commit()
    return inserted is not None


def active_member(engine: Engine, member_id: int) -> Member | None:
    with Session(engine) as session:
        member = session.get(Member, member_id)
        return member if member is not None and member.is_active else None


# --- what a stream reads -------------------------------------------------------------------


@dataclass
class Catchup:
    rows: list[NotificationPublic]
    unread: int
    newest_id: int


def read_news(
    reader: Engine, writer: Engine, member_id: int, after_id: int | None, scope: Scope
) -> Catchup | None:
    """In Sessions opened and closed here: notifications newer than `after_id` (none when
    it is None: the stream starts at the newest), and the unread count; None once the
    member is deactivated or erased (their stream ends). Announcements the member's feed
    lacks are copied into it first, as a read of the feed does. Texts are in the member's
    language as it is now, else the stream request's (`scope`)."""
    with Session(reader) as session:
        member = session.get(Member, member_id)
        if member is None or not member.is_active:
            return None
        upto = service.announcements_behind(session, member=member)
    locale = i18n.of_request(scope, member.locale)
    if upto is not None:
        with Session(writer) as session:
            fresh = session.get(Member, member_id)
            if fresh is not None:
                service.catch_up(session, member=fresh, upto=upto)
                session.commit()
    with Session(reader) as session:
        rows: list[NotificationPublic] = []
        if after_id is None:
            newest = session.scalar(
                sa.select(sa.func.max(Notification.id)).where(
                    col(Notification.member_id) == member_id
                )
            )
            newest_id = newest or 0
        else:
            found = session.exec(
                select(Notification)
                .where(Notification.member_id == member_id, col(Notification.id) > after_id)
                .order_by(col(Notification.id))
                .limit(REPLAY_LIMIT)
            ).all()
            rows = [NotificationPublic.of(n, locale) for n in found]
            newest_id = max([after_id, *(r.id for r in rows)])
        unread = session.exec(
            select(sa.func.count())
            .select_from(Notification)
            .where(Notification.member_id == member_id, col(Notification.read_at).is_(None))
        ).one()
    return Catchup(rows=rows, unread=unread, newest_id=newest_id)


# --- the hub: who is listening in this process ---------------------------------------------


@dataclass(eq=False)
class Listener:
    member_id: int
    loop: asyncio.AbstractEventLoop
    woken: asyncio.Event = field(default_factory=asyncio.Event)

    def wake(self) -> None:
        with contextlib.suppress(RuntimeError):  # its event loop is closed: the stream is gone
            self.loop.call_soon_threadsafe(self.woken.set)


_TAKE_SLOT = """
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[3]) then return 0 end
redis.call('ZADD', KEYS[1], ARGV[2], ARGV[4])
redis.call('EXPIRE', KEYS[1], ARGV[5])
return 1
"""


class LiveHub:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.heartbeat = settings.notification_stream_heartbeat_seconds
        self.max_streams = settings.notification_stream_max_per_member
        self.sender = uuid.uuid4().hex
        self._lock = threading.Lock()
        self._listeners: dict[int, set[Listener]] = {}
        self._open: dict[int, int] = {}
        self._client: redis.Redis | None = None
        self._relay: RedisRelay | None = None
        self.channel = ""
        if settings.redis_url:
            self._client = connect(settings.redis_url)
            self.channel = redis_name(self._client, TOPIC)
            self._prefix = redis_name(self._client, "")
            self._relay = RedisRelay(
                self._client,
                self.channel,
                name="notifications",
                on_message=self._heard,
                on_subscribed=self._subscribed,
                on_lost=self._lost,
            )

    @property
    def redis(self) -> redis.Redis | None:
        return self._client

    def watch(self, engine: Engine) -> None:
        listen_after_commit(engine, service.LIVE_TOPIC, self.committed)
        # A member deactivated or erased (among what changes a principal): their streams
        # look again, find them gone and end, here and, through `committed`, everywhere.
        listen_after_commit(engine, changes.TOPIC, self._principals_committed)

    def start(self) -> None:
        if self._relay is not None:
            self._relay.start()

    def stop(self) -> None:
        if self._relay is not None:
            self._relay.stop()
        if self._client is not None:
            self._client.close()

    # --- after a commit, here and elsewhere ---

    def committed(self, items: frozenset[Hashable]) -> None:
        """Told after a commit that wrote or read notifications of these members (any thread)."""
        ids = {int(item) for item in items if isinstance(item, int)}
        self.wake(ids)
        if self._relay is not None:
            self._relay.start()
            self._relay.publish(json.dumps({"from": self.sender, "members": sorted(ids)}))

    def _principals_committed(self, items: frozenset[Hashable]) -> None:
        if changes.EVERYONE in items:
            self.committed(frozenset({service.EVERYONE}))
        else:
            self.committed(items)

    def wake(self, member_ids: set[int]) -> None:
        with self._lock:
            if service.EVERYONE in member_ids:
                woken = [one for group in self._listeners.values() for one in group]
            else:
                woken = [one for m in member_ids for one in self._listeners.get(m, ())]
        for listener in woken:
            listener.wake()

    def listen(self, member_id: int) -> Listener:
        listener = Listener(member_id, asyncio.get_running_loop())
        with self._lock:
            self._listeners.setdefault(member_id, set()).add(listener)
        return listener

    def unlisten(self, listener: Listener) -> None:
        with self._lock:
            group = self._listeners.get(listener.member_id)
            if group is not None:
                group.discard(listener)
                if not group:
                    del self._listeners[listener.member_id]

    # --- how many streams a member has open ---

    def _slots_key(self, member_id: int) -> str:
        return f"{self._prefix}streams:{member_id}"

    def take_slot(self, member_id: int) -> str | None:
        """A slot's name, or None when the member has all their streams open (blocking)."""
        slot = uuid.uuid4().hex
        if self._client is not None:
            now = time.time()
            taken = self._client.eval(  # type: ignore[no-untyped-call,unused-ignore]
                _TAKE_SLOT,
                1,
                self._slots_key(member_id),
                now,
                now + self._slot_lease(),
                self.max_streams,
                slot,
                int(self._slot_lease()) + 60,
            )
            return slot if taken == 1 else None
        with self._lock:
            if self._open.get(member_id, 0) >= self.max_streams:
                return None
            self._open[member_id] = self._open.get(member_id, 0) + 1
        return slot

    def _slot_lease(self) -> float:
        return max(3 * self.heartbeat, 30.0)

    def keep_slot(self, member_id: int, slot: str) -> None:
        if self._client is not None:
            self._client.zadd(self._slots_key(member_id), {slot: time.time() + self._slot_lease()})

    def give_back_slot(self, member_id: int, slot: str) -> None:
        if self._client is not None:
            self._client.zrem(self._slots_key(member_id), slot)
            return
        with self._lock:
            left = self._open.get(member_id, 0) - 1
            if left > 0:
                self._open[member_id] = left
            else:
                self._open.pop(member_id, None)

    def spend_with_redis(self, ticket: str) -> bool:
        assert self._client is not None
        key = f"{self._prefix}stream-ticket:{ticket_hash(ticket)}"
        return bool(self._client.set(key, b"1", nx=True, ex=TICKET_SECONDS * 2))

    # --- Redis pub/sub ---

    def _heard(self, message: bytes) -> None:
        try:
            data = json.loads(message)
            if data["from"] == self.sender:
                return
            members = {int(m) for m in data["members"]}
        except (ValueError, TypeError, KeyError):
            members = {service.EVERYONE}
        self.wake(members)

    def _subscribed(self) -> None:
        self.wake({service.EVERYONE})  # anything missed while not subscribed

    def _lost(self, error: Exception | None) -> None:
        if error is not None:  # whatever was published meanwhile is lost: every stream here
            self.wake({service.EVERYONE})  # looks again


# --- one stream ----------------------------------------------------------------------------


async def events(
    hub: LiveHub,
    reader: Engine,
    writer: Engine,
    member_id: int,
    slot: str,
    last_event_id: int | None,
    scope: Scope,
) -> AsyncIterator[ServerSentEvent]:
    """The events of one stream, until the client goes or the server shuts down (both
    cancel this generator, which then gives back the listener and the slot)."""
    listener = hub.listen(member_id)  # before the first read: no wake-up can fall between
    try:
        last_unread: int | None = None
        after = last_event_id
        while True:
            listener.woken.clear()
            news = await to_thread.run_sync(read_news, reader, writer, member_id, after, scope)
            if news is None:
                return  # the member was deactivated or erased
            for row in news.rows:
                yield ServerSentEvent(
                    event="notification", id=str(row.id), data=row.model_dump_json()
                )
            after = news.newest_id
            if news.unread != last_unread:
                last_unread = news.unread
                yield ServerSentEvent(event="unread", data=json.dumps({"unread": news.unread}))
            while not listener.woken.is_set():
                try:
                    await asyncio.wait_for(listener.woken.wait(), timeout=hub.heartbeat)
                except TimeoutError:
                    if hub.redis is not None:
                        await to_thread.run_sync(hub.keep_slot, member_id, slot)
    finally:
        hub.unlisten(listener)


class StreamResponse(EventSourceResponse):
    """Gives the member's slot back however the response ends: the client gone (even before
    the stream's generator started, when its `finally` never runs), the server shutting
    down, an error."""

    def __init__(
        self,
        content: AsyncIterator[ServerSentEvent],
        *,
        hub: LiveHub,
        member_id: int,
        slot: str,
        **kwargs: Any,
    ) -> None:
        super().__init__(content, **kwargs)
        self._slot = (hub, member_id, slot)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await super().__call__(scope, receive, send)
        finally:
            hub, member_id, slot = self._slot
            if hub.redis is None:
                hub.give_back_slot(member_id, slot)  # a dict under a lock: no thread needed
            else:
                # In a task of its own: an await here may be cancelled with the response.
                # Should Redis fail, the slot's lease lapses by itself.
                asyncio.get_running_loop().create_task(_give_back(hub, member_id, slot))


async def _give_back(hub: LiveHub, member_id: int, slot: str) -> None:
    import redis  # only streams of a hub with Redis come here: loaded by `connect` already

    try:
        await to_thread.run_sync(hub.give_back_slot, member_id, slot)
    except (redis.RedisError, OSError) as error:
        log.warning("stream_slot_not_returned", error=str(error))


def parse_last_event_id(value: str | None) -> int | None:
    if value is None or not value.strip().isdigit() or len(value.strip()) > 18:
        return None
    return int(value.strip())


TICKET_LIFETIME = timedelta(seconds=TICKET_SECONDS)
