"""Where a webhook may point: never into the app's own network (server-side request forgery).

A URL is refused when its host resolves to any private, loopback, link-local, multicast,
reserved or unspecified address. An IPv6 address that carries an IPv4 address is judged by the
IPv4 address it carries, because that is where the packets end up: IPv4-mapped, IPv4-compatible
and IPv4-translated addresses, 6to4 (2002::/16) and the NAT64 well-known prefix (64:ff9b::/96),
and Teredo (2001::/32), whose server and client addresses must both be public.
The local-use NAT64 prefix (64:ff9b:1::/48) is always refused: where it carries the IPv4
address depends on the network's own translator, and a public receiver is never behind one. The
check runs at registration (422) and again before every send, and the
sender then connects to the very address that was checked, so a DNS answer that changes in
between (DNS rebinding) cannot redirect a delivery. `SANGGAR_WEBHOOKS_ALLOW_PRIVATE=true`
lifts the rule, for receivers on a closed network and for tests.
"""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass
from typing import Any

from app.i18n import N_

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


class UnsafeUrl(Exception):
    """The URL's host is not a public address (or does not resolve). Its text is a message
    id and values (`N_()`), so a 422 says it in the caller's language; `str()` is English."""

    def __init__(self, message: str, **values: Any) -> None:
        super().__init__(message.format(**values))
        self.message, self.values = message, values


@dataclass(frozen=True)
class Target:
    host: str
    port: int
    address: IPAddress


def resolve(host: str, port: int) -> list[IPAddress]:
    """Every address the host resolves to (tests replace this to stay off the network)."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [ipaddress.ip_address(info[4][0]) for info in infos]


_NAT64_WELL_KNOWN = ipaddress.IPv6Network("64:ff9b::/96")
_NAT64_LOCAL_USE = ipaddress.IPv6Network("64:ff9b:1::/48")
_LOW_32_BITS = 0xFFFF_FFFF


def embedded_ipv4(address: ipaddress.IPv6Address) -> list[ipaddress.IPv4Address]:
    """The IPv4 addresses an IPv6 address carries (none for a plain IPv6 address)."""
    if address.ipv4_mapped is not None:
        return [address.ipv4_mapped]
    if address.sixtofour is not None:
        return [address.sixtofour]
    if address.teredo is not None:
        server, client = address.teredo  # the client address comes back un-XOR-ed
        return [server, client]
    low = ipaddress.IPv4Address(int(address) & _LOW_32_BITS)
    high = int(address) >> 32
    if high == 0 or high == 0xFFFF_0000 or address in _NAT64_WELL_KNOWN:
        return [low]  # IPv4-compatible ::/96, IPv4-translated ::ffff:0:0:0/96, NAT64
    return []


def is_public(address: IPAddress) -> bool:
    if isinstance(address, ipaddress.IPv6Address):
        if address in _NAT64_LOCAL_USE:
            return False
        carried = embedded_ipv4(address)
        if carried:
            return all(_is_public_address(ipv4) for ipv4 in carried)
    return _is_public_address(address)


def _is_public_address(address: IPAddress) -> bool:
    return address.is_global and not (
        address.is_private
        or address.is_loopback
        or address.is_link_local
        or address.is_multicast
        or address.is_reserved
        or address.is_unspecified
    )


def _literal(host: str) -> list[IPAddress]:
    try:
        return [ipaddress.ip_address(host)]
    except ValueError:
        return []


def public_target(url: str) -> Target:
    """The checked address to connect to for `url`; raises UnsafeUrl when there is none."""
    import httpx  # here, not at the top: a worker that never checks a URL never loads it

    try:
        parsed = httpx.URL(url)
        host, port = parsed.host, parsed.port or (443 if parsed.scheme == "https" else 80)
    except (httpx.InvalidURL, UnicodeError) as error:  # a host that is no IDNA name: "http://¤"
        raise UnsafeUrl(N_("The URL is not valid: {error}."), error=error) from error
    try:
        addresses = _literal(host) or resolve(host, port)
    except (OSError, UnicodeError, ValueError) as error:
        raise UnsafeUrl(N_("The host {host} does not resolve."), host=repr(host)) from error
    if not addresses:
        raise UnsafeUrl(N_("The host {host} does not resolve."), host=repr(host))
    refused = [a for a in addresses if not is_public(a)]
    if refused:
        raise UnsafeUrl(
            N_(
                "The host {host} resolves to {address}, a private, loopback or link-local "
                "address; webhooks may only call public addresses unless the server runs with "
                "SANGGAR_WEBHOOKS_ALLOW_PRIVATE=true (a closed network, or a receiver on your "
                "own machine while developing)."
            ),
            host=repr(host),
            address=refused[0],
        )
    return Target(host=host, port=port, address=addresses[0])
