"""Who may open which screen: view decorators built on the rules of ``commitments.access``.
Every view of the staff UI (the jobs' pages too) wears exactly one of the three families."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from django.conf import settings
from django.contrib.auth.models import AnonymousUser, User
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponseBase
from django.shortcuts import resolve_url
from django.utils.translation import gettext_lazy as _
from django_htmx.http import HttpResponseClientRedirect
from django_htmx.middleware import HtmxDetails

from commitments.access import can_instruct, can_read_everything, can_supervise, can_use_staff_ui

if TYPE_CHECKING:
    from django_stubs_ext import StrPromise


class HtmxHttpRequest(HttpRequest):
    """A request as the views see it: HtmxMiddleware has set ``request.htmx``
    (django-htmx's documented typing pattern; only for annotations)."""

    htmx: HtmxDetails


class AuthenticatedHttpRequest(HtmxHttpRequest):
    """A request that passed one of the role decorators below: the user is logged in."""

    user: User


def role_required(
    rule: Callable[[User | AnonymousUser], bool],
    refusal: str | StrPromise | None = None,
) -> Callable[[Callable[..., HttpResponseBase]], Callable[..., HttpResponseBase]]:
    """A view decorator from a rule of ``commitments.access``: anonymous users are sent to
    log in (an htmx request is told to send the whole page there), users the rule refuses
    get 403 before the view runs, so a refused write never reaches a form or a service."""

    def decorator(view: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
        @wraps(view)
        def wrapper(request: HtmxHttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
            if not request.user.is_authenticated:
                if request.htmx:
                    # A partial swap would put the login page inside the table; send the
                    # browser there instead (the session ran out while the page was open).
                    url = f"{resolve_url(settings.LOGIN_URL)}?next={quote(request.htmx.current_url_abs_path or '/')}"
                    return HttpResponseClientRedirect(url)
                return redirect_to_login(request.get_full_path())
            if not rule(request.user):
                raise PermissionDenied(refusal) if refusal else PermissionDenied
            return view(request, *args, **kwargs)

        return wrapper

    return decorator


# The families of screens. Every view of the staff UI wears exactly one of these.
staff_required = role_required(can_use_staff_ui, _("您没有使用督办台账的权限。"))  # any role
supervisor_required = role_required(can_supervise)  # the supervision office (督查室)
reader_required = role_required(can_read_everything)  # leaders and the supervision office
leader_required = role_required(can_instruct)  # leaders (领导批示)
