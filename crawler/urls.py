"""URLs: whether a link can be fetched, and one canonical spelling per article URL.

``check_url`` is the one home of both answers: the canonical URL, or ``InvalidURL`` saying why
the link cannot be fetched. A feed, a sitemap or a page may hold any string where a link
belongs; none of these functions lets one odd link raise into the code that lists the others
(``normalize_url`` and ``url_host`` never raise, ``url_problem`` and ``resolve`` neither).

What is refused, after WHATWG's clean-up (tabs and newlines removed, leading and trailing
spaces and control characters stripped): anything but an absolute http(s) URL (``javascript:``,
``mailto:``, ``data:``, relative links not yet resolved), no host, a space, control character or
delimiter in the host, an unclosed bracket or text after it, a bracketed host that is not an
IPv6 address (IPvFuture, zone ids), an unbracketed IPv6 address, a host that ends in a number
but is no IPv4 address, a port that is not a number from 1 to 65535, and URLs longer than
Scrapy's ``URLLENGTH_LIMIT`` (which would otherwise drop their request without a word).
"""

from __future__ import annotations

import ipaddress
import re
import socket
from functools import lru_cache
from urllib.parse import unquote, urljoin, urlsplit

from w3lib.url import canonicalize_url, safe_url_string

from crawler.errors import InvalidURL

# Query parameters that identify a click, not a document.
TRACKING_PARAMS = frozenset(
    {
        "fbclid",
        "gclid",
        "dclid",
        "gbraid",
        "wbraid",
        "msclkid",
        "yclid",
        "twclid",
        "igshid",
        "mc_cid",
        "mc_eid",
        "_ga",
        "_gl",
        "_hsenc",
        "_hsmi",
        "mkt_tok",
        "ocid",
        "cmpid",
        "smid",
        "ito",
        "taid",
        "guccounter",
    }
)
TRACKING_PREFIXES = ("utm_", "__twitter", "ns_")
DEFAULT_PORTS = {"http": 80, "https": 443}
MAX_URL_LENGTH = 2083  # Scrapy's URLLENGTH_LIMIT (crawler/settings.py sets it from here)

_TAB_OR_NEWLINE = re.compile("[\t\n\r]")
_C0_OR_SPACE = "".join(map(chr, range(0x21)))
_SCHEME = re.compile(r"([a-zA-Z][a-zA-Z0-9+.-]*):")
_AUTHORITY_END = re.compile(r"[/\\?#]")
_ABSOLUTE = re.compile(r"[a-zA-Z][a-zA-Z0-9+.-]*:[/\\]{2}")
# WHATWG's forbidden domain code points: spaces, controls and the delimiters no host holds.
_FORBIDDEN_HOST = re.compile(r"[\x00-\x20\x7f#%/:<>?@\[\\\]^|]")
_IPV4_PART = re.compile(r"0[xX][0-9a-fA-F]*|[0-9]+")


def _is_tracking(name: str) -> bool:
    lowered = unquote(name).lower()
    return lowered in TRACKING_PARAMS or lowered.startswith(TRACKING_PREFIXES)


def _clean(url: str) -> str:
    """WHATWG's first steps: tabs and newlines removed, C0 controls and spaces stripped at the ends."""
    return _TAB_OR_NEWLINE.sub("", url).strip(_C0_OR_SPACE)


def _host(host: str) -> str:
    """A host between ``//`` and the port: lower case, IDNA-encoded, IPv4 in dotted form; or InvalidURL."""
    if host.startswith("["):
        return _ipv6_host(host)
    if not host:
        raise InvalidURL("no host")
    try:
        host = host.lower() if host.isascii() else host.encode("idna").decode("ascii").lower()
    except UnicodeError:
        raise InvalidURL("host is not a valid domain name") from None
    if forbidden := _FORBIDDEN_HOST.search(host):  # after IDNA, which maps U+3000 to a space
        raise InvalidURL(f"{forbidden.group()!r} in host")
    host = host.rstrip(".")
    if not host:
        raise InvalidURL("no host")
    labels = host.split(".")
    if _IPV4_PART.fullmatch(labels[-1]):  # WHATWG: a host that ends in a number is an IPv4 address
        try:
            if not all(_IPV4_PART.fullmatch(label) for label in labels):
                raise OSError
            return socket.inet_ntoa(socket.inet_aton(host))  # 0x7f.1 and 2130706433 are 127.0.0.1
        except OSError:
            raise InvalidURL(f"host {host!r} ends in a number but is not an IPv4 address") from None
    return host


def _ipv6_host(host: str) -> str:
    inside = host[1:-1]
    if "%" in inside:
        raise InvalidURL("IPv6 zone ids are not fetched")
    try:
        return f"[{ipaddress.IPv6Address(inside).compressed}]"
    except ValueError:
        raise InvalidURL(f"{host!r} is not an IPv6 address") from None


def _split_host_port(hostport: str) -> tuple[str, str]:
    """The host (brackets kept) and the port text of ``host[:port]``; InvalidURL when they are malformed."""
    if hostport.startswith("["):
        close = hostport.find("]")
        if close < 0:
            raise InvalidURL("unclosed bracket in host")
        host, after = hostport[: close + 1], hostport[close + 1 :]
        if after and not after.startswith(":"):
            raise InvalidURL(f"{after!r} after the IPv6 address")
        return host, after[1:]
    host, colon, port = hostport.partition(":")
    if ":" in port:
        raise InvalidURL("unbracketed IPv6 address or stray ':' in host")
    if colon and "]" in host:
        raise InvalidURL("']' in host")
    return host, port


def _port(text: str, scheme: str) -> str:
    """``:port`` for the netloc ('' for none or the default); InvalidURL when not 1 to 65535."""
    if not text:
        return ""
    if not (text.isascii() and text.isdigit()):
        raise InvalidURL(f"port {text!r} is not a number")
    port = int(text)
    if not 0 < port <= 65535:
        raise InvalidURL(f"port {port} out of range (1 to 65535)")
    return "" if port == DEFAULT_PORTS[scheme] else f":{port}"


def _drop_tracking(url: str) -> str:
    """``url`` without its tracking parameters (the others as written: no re-encoding)."""
    base, mark, query = url.partition("?")
    if not mark or not query:
        return base
    pairs = [p for p in query.split("&") if p and not _is_tracking(p.partition("=")[0])]
    return f"{base}?{'&'.join(pairs)}" if pairs else base


@lru_cache(maxsize=65536)
def _canonical(url: str) -> tuple[str | None, str | None]:
    """(canonical URL, None), or (None, why the link cannot be fetched)."""
    text = _clean(url)
    try:
        if not text:
            raise InvalidURL("empty link")
        if len(text) > MAX_URL_LENGTH:
            raise InvalidURL(f"longer than {MAX_URL_LENGTH} characters")
        scheme = _SCHEME.match(text)
        if scheme is None:
            raise InvalidURL("not an absolute URL")
        name = scheme.group(1).lower()
        if name not in DEFAULT_PORTS:
            raise InvalidURL(f"not an http(s) link ({name}:)")
        rest = text[scheme.end() :]
        if rest[:2] not in ("//", "\\\\", "/\\", "\\/"):
            raise InvalidURL("no host")
        end = _AUTHORITY_END.search(rest, 2)
        authority, tail = (rest[2 : end.start()], rest[end.start() :]) if end else (rest[2:], "")
        userinfo, at, hostport = authority.rpartition("@")
        host, port = _split_host_port(hostport)
        netloc = _host(host) + _port(port, name)
        username = userinfo.partition(":")[0]
        if at and username:
            netloc = f"{username}@{netloc}"
        safe = safe_url_string(f"{name}://{netloc}{tail or '/'}")
        canonical = canonicalize_url(_drop_tracking(safe))
        if len(canonical) > MAX_URL_LENGTH:
            raise InvalidURL(f"longer than {MAX_URL_LENGTH} characters once percent-encoded")
        return canonical, None
    except InvalidURL as error:
        return None, str(error)
    except ValueError as error:  # w3lib or urllib on what the checks above let through
        return None, f"malformed URL: {error}"


def check_url(url: str) -> str:
    """The canonical spelling of an http(s) URL; InvalidURL saying why when it cannot be fetched.

    Scheme and host lower case (IDNA-encoded, IPv6 compressed in brackets, IPv4 dotted), default
    port and fragment dropped, tracking parameters removed, the rest percent-encoded and sorted by
    w3lib.
    """
    canonical, problem = _canonical(url)
    if canonical is None:
        raise InvalidURL(problem)
    return canonical


def normalize_url(url: str) -> str:
    """``check_url``'s answer, or for a link that cannot be fetched the link as cleaned (never raises)."""
    canonical, _ = _canonical(url)
    return canonical if canonical is not None else _clean(url)


def url_problem(url: str) -> str | None:
    """Why ``url`` cannot be fetched, or None when it can."""
    return _canonical(url)[1]


def is_http_url(url: str) -> bool:
    """True for an absolute http or https URL that can be fetched."""
    return isinstance(url, str) and _canonical(url)[0] is not None


def resolve(base: str, href: str) -> str:
    """``href`` resolved against the listing's URL ``base``; ``href`` as it is when it cannot be.

    As browsers do, ``/a``, ``a``, ``//host/a`` and ``http:/a`` (the listing's own scheme) are
    relative; ``scheme://...`` is absolute even with no host (urljoin would give ``base`` for
    ``http://``), and so left for ``check_url`` to refuse.
    """
    cleaned = _clean(href)
    if _ABSOLUTE.match(cleaned):
        return cleaned
    try:
        return urljoin(base, cleaned)
    except ValueError:  # an unclosed bracket, and the like: check_url says why
        return cleaned


def url_host(url: str) -> str:
    """The host of a URL as the egress guard and the per-host limits compare it: lower case, no port,
    no brackets, no trailing dot; '' when there is none."""
    try:
        return (urlsplit(url).hostname or "").lower().rstrip(".")
    except ValueError:
        return ""


def redact_url(url: str) -> str:
    """A URL fit to show people: scheme and host only, the path and query (where tokens live) cut.

    ``https://hooks.example.org/T0/B0/secret?key=1`` gives ``https://hooks.example.org/…``.
    """
    try:
        parts = urlsplit(url)
    except ValueError:
        return "…"
    if parts.scheme not in ("http", "https"):
        return f"{parts.scheme}://…"  # an Apprise URL's "host" is often a token itself
    try:
        port = parts.port
    except ValueError:
        port = None
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    base = f"{parts.scheme}://{host}" + (f":{port}" if port else "")
    return base + ("/…" if parts.path.strip("/") or parts.query or parts.fragment or parts.username else "")
