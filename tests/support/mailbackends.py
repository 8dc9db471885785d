"""A mail backend that fails on cue: ``FlakyBackend.script`` is consumed one entry per
message (an exception instance to raise, or None to deliver into ``mail.outbox``)."""

from __future__ import annotations

import threading

from django.core.mail.backends.locmem import EmailBackend as LocmemBackend


class FlakyBackend(LocmemBackend):
    script: list[BaseException | None] = []
    attempts = 0
    lock = threading.Lock()

    @classmethod
    def reset(cls, script: list[BaseException | None] | None = None) -> None:
        cls.script = list(script or [])
        cls.attempts = 0

    def send_messages(self, messages):
        for _ in messages:
            with self.lock:
                type(self).attempts += 1
                outcome = self.script.pop(0) if self.script else None
            if outcome is not None:
                raise outcome
        return super().send_messages(messages)
