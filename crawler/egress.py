"""Egress: what a crawl may connect to. A feed must not aim the fetcher where the operator did not.

The operator chooses the sources; everything else a crawl fetches (item links, redirects,
sitemap entries, robots.txt ``Sitemap:`` lines, what ``discover`` finds) is chosen by whoever
writes those sources. A connection to a loopback, private, link-local (the cloud metadata
service), carrier-grade NAT, multicast, reserved or unspecified address is refused unless its
host is one the operator named: a source's host, a ``fetch.allow_hosts`` entry, or any such
address with ``fetch.allow_private: true``.

Two Scrapy layers hold the rule, as its docs suggest: ``GuardedResolver`` (the
``TWISTED_DNS_RESOLVER``, Scrapy's caching IPv4 and IPv6 resolver) checks every address each
name resolves to, every time, and passes on only the allowed ones, so that the address connected
to is an address checked (neither a DNS answer nor a redirect can smuggle a private address in);
``EgressMiddleware`` refuses IP-literal URLs (``127.0.0.2``, ``[::1]``, ``[::ffff:10.0.0.1]``)
before any connection, on every request and every redirect hop, and turns the resolver's
refusals into ``RefusedRequest`` with a message people can read.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from scrapy.exceptions import CannotResolveHostError, IgnoreRequest
from scrapy.resolver import CachingHostnameResolver
from twisted.internet.error import DNSLookupError
from twisted.internet.interfaces import IHostnameResolver, IResolutionReceiver
from zope.interface import implementer, provider

from crawler.errors import FetchError
from crawler.urls import url_host

if TYPE_CHECKING:
    from scrapy import Request
    from scrapy.crawler import Crawler

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
_CGNAT = ipaddress.ip_network("100.64.0.0/10")


def non_public(address: Address) -> bool:
    """True for an address no public web site has: loopback, private, link-local, CGNAT, and the like."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped  # ::ffff:127.0.0.1 is 127.0.0.1
    return (
        address.is_loopback
        or address.is_private
        or address.is_link_local
        or address.is_multicast
        or address.is_reserved
        or address.is_unspecified
        or address in _CGNAT
        or not address.is_global
    )


def ip_literal(host: str) -> Address | None:
    """The address a URL's host spells out (``127.0.0.2``, ``[::1]``), or None for a name."""
    try:
        return ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return None


class RefusedRequest(FetchError, IgnoreRequest):
    """A request to a private address the operator did not name: never sent, never retried."""


@dataclass(frozen=True)
class EgressPolicy:
    """Which non-public addresses a crawl may reach: those of named hosts, or all of them."""

    hosts: frozenset[str] = frozenset()  # lower-case host names and IP literals
    networks: tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...] = ()
    allow_private: bool = False

    @classmethod
    def of(cls, urls: Iterable[str], allow: Iterable[str] = (), allow_private: bool = False) -> EgressPolicy:
        """The policy naming the hosts of ``urls`` and the ``allow`` entries (hosts or CIDR networks)."""
        hosts = {url_host(u) for u in urls}
        networks = []
        for entry in allow:
            try:
                networks.append(ipaddress.ip_network(entry.strip("[]"), strict=False))
            except ValueError:
                hosts.add(entry.lower().rstrip("."))
        return cls(frozenset(h for h in hosts if h), tuple(networks), allow_private)

    @classmethod
    def for_sources(cls, sources: Iterable[Any], fetch: Any) -> EgressPolicy:
        """The policy of a crawl: the configured sources' hosts and ``fetch.allow_hosts`` are named."""
        return cls.of([s.url for s in sources], fetch.allow_hosts, fetch.allow_private)

    def refusal(self, host: str, address: str | Address) -> str | None:
        """Why connecting to ``address`` for ``host`` is refused, or None when it is allowed."""
        if self.allow_private:
            return None
        ip = ipaddress.ip_address(address) if isinstance(address, str) else address
        if not non_public(ip) or host.lower().rstrip(".") in self.hosts:
            return None
        if any(ip in network for network in self.networks if network.version == ip.version):
            return None
        if ip_literal(host) == ip:
            return f"refused: {ip} is a private address not named in config"
        return f"refused: {host} resolves to {ip}, a private address not named in config"


@implementer(IHostnameResolver)
class GuardedResolver(CachingHostnameResolver):
    """Scrapy's caching IPv4 and IPv6 resolver, passing on only the addresses the policy allows.

    Every answer is checked, cached or not. A name all of whose addresses are refused resolves
    to none; its refusal is kept by name for ``EgressMiddleware``, since Twisted reports that as
    a bare "no results".
    """

    def __init__(self, reactor: Any, cache_size: int, policy: EgressPolicy) -> None:
        super().__init__(reactor, cache_size)
        if isinstance(self.original_resolver, GuardedResolver):  # installed again (a daemon's reload)
            self.original_resolver = self.original_resolver.original_resolver
        self.policy = policy
        self.refusals: dict[str, str] = {}

    @classmethod
    def from_crawler(cls, crawler: Crawler, reactor: Any) -> GuardedResolver:
        """From a crawler's settings, or a runner's: the daemon builds it from its own runner."""
        settings = crawler.settings
        cache_size = settings.getint("DNSCACHE_SIZE") if settings.getbool("DNSCACHE_ENABLED") else 0
        return cls(reactor, cache_size, settings.get("TRADEWATCH_EGRESS") or EgressPolicy())

    def resolveHostName(  # noqa: N802 (Twisted's name)
        self,
        resolutionReceiver: Any,  # noqa: N803
        hostName: str,  # noqa: N803
        portNumber: int = 0,  # noqa: N803
        addressTypes: Any = None,  # noqa: N803
        transportSemantics: str = "TCP",  # noqa: N803
    ) -> Any:
        guarded = _GuardedReceiver(self, resolutionReceiver, hostName)
        return super().resolveHostName(guarded, hostName, portNumber, addressTypes, transportSemantics)


@provider(IResolutionReceiver)
class _GuardedReceiver:
    """Passes a resolution on to ``receiver`` without the addresses the policy refuses."""

    def __init__(self, resolver: GuardedResolver, receiver: Any, name: str) -> None:
        self.resolver, self.receiver, self.name = resolver, receiver, name
        self.allowed = 0
        self.refusal: str | None = None

    def resolutionBegan(self, resolution: Any) -> None:  # noqa: N802 (Twisted's names)
        self.receiver.resolutionBegan(resolution)

    def addressResolved(self, address: Any) -> None:  # noqa: N802
        refusal = self.resolver.policy.refusal(self.name, address.host)
        if refusal is None:
            self.allowed += 1
            self.receiver.addressResolved(address)
        else:
            self.refusal = self.refusal or refusal

    def resolutionComplete(self) -> None:  # noqa: N802
        name = self.name.lower().rstrip(".")
        if self.allowed or self.refusal is None:
            self.resolver.refusals.pop(name, None)  # allowed now (a reload may name it)
        else:
            self.resolver.refusals[name] = self.refusal
        self.receiver.resolutionComplete()


def installed_resolver() -> GuardedResolver:
    """The reactor's GuardedResolver; RuntimeError when another resolver is installed (fail closed)."""
    from twisted.internet import reactor

    resolver = getattr(reactor, "nameResolver", None)
    if not isinstance(resolver, GuardedResolver):
        raise RuntimeError("tradewatch's GuardedResolver is not the reactor's resolver: refusing to crawl")
    return resolver


class EgressMiddleware:
    """Refuses requests (first ones and redirect hops) to private addresses the operator did not name."""

    def __init__(self, resolver: GuardedResolver) -> None:
        self.resolver = resolver

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> EgressMiddleware:
        return cls(installed_resolver())

    def process_request(self, request: Request) -> None:
        host = url_host(request.url)
        address = ip_literal(host)
        if address is not None and (refusal := self.resolver.policy.refusal(host, address)):
            raise RefusedRequest(refusal)

    def process_exception(self, request: Request, exception: Exception) -> None:
        # Scrapy 2.19's handlers wrap Twisted's DNSLookupError in CannotResolveHostError.
        if isinstance(exception, DNSLookupError | CannotResolveHostError):
            refusal = self.resolver.refusals.get(url_host(request.url))
            if refusal is not None:
                raise RefusedRequest(refusal)
