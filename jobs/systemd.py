"""systemd integration in pure Python: sd_notify messages over $NOTIFY_SOCKET."""

from __future__ import annotations

import os
import socket


class Notifier:
    """Sends READY=1, WATCHDOG=1, STATUS=… and STOPPING=1 to systemd; does nothing outside it."""

    def __init__(self, environ: dict[str, str] | None = None) -> None:
        environ = dict(os.environ if environ is None else environ)
        address = environ.get("NOTIFY_SOCKET", "")
        if address.startswith("@"):  # an abstract socket
            address = "\0" + address[1:]
        self.address = address or None
        usec = environ.get("WATCHDOG_USEC", "")
        pid = environ.get("WATCHDOG_PID", "")
        mine = not pid or pid == str(os.getpid())
        self.watchdog_interval = int(usec) / 2_000_000 if usec.isdigit() and mine and int(usec) else None

    def notify(self, *messages: str) -> None:
        """Send ``messages`` (``KEY=value`` lines) in one datagram."""
        if self.address is None:
            return
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
            # Never block the event loop on a listener that does not read: drop the message.
            sock.setblocking(False)
            try:
                sock.connect(self.address)
                sock.send("\n".join(messages).encode())
            except OSError:
                pass  # systemd went away, or its queue is full: nothing more to tell

    def ready(self, status: str) -> None:
        self.notify("READY=1", f"STATUS={status}")

    def status(self, status: str) -> None:
        self.notify(f"STATUS={status}")

    def watchdog(self) -> None:
        self.notify("WATCHDOG=1")

    def stopping(self) -> None:
        self.notify("STOPPING=1", "STATUS=stopping")
