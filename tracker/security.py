"""Hardened defaults that need code, not just settings: the login throttle's backend and
client address, and the request-size cap that runs before anything parses a body."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from axes.backends import AxesStandaloneBackend
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.template.loader import render_to_string


class LoginThrottleBackend(AxesStandaloneBackend):
    """django-axes' lockout check, for every login that comes with a request.

    Every login over the web (our login page, the admin's, password reset's auto-login is
    off) passes ``request`` to ``authenticate`` and is throttled. A call without a request
    cannot come from a browser: a management command, the shell or the test client's
    ``login()``. django-axes refuses those with an exception; here they are left to the
    next backend, which checks the password as usual."""

    def authenticate(
        self,
        request: HttpRequest | None,
        username: str | None = None,
        password: str | None = None,
        **kwargs: Any,
    ) -> None:
        if request is None:
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)


def client_ip(request: HttpRequest) -> str | None:
    """The address a login attempt is counted against.

    Directly exposed: the socket's address. Behind TRUSTED_PROXY_COUNT proxies that each
    append to X-Forwarded-For: the entry the outermost trusted proxy wrote, never one the
    client could have written itself (the left-most entries are the client's to choose)."""
    remote = request.META.get("REMOTE_ADDR")
    count = getattr(settings, "TRUSTED_PROXY_COUNT", 0)
    if count <= 0:
        return remote
    chain = [
        a.strip() for a in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if a.strip()
    ]
    if len(chain) < count:
        return remote
    return chain[-count]


class RequestSizeLimitMiddleware:
    """Refuses a request whose declared body is larger than REQUEST_MAX_BYTES with 413,
    before the CSRF check, the upload handlers or a view read a byte of it.

    Django reads no more than Content-Length from the WSGI input, and a request without
    one has an empty body for Django, so the declared length is the whole story here; the
    proxy in front (nginx ``client_max_body_size``) should refuse the same size earlier."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        limit = settings.REQUEST_MAX_BYTES
        if length > limit:
            return self.too_large(request, length, limit)
        return self.get_response(request)

    @staticmethod
    def too_large(request: HttpRequest, length: int, limit: int) -> HttpResponse:
        context = {
            "limit_mb": f"{limit / 1024 / 1024:.1f}",
            "size_mb": f"{length / 1024 / 1024:.1f}",
        }
        htmx = request.headers.get("HX-Request") == "true"
        template = "413_partial.html" if htmx else "413.html"
        response = HttpResponse(render_to_string(template, context, request=None), status=413)
        if htmx:
            # the update form posts with htmx: show the message above the page, keep the form
            response["HX-Retarget"] = "#messages"
            response["HX-Reswap"] = "innerHTML"
        # the client may still be sending; do not keep the connection for the rest of it
        response["Connection"] = "close"
        return response
