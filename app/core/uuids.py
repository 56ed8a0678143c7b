"""Identifiers that stay unique for ever, whatever the database's sequences do.

Integer ids come from sequences, and a database restored from a backup issues the ids
issued since the backup again. What leaves the system and is remembered outside (a
webhook event's `id`, which receivers de-duplicate on) needs an identifier no restore can
repeat: a UUIDv7 (RFC 9562), 48 bits of Unix milliseconds then 74 random bits, so ids
also sort by creation time.
"""

import secrets
import time
import uuid


def uuid7() -> str:
    """A new UUIDv7 in its canonical text form (36 characters)."""
    milliseconds = time.time_ns() // 1_000_000
    value = (milliseconds & (2**48 - 1)) << 80 | secrets.randbits(80)
    # The version (7) and the RFC 9562 variant (0b10) over their bits of the random part.
    value = value & ~(0xF << 76) | 0x7 << 76
    value = value & ~(0x3 << 62) | 0x2 << 62
    return str(uuid.UUID(int=value))
