"""Every app process hears at once what another changed about who a token is (Redis).

Each process remembers token lookups (app.principal.cache) and forgets what its own commits
change. With `SANGGAR_REDIS_URL` set, it also tells the others: after a commit that changed
members, tokens or log-ins it publishes what to forget (everyone, or some members) on one
Redis channel, and a thread of every process listens there and forgets the same, within
milliseconds. It only makes changes heard sooner: every process also reads them from the
database about once a second (app.principal.polling), which hears every writer (a
`sanggar` command publishes nothing) and alone decides how long a lookup may be
remembered; so a subscription that drops (what is published meanwhile is lost: Redis
pub/sub keeps nothing) only delays a change by that second.

Publishing happens in a thread of its own, after the commit, so a slow or absent Redis
never holds up a request; messages wait in order until Redis takes them (app.relay runs the
publisher and the listener). A message can only make a process forget (and so look up
again): whoever can write to Redis can cost queries, never grant access.
"""

from __future__ import annotations

import json
import uuid

from app.principal.cache import PrincipalCache
from app.relay import RedisRelay, connect, redis_name

TOPIC = "principals"


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
        self._client = connect(redis_url)
        self.channel = redis_name(self._client, TOPIC)
        self._relay = RedisRelay(
            self._client,
            self.channel,
            name="principals",
            on_message=self._heard,
            on_subscribed=self._subscribed,
            on_lost=self._lost,
        )
        self.listening = False  # subscribed now: what the others publish reaches us

    def start(self) -> None:
        self.cache.announce = self.announce
        self._relay.start()

    def stop(self) -> None:
        """Publishes what is queued (for up to the Redis timeout), then stops listening."""
        self.cache.announce = None
        self._relay.stop()
        self._client.close()

    def announce(self, changed: bool | set[int]) -> None:
        """Tell the other processes to forget what a commit here changed (never blocks)."""
        self._relay.publish(encode(self.sender, changed))

    def _heard(self, message: bytes) -> None:
        sender, changed = decode(message)
        if sender != self.sender:
            self.cache.forget(changed)

    def _subscribed(self) -> None:
        self.listening = True

    def _lost(self, _error: Exception | None) -> None:
        self.listening = False  # the poll hears what is published meanwhile, a second later
