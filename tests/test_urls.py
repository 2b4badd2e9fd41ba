"""URLs: what can be fetched, each refusal's reason, and one canonical spelling that never raises."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crawler.errors import InvalidURL
from crawler.urls import check_url, normalize_url, resolve, url_host, url_problem

CANONICAL = [
    ("http://EXAMPLE.org./a?utm_source=x&b=1#top", "http://example.org/a?b=1"),
    ("HTTPS://Example.org:443/b?fbclid=1", "https://example.org/b"),
    ("  http://example.org/x\n", "http://example.org/x"),
    ("http://exa\tmple.org/", "http://example.org/"),
    ("https://user:secret@example.org/a", "https://user@example.org/a"),
    ("http://münchen.de/a", "http://xn--mnchen-3ya.de/a"),
    ("http://example.org/search?tags[]=a", "http://example.org/search?tags%5B%5D=a"),
    ("http://example.org/%7euser?q=%zz", "http://example.org/~user?q=%25zz"),
    ("http://[2001:DB8:0::1]:80/story", "http://[2001:db8::1]/story"),
    ("http://[::1]:8080/a", "http://[::1]:8080/a"),
    ("http://[::ffff:10.0.0.1]/", "http://[::ffff:a00:1]/"),
    ("http://0x7f.1/", "http://127.0.0.1/"),  # as browsers and inet_aton read it
    ("http://2130706433/", "http://127.0.0.1/"),
    ("http:\\\\example.org\\x", "http://example.org/x"),
    ("http://example.org:/x", "http://example.org/x"),
]

REFUSED = [
    ("http://example.org:99999/x", "port 99999 out of range (1 to 65535)"),
    ("http://example.org:0/x", "port 0 out of range (1 to 65535)"),
    ("http://example.org:abc/x", "port 'abc' is not a number"),
    ("http://example.org:80_80/", "port '80_80' is not a number"),
    ("http://example.org:８０/", "port '８０' is not a number"),
    ("http://[::1/x", "unclosed bracket in host"),
    ("http://example.org]/", "']' in host"),
    ("http://good.example[evil.example]/", "'[' in host"),
    ("http://[::1]evil.example:1/", "'evil.example:1' after the IPv6 address"),
    ("http://[v1.fe]/", "'[v1.fe]' is not an IPv6 address"),
    ("http://[fe80::1%25eth0]/", "IPv6 zone ids are not fetched"),
    ("http://::1/", "unbracketed IPv6 address or stray ':' in host"),
    ("http://exa mple.org/", "' ' in host"),
    ("http://\u3000/", "' ' in host"),  # IDNA maps an ideographic space to a space
    ("http://exa\x00mple.org/", "'\\x00' in host"),
    ("http://", "no host"),
    ("http:/example.org/x", "no host"),
    ("http:@localhost", "no host"),
    ("http://1.2.3.999/", "host '1.2.3.999' ends in a number but is not an IPv4 address"),
    ("javascript:alert(1)", "not an http(s) link (javascript:)"),
    ("mailto:desk@example.org", "not an http(s) link (mailto:)"),
    ("data:text/html,hi", "not an http(s) link (data:)"),
    ("ftp://example.org/f", "not an http(s) link (ftp:)"),
    ("//example.org/a", "not an absolute URL"),
    ("/news/a", "not an absolute URL"),
    ("", "empty link"),
    ("http://example.org/" + "x" * 2100, "longer than 2083 characters"),
    ("http://example.org/" + "é" * 700, "longer than 2083 characters once percent-encoded"),
]


@pytest.mark.parametrize("url,canonical", CANONICAL)
def test_urls_are_spelled_one_way(url, canonical):
    assert check_url(url) == canonical
    assert normalize_url(url) == canonical and url_problem(url) is None


@pytest.mark.parametrize("url,reason", REFUSED)
def test_links_that_cannot_be_fetched_say_why(url, reason):
    assert url_problem(url) == reason
    with pytest.raises(InvalidURL) as raised:
        check_url(url)
    assert str(raised.value) == reason
    assert normalize_url(url) == url.strip()  # kept as written, never raised on


def test_links_resolve_against_the_listing_as_browsers_do():
    base = "http://news.example/feeds/rss.xml"
    assert resolve(base, "/a") == "http://news.example/a"
    assert resolve(base, "b") == "http://news.example/feeds/b"
    assert resolve(base, "//cdn.example/c") == "http://cdn.example/c"
    assert resolve(base, "http:/d") == "http://news.example/d"  # the listing's own scheme: relative
    assert resolve(base, "http://") == "http://"  # absolute with no host: refused, not the listing
    assert resolve(base, "http://[::1/x") == "http://[::1/x"  # urljoin raises: kept as written


def test_hosts_compare_without_brackets_ports_or_trailing_dots():
    assert url_host("http://News.Example.:8080/a") == "news.example"
    assert url_host("http://[::1]:8080/a") == "::1"
    assert url_host("http://[::1/x") == "" and url_host("not a url") == ""


_PIECES = st.sampled_from(
    ["http://", "https://", "HTTP://", "//", "http:", "[", "]", ":", "@", "/", "?", "#", "%", "%zz", "%2F",
     "&", "=", "utm_source=x", "::1", "[::1]", "[::ffff:10.0.0.1]", "example.org", "xn--", "é", "\\", ".",
     "..", "0x7f", "80", "99999", "\t", " ", "\x00", "\u3000", "\ufeff", "ﬀ", "İ", "ß", "\u200b", "０"]
)  # fmt: skip


@st.composite
def _links(draw: st.DrawFn) -> str:
    """Strings shaped like links: URL pieces and odd characters, in any order."""
    parts = draw(st.lists(st.one_of(_PIECES, st.text(st.characters(codec="utf-8"), max_size=4)), max_size=14))
    return "".join(parts)


@settings(max_examples=3000, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(st.one_of(_links(), st.text()))
def test_normalize_url_never_raises_and_is_idempotent(link):
    canonical = normalize_url(link)
    assert normalize_url(canonical) == canonical
    if url_problem(link) is None:
        assert check_url(canonical) == canonical
        assert url_problem(canonical) is None
