"""Networks and host names an operator allows (``PARLEY_WEBHOOK_ALLOWED_NETWORKS``):
parsed when the settings load, so a bad entry stops the server starting, and read by the
webhook address policy (jobs/destinations.py)."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from functools import lru_cache

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def normal_name(host: str) -> str:
    return host.lower().rstrip(".")


@dataclass(frozen=True)
class AllowList:
    """Networks and host names an operator allows despite the policy
    (``PARLEY_WEBHOOK_ALLOWED_NETWORKS``)."""

    networks: tuple[Network, ...] = ()
    names: frozenset[str] = frozenset()

    @classmethod
    def parse(cls, text: str) -> AllowList:
        networks: list[Network] = []
        names: set[str] = set()
        for raw in text.split(","):
            entry = raw.strip()
            if not entry:
                continue
            try:
                networks.append(ipaddress.ip_network(entry, strict=False))
                continue
            except ValueError:
                pass
            name = normal_name(entry)
            if not name or any(c in name for c in "/:@ []") or name.strip(".") != name:
                raise ValueError(f"{entry!r} is neither a CIDR network nor a host name")
            names.add(name)
        return cls(tuple(networks), frozenset(names))

    def allows_address(self, address: Address) -> bool:
        return any(address in network for network in self.networks)


@lru_cache(maxsize=16)
def allow_list(text: str) -> AllowList:
    return AllowList.parse(text)
