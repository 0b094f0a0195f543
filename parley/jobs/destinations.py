"""Where a webhook may be sent: the address policy that keeps jobs from reaching the
server's own network (loopback, private ranges, cloud metadata addresses).

A destination is vetted by resolving its host the way the connection will (so every
numeric spelling of an address, ``2130706433``, ``0x7f000001``, ``127.1``, and every name
in ``/etc/hosts`` ends up as the address it means) and classifying each address with the
standard library's ``ipaddress``. Delivery then connects to the vetted address itself, so
no second lookup can swap in another one between the check and the connection.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Sequence
from dataclasses import dataclass

import anyio
import httpx

from parley.networks import Address, AllowList, normal_name

SCHEMES = ("http", "https")
# NAT64 maps IPv4 into IPv6; an address in it is judged by the IPv4 address it carries.
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")
# Not globally reachable, though the ``ipaddress`` of older Pythons calls them global:
# the IPv6 documentation prefix of RFC 9637 and the retired 6to4 relay anycast block.
_NOT_GLOBAL = (ipaddress.IPv6Network("3fff::/20"), ipaddress.IPv4Network("192.88.99.0/24"))


class RefusedDestination(ValueError):
    """A webhook URL Parley will not send to; the message says why."""


@dataclass(frozen=True)
class Destination:
    """A vetted webhook URL and the address to connect to for it."""

    url: httpx.URL
    address: str

    @property
    def host(self) -> str:
        return host_of(self.url)

    @property
    def port(self) -> int:
        return port_of(self.url)


def host_of(url: httpx.URL) -> str:
    """The host as it goes on the wire (IDNA-encoded; IPv6 without brackets)."""
    return url.raw_host.decode("ascii")


def port_of(url: httpx.URL) -> int:
    return url.port or (443 if url.scheme == "https" else 80)


def destination_key(url: str) -> str:
    """``host:port`` of a webhook URL: the unit of the per-destination delivery limit."""
    parsed = httpx.URL(url)
    return f"{normal_name(host_of(parsed))}:{port_of(parsed)}"[:300]


def refusal(address: Address) -> str | None:
    """Why an address is no place for a webhook (``"a loopback address"``), or None when
    it is a public one."""
    if isinstance(address, ipaddress.IPv6Address):
        embedded = address.ipv4_mapped or address.sixtofour
        if embedded is None and address.teredo is not None:
            embedded = address.teredo[1]
        if embedded is None and address in _NAT64:
            embedded = ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
        if embedded is not None:
            inner = refusal(embedded)
            return f"an IPv6 form of {embedded}, {inner}" if inner else None
    for kind, flagged in (
        ("an unspecified", address.is_unspecified),
        ("a loopback", address.is_loopback),
        ("a link-local", address.is_link_local),
        ("a multicast", address.is_multicast),
        ("a reserved", address.is_reserved),
        ("a private", address.is_private),
    ):
        if flagged:
            return f"{kind} address"
    if isinstance(address, ipaddress.IPv6Address) and address.is_site_local:
        return "a site-local address"
    # Shared address space (100.64.0.0/10) and the like: not private, not public either.
    if not address.is_global or any(
        address.version == network.version and address in network for network in _NOT_GLOBAL
    ):
        return "a non-public address"
    return None


def resolve(host: str, port: int) -> list[str]:
    """Every address ``host`` resolves to, as the connection would resolve it (the C
    library also reads numeric spellings such as ``127.1`` and ``/etc/hosts``)."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


def parse(url: str) -> httpx.URL:
    """The URL, if its form may be a webhook's: http(s), a host, no credentials."""
    try:
        parsed = httpx.URL(url)
    except httpx.InvalidURL as error:
        raise RefusedDestination(f"webhookUrl is not a valid URL: {error}") from error
    if parsed.scheme not in SCHEMES:
        raise RefusedDestination("webhookUrl must be an http or https URL")
    if parsed.userinfo:
        raise RefusedDestination(
            "webhookUrl must not carry a user name or password; "
            "authenticate receivers with webhookSigningSecret"
        )
    if not parsed.raw_host:
        raise RefusedDestination("webhookUrl has no host")
    if parsed.port == 0:
        raise RefusedDestination("webhookUrl has port 0, which nothing can listen on")
    return parsed


def judge(parsed: httpx.URL, addresses: Sequence[str], allowed: AllowList) -> str:
    """The address to connect to, if every address of the host is acceptable."""
    host = host_of(parsed)
    if not addresses:
        raise RefusedDestination(f"webhookUrl host {host} has no address")
    if normal_name(host) in allowed.names:
        return addresses[0]
    for text in addresses:
        address = ipaddress.ip_address(text.split("%", 1)[0])
        if allowed.allows_address(address):
            continue
        reason = refusal(address)
        if reason is not None:
            raise RefusedDestination(
                f"webhookUrl host {host} resolves to {address}, {reason}; "
                "webhooks go to public addresses only unless PARLEY_WEBHOOK_ALLOWED_NETWORKS "
                "allows it"
            )
    return addresses[0]


async def vet(url: str, allowed: AllowList) -> Destination:
    """Resolve and check a webhook URL; RefusedDestination says what is wrong with it.

    A name with any refused address is refused as a whole: which one the connection
    would pick is not ours to predict, and a name that mixes public and internal
    addresses is how rebinding attacks start.
    """
    parsed = parse(url)
    host = host_of(parsed)
    try:
        addresses = await anyio.to_thread.run_sync(
            resolve, host, port_of(parsed), abandon_on_cancel=True
        )
    except (OSError, UnicodeError) as error:
        message = f"webhookUrl host {host} could not be resolved: {error}"
        raise RefusedDestination(message) from error
    return Destination(parsed, judge(parsed, addresses, allowed))
