"""A small local web site served from memory, with ETag/Last-Modified and redirects.

It serves ``tradewatch demo`` and is the local server of the tests and benchmarks:
real HTTP on 127.0.0.1, no network beyond this machine.
"""

from __future__ import annotations

import contextlib
import hashlib
import socket
import threading
import time
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit


@dataclass
class Resource:
    """One response: body and type, or a redirect ``location``, with any status and headers."""

    body: bytes = b""
    content_type: str = "text/html; charset=utf-8"
    status: int = 200
    location: str | None = None
    headers: Mapping[str, str] = field(default_factory=dict)
    validators: bool = True  # send ETag and Last-Modified and honour conditional requests
    delay: float = 0.0  # seconds to wait before answering (a slow or hung server)

    @property
    def etag(self) -> str:
        return '"' + hashlib.sha1(self.body).hexdigest()[:16] + '"'


LAST_MODIFIED = formatdate(1_700_000_000, usegmt=True)


class _Server(ThreadingHTTPServer):
    request_queue_size = 128


class _Server6(_Server):
    address_family = socket.AF_INET6


class SiteServer:
    """Serves ``resources`` (path with query -> Resource) on 127.0.0.1 (or ``host``, ``::1`` too) in a
    background thread.

    ``sequences`` (path -> Resources) answer a path's first requests in turn, then ``resources``
    take over. The server counts requests in flight (``max_in_flight``: the most at once) and keeps
    each request's User-Agent and arrival time.
    """

    def __init__(
        self, resources: dict[str, Resource] | None = None, port: int = 0, host: str = "127.0.0.1"
    ) -> None:
        self.resources: dict[str, Resource] = dict(resources or {})
        self.sequences: dict[str, list[Resource]] = {}
        self.requests: Counter[str] = Counter()  # by path
        self.not_modified: Counter[str] = Counter()  # 304 answers, by path
        self.targets: list[str] = []  # every request's path and query, in order
        self.user_agents: list[str] = []
        self.times: list[float] = []  # monotonic arrival time of each request
        self.in_flight = 0
        self.max_in_flight = 0
        self.host = host
        self._lock = threading.Lock()
        site = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:  # noqa: N802 (http.server's name)
                site._serve(self)

            def log_message(self, format: str, *args: object) -> None:
                pass

        # A listen backlog of 128, not socketserver's 5: a crawl opens many connections at once, and
        # SYNs dropped past a full backlog are retried only a second later (a stall of the server's
        # making, not the crawler's).
        self.httpd = (_Server6 if ":" in host else _Server)((host, port), Handler)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    def start(self) -> SiteServer:
        """Start serving in a daemon thread."""
        self._thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and close the socket."""
        self.httpd.shutdown()
        self.httpd.server_close()

    def __enter__(self) -> SiteServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _serve(self, handler: BaseHTTPRequestHandler) -> None:
        with self._lock:
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            self._answer(handler)
        finally:
            with self._lock:
                self.in_flight -= 1

    def _answer(self, handler: BaseHTTPRequestHandler) -> None:
        parts = urlsplit(handler.path)
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        with self._lock:
            self.requests[parts.path] += 1
            self.targets.append(path)
            self.user_agents.append(handler.headers.get("User-Agent", ""))
            self.times.append(time.monotonic())
            queued = self.sequences.get(path) or self.sequences.get(parts.path)
            resource = queued.pop(0) if queued else None
        resource = resource or self.resources.get(path) or self.resources.get(parts.path)
        if resource is None:
            resource = Resource(b"<html><body>Not found</body></html>", status=404)
        if resource.delay:
            time.sleep(resource.delay)
        headers = dict(resource.headers)
        status, body = resource.status, resource.body
        if resource.location is not None:
            status = resource.status if resource.status in (301, 302, 303, 307, 308) else 302
            headers["Location"] = resource.location
            body = b""
        elif resource.validators and status == 200:
            headers["ETag"] = resource.etag
            headers["Last-Modified"] = LAST_MODIFIED
            if handler.headers.get("If-None-Match") == resource.etag or (
                "If-None-Match" not in handler.headers
                and handler.headers.get("If-Modified-Since") == LAST_MODIFIED
            ):
                status, body = 304, b""
                with self._lock:
                    self.not_modified[parts.path] += 1
        handler.send_response(status)
        if body or status == 200:
            headers.setdefault("Content-Type", resource.content_type)
        headers["Content-Length"] = str(len(body))
        for name, value in headers.items():
            handler.send_header(name, value)
        handler.end_headers()
        # The client may give up (a timeout or size limit): that is its right.
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            handler.wfile.write(body)
