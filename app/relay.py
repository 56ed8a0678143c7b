"""One Redis pub/sub channel between the app's processes: publish without waiting, hear the rest.

Several parts of the app tell the other processes something after a commit (who a token
is: app.principal.broadcast; which members have new notifications: app.notifications.live).
Each uses a `RedisRelay`, which runs two daemon threads:

- a publisher that sends queued messages in order, retrying a lost connection every
  `RETRY_SECONDS`, so a slow or absent Redis never holds up the request that queued them;
- a listener that subscribes, hands every message to `on_message`, and subscribes again
  after a lost connection. Redis pub/sub keeps nothing, so what was published while it was
  not subscribed is lost: `on_subscribed` (each time the subscription is up) and `on_lost`
  (each time it ends) let the owner catch up or stop trusting what it remembers.

The relay knows nothing of what the messages mean, nor of the senders: its owner encodes
them and skips its own. It sits below every feature (it imports nothing of the app).
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING

import structlog

if TYPE_CHECKING:
    import redis

log = structlog.get_logger("sanggar.relay")

# How long a Redis call may take, and the wait before trying a lost connection again.
REDIS_TIMEOUT_SECONDS = 2.0
RETRY_SECONDS = 1.0


def connect(redis_url: str) -> redis.Redis:
    """A client whose calls give up after `REDIS_TIMEOUT_SECONDS` (a dead Redis must not
    hang a thread, nor the shutdown that waits for it)."""
    import redis  # at first use: a deployment without Redis never loads the client (~7 MiB)

    return redis.Redis.from_url(
        redis_url,
        socket_timeout=REDIS_TIMEOUT_SECONDS,
        socket_connect_timeout=REDIS_TIMEOUT_SECONDS,
    )


def redis_name(client: redis.Redis, name: str) -> str:
    """A channel's (or key's) name for this deployment: `sanggar:<database number>:<name>`."""
    # Pub/sub channels are one namespace for the whole Redis server, whatever database the
    # URL chooses: the database number in the name keeps two deployments on one Redis apart.
    db = client.connection_pool.connection_kwargs.get("db") or 0
    return f"sanggar:{db}:{name}"


def _nothing() -> None:
    return None


def _ignore(_error: Exception | None) -> None:
    return None


class RedisRelay:
    def __init__(
        self,
        client: redis.Redis,
        channel: str,
        *,
        name: str,
        on_message: Callable[[bytes], None],
        on_subscribed: Callable[[], None] = _nothing,
        on_lost: Callable[[Exception | None], None] = _ignore,
    ) -> None:
        """`on_lost` gets the error that ended the subscription, or None when `stop` did."""
        self.client = client
        self.channel = channel
        self.name = name
        self._on_message = on_message
        self._on_subscribed = on_subscribed
        self._on_lost = on_lost
        self._subscribed = False  # so a Redis that stays down is reported once, not each retry
        self._outbox: queue.SimpleQueue[str | None] = queue.SimpleQueue()
        self._stopping = threading.Event()
        self._lock = threading.Lock()
        self._threads: list[threading.Thread] = []

    def start(self) -> None:
        """Starts both threads; once only (later calls, and any after `stop`, do nothing)."""
        with self._lock:
            if self._threads or self._stopping.is_set():
                return
            self._threads = [
                threading.Thread(target=self._listen, name=f"{self.name}-listen", daemon=True),
                threading.Thread(target=self._publish, name=f"{self.name}-publish", daemon=True),
            ]
            for thread in self._threads:
                thread.start()

    def stop(self) -> None:
        """Publishes what is queued (for up to the Redis timeout), then stops listening. The
        client stays open: it is its owner's."""
        with self._lock:
            self._stopping.set()
            threads = self._threads
        self._outbox.put(None)
        for thread in threads:
            thread.join(timeout=REDIS_TIMEOUT_SECONDS + RETRY_SECONDS)

    def publish(self, message: str) -> None:
        """Queues a message for the other processes (never blocks)."""
        self._outbox.put(message)

    def _publish(self) -> None:
        import redis  # loaded by `connect` already

        while (message := self._outbox.get()) is not None:
            while True:
                try:
                    self.client.publish(self.channel, message)
                    break
                except (redis.RedisError, OSError) as error:
                    if self._stopping.is_set():
                        return
                    log.warning("relay_unpublished", relay=self.name, error=str(error))
                    self._stopping.wait(RETRY_SECONDS)

    def _listen(self) -> None:
        import redis  # loaded by `connect` already

        while not self._stopping.is_set():
            lost: Exception | None = None
            try:
                self._hear_until_stopped()
            except (redis.RedisError, OSError) as error:
                lost = error
                if self._subscribed:
                    log.warning("relay_lost", relay=self.name, error=str(error))
            self._subscribed = False
            self._on_lost(lost)
            self._stopping.wait(RETRY_SECONDS)

    def _hear_until_stopped(self) -> None:
        # pubsub() is untyped before redis-py 8.2 and typed from it: either passes mypy.
        with self.client.pubsub() as subscription:  # type: ignore[no-untyped-call,unused-ignore]
            subscription.subscribe(self.channel)
            while not self._stopping.is_set():
                message = subscription.get_message(timeout=RETRY_SECONDS)
                if message is None:
                    subscription.ping()  # a dead connection shows here, not by silence
                elif message["type"] == "subscribe":
                    self._subscribed = True
                    log.info("relay_listening", relay=self.name, channel=self.channel)
                    self._on_subscribed()
                elif message["type"] == "message":
                    self._on_message(message["data"])
