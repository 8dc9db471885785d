"""A real SMTP server in the test process (aiosmtpd), with scripted faults.

``faults`` is a list consumed one per delivery attempt: "421" refuses at MAIL FROM (the
server is shutting the session), "451" refuses the message at DATA (try again later),
"550" refuses it for good, "slow" sits on the DATA reply longer than EMAIL_TIMEOUT and
then refuses, None accepts. When the list is empty every message is accepted.
"""

from __future__ import annotations

import email
import email.policy
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from aiosmtpd.controller import Controller


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Handler:
    faults: list[str | None] = field(default_factory=list)
    received: list[email.message.EmailMessage] = field(default_factory=list)
    attempts: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def _next_fault(self) -> str | None:
        with self.lock:
            self.attempts += 1
            return self.faults.pop(0) if self.faults else None

    async def handle_MAIL(self, server, session, envelope, address, mail_options):
        fault = self._next_fault()
        session.fault = fault
        if fault == "421":
            return "421 4.3.2 Service shutting down, try again later"
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        fault = getattr(session, "fault", None)
        if fault == "451":
            return "451 4.3.0 Temporary failure, try again later"
        if fault == "550":
            return "550 5.7.1 Message refused"
        if fault == "slow":
            time.sleep(1.5)  # the client gives up first (EMAIL_TIMEOUT=1); refuse anyway
            return "451 4.4.2 Timeout"
        msg = email.message_from_bytes(envelope.original_content, policy=email.policy.default)
        with self.lock:
            self.received.append(msg)
        return "250 Message accepted for delivery"


@dataclass
class SmtpServer:
    host: str
    port: int
    handler: Handler
    controller: Controller

    @property
    def received(self) -> list[email.message.EmailMessage]:
        with self.handler.lock:
            return list(self.handler.received)

    def wait_for(self, n: int, timeout: float = 30) -> list[email.message.EmailMessage]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if len(self.received) >= n:
                return self.received
            time.sleep(0.05)
        raise AssertionError(f"expected {n} messages within {timeout}s, got {len(self.received)}")

    def stop(self) -> None:
        self.controller.stop()

    def start(self) -> None:
        self.controller = Controller(self.handler, hostname=self.host, port=self.port)
        self.controller.start()


@contextmanager
def smtp_server(faults: list[str | None] | None = None) -> Iterator[SmtpServer]:
    handler = Handler(faults=list(faults or []))
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    server = SmtpServer("127.0.0.1", port, handler, controller)
    try:
        yield server
    finally:
        try:
            server.controller.stop()
        except (AssertionError, RuntimeError):  # already stopped by the test
            pass


def smtp_settings(settings, server: SmtpServer) -> None:
    """Point Django's SMTP backend at the test server."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = server.host
    settings.EMAIL_PORT = server.port
    settings.EMAIL_HOST_USER = ""
    settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_USE_SSL = False
    settings.EMAIL_TIMEOUT = 1
