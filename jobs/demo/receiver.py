"""A webhook receiver on 127.0.0.1, for the tests and benchmarks: what it was sent, and when."""

from __future__ import annotations

import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Receiver:
    """A webhook endpoint that fails its first ``fail_first`` posts with a 500 and answers each post
    ``delay`` seconds after reading it; ``posts`` (headers, body) and ``times`` (monotonic) keep the
    delivered ones."""

    def __init__(self, fail_first: int = 0, delay: float = 0.0) -> None:
        self.posts: list[tuple[dict[str, str], bytes]] = []
        self.times: list[float] = []
        self.fail_first = fail_first
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server's name)
                body = self.rfile.read(int(self.headers["Content-Length"]))
                time.sleep(delay)
                failing = receiver.fail_first > 0
                receiver.fail_first -= 1
                if not failing:
                    receiver.posts.append((dict(self.headers), body))
                    receiver.times.append(time.monotonic())
                self.send_response(500 if failing else 200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/hook"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self) -> None:
        """Stop serving and close the socket."""
        self.httpd.shutdown()
        self.httpd.server_close()
