"""Every app process hears at once what another changed about who a token is (Redis).

Each process remembers token lookups (app.principal.cache) and forgets what its own commits
change. With `SANGGAR_REDIS_URL` set, it also tells the others: after a commit that changed
members, tokens or log-ins it publishes what to forget (everyone, or some members) on one
Redis channel, and a thread of every process listens there and forgets the same. While a
process is subscribed it may remember lookups for `SANGGAR_AUTH_CACHE_SHARED_SECONDS`, since a
revocation elsewhere reaches it within milliseconds; without Redis, or while the
subscription is down, for `SANGGAR_AUTH_CACHE_SECONDS`, and it forgets everything when the
subscription drops and again when it is back (what was published meanwhile is lost: Redis
pub/sub keeps nothing).

Publishing happens in a thread of its own, after the commit, so a slow or absent Redis
never holds up a request; messages wait in order until Redis takes them. A message can only
make a process forget (and so look up again): whoever can write to Redis can cost queries,
never grant access.
"""

from __future__ import annotations

import json
import queue
import threading
import uuid

import redis
import structlog

from app.principal.cache import PrincipalCache

log = structlog.get_logger("sanggar.auth.broadcast")

# Pub/sub channels are one namespace for the whole Redis server, whatever database the
# URL chooses: the database number in the name keeps two deployments on one Redis apart.
CHANNEL = "sanggar:{db}:principals"
# How long a Redis call may take, and the wait before trying a lost connection again.
REDIS_TIMEOUT_SECONDS = 2.0
RETRY_SECONDS = 1.0


def encode(sender: str, changed: bool | set[int]) -> str:
    members = None if changed is True else sorted(changed or ())
    return json.dumps({"from": sender, "members": members})


def decode(message: bytes | str) -> tuple[str, bool | set[int]]:
    """The sender and what to forget (True: everyone); anything unreadable means everyone."""
    try:
        data = json.loads(message)
        members = data["members"]
        return str(data["from"]), True if members is None else {int(m) for m in members}
    except (ValueError, TypeError, KeyError):
        return "", True


class PrincipalBroadcast:
    def __init__(self, cache: PrincipalCache, redis_url: str) -> None:
        self.cache = cache
        self.sender = uuid.uuid4().hex  # this process: it skips its own messages
        self._client = redis.Redis.from_url(
            redis_url,
            socket_timeout=REDIS_TIMEOUT_SECONDS,
            socket_connect_timeout=REDIS_TIMEOUT_SECONDS,
        )
        self.channel = CHANNEL.format(
            db=self._client.connection_pool.connection_kwargs.get("db") or 0
        )
        self._outbox: queue.SimpleQueue[str | None] = queue.SimpleQueue()
        self._stopping = threading.Event()
        self._threads = [
            threading.Thread(target=self._listen, name="principals-listen", daemon=True),
            threading.Thread(target=self._publish, name="principals-publish", daemon=True),
        ]

    def start(self) -> None:
        self.cache.announce = self.announce
        for thread in self._threads:
            thread.start()

    def stop(self) -> None:
        """Publishes what is queued (for up to the Redis timeout), then stops listening."""
        self.cache.announce = None
        self._stopping.set()
        self._outbox.put(None)
        for thread in self._threads:
            thread.join(timeout=REDIS_TIMEOUT_SECONDS + RETRY_SECONDS)
        self.cache.hears_others(False)
        self._client.close()

    def announce(self, changed: bool | set[int]) -> None:
        """Tell the other processes to forget what a commit here changed (never blocks)."""
        self._outbox.put(encode(self.sender, changed))

    def _publish(self) -> None:
        while (message := self._outbox.get()) is not None:
            while True:
                try:
                    self._client.publish(self.channel, message)
                    break
                except (redis.RedisError, OSError) as error:
                    if self._stopping.is_set():
                        return
                    log.warning("principal_broadcast_unpublished", error=str(error))
                    self._stopping.wait(RETRY_SECONDS)

    def _listen(self) -> None:
        while not self._stopping.is_set():
            try:
                self._hear_until_stopped()
            except (redis.RedisError, OSError) as error:
                if self.cache.hearing:
                    log.warning("principal_broadcast_lost", error=str(error))
            if self.cache.hearing:  # what is published from now on is lost: remember
                self.cache.hears_others(False)  # briefly, and nothing kept for longer
            self._stopping.wait(RETRY_SECONDS)

    def _hear_until_stopped(self) -> None:
        # pubsub() is untyped before redis-py 8.2 and typed from it: either passes mypy.
        with self._client.pubsub() as subscription:  # type: ignore[no-untyped-call,unused-ignore]
            subscription.subscribe(self.channel)
            while not self._stopping.is_set():
                message = subscription.get_message(timeout=RETRY_SECONDS)
                if message is None:
                    subscription.ping()  # a dead connection shows here, not by silence
                elif message["type"] == "subscribe":
                    self.cache.hears_others(True)
                    log.info("principal_broadcast_listening", channel=self.channel)
                elif message["type"] == "message":
                    sender, changed = decode(message["data"])
                    if sender != self.sender:
                        self.cache.forget(changed)
