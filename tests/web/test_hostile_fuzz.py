"""Property: no URL answers 500 and no role changes what it may not touch, whatever is
posted or asked.

The URLconf is walked (``get_resolver()``, admin and i18n left out), so a new screen is
fuzzed the day it is added. For every URL and every role (anonymous, a logged-in person
with no role, reporter, another unit's reporter, manager, supervisor, leader, superuser)
hypothesis sends GET and POST requests whose path ids are real ids of every table or ids
that do not exist (0, 20 digits), and whose fields are a valid form filled in and then
spoiled: each form field and query parameter the code reads (found in the forms, the
filter and the views' own ``GET.get``/``POST.get``) may be dropped, repeated, or replaced
by non-ASCII digits, huge or negative numbers, NUL, very long or odd unicode text,
SQL/HTML/JS snippets, impossible dates. Exceptions are not swallowed: a 500 fails with
its traceback. Tables are compared before and after each request for the roles that may
not write them.

Each example runs in its own transaction (hypothesis.extra.django.TestCase), so examples
do not see each other's writes. Deterministic (``derandomize``); ``HOSTILE_EXAMPLES``
sets the examples per (URL, role) pair.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from django import forms as django_forms
from django.contrib.auth import get_user_model
from django.contrib.auth.forms import AuthenticationForm
from django.contrib.auth.models import User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db.models import Model
from django.test import Client, override_settings
from django.urls import URLPattern, URLResolver, get_resolver
from django.urls.converters import IntConverter
from django.urls.resolvers import RegexPattern, RoutePattern
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.extra.django import TestCase

import commitments
from commitments import clock
from commitments import forms as app_forms
from commitments.access import can_update
from commitments.filters import LedgerFilter
from commitments.jobs.models import Notification, Summary
from commitments.models import (
    Commitment,
    Department,
    Evidence,
    ExtensionRequest,
    Membership,
    Milestone,
    ProgressUpdate,
    Report,
    ReportImport,
    Target,
    TargetReading,
    UrgingNotice,
)
from commitments.services import workflow
from commitments.services.progress import update_review_return
from tests.support.webutil import Cast, make_cast, record

EXAMPLES = int(os.environ.get("HOSTILE_EXAMPLES", "2"))
# healthz answers 503 by design when a dependency is down (tests/tracker/test_health.py).
EXCLUDED_PREFIXES = ("admin/", "i18n/", "healthz")
ROLES = [
    "anonymous",
    "nobody",
    "reporter",
    "other_reporter",
    "manager",
    "supervisor",
    "leader",
    "superuser",
]


# -- the URLconf ------------------------------------------------------------------------------


def _walk(patterns, prefix: str = "") -> Iterator[tuple[str, URLPattern]]:
    for p in patterns:
        route = prefix + str(p.pattern)
        if isinstance(p, URLResolver):
            yield from _walk(p.url_patterns, route)
        else:
            yield route, p


def endpoints() -> list[tuple[str, URLPattern]]:
    return [
        (route, p)
        for route, p in _walk(get_resolver().url_patterns)
        if not route.startswith(EXCLUDED_PREFIXES)
    ]


ENDPOINTS = endpoints()
_ROUTE_PART = re.compile(r"<(?:(?P<conv>\w+):)?(?P<name>\w+)>")
_REGEX_GROUP = re.compile(r"\(\?P<(?P<name>\w+)>(?P<body>[^()]*)\)")


# Which table a route's id names, by the route's first segment. A new route with an id
# fails test_the_walk_finds_every_screen until it is added here.
ID_TABLES = {
    "extensions": ExtensionRequest,
    "urging": UrgingNotice,
    "imports": ReportImport,
    "c": Commitment,
    "milestones": Milestone,
    "evidence": Evidence,
    "review": ProgressUpdate,
    "summaries": Summary,
    "public": Report,
}


def id_table(route: str):
    return ID_TABLES.get(route.split("/", 1)[0])


def _path_strategy(
    route: str, pattern: URLPattern, ids: list[int], own: list[int]
) -> st.SearchStrategy[str]:
    """A concrete path for the route: int converters get mostly real ids of the route's own
    table (``own``), else ids of other tables, ids that do not exist and ids too large for
    the database; regex groups get what they match."""
    if isinstance(pattern.pattern, RoutePattern) or "<" in route and "(?P" not in route:
        parts: list[st.SearchStrategy[str]] = []
        pos = 0
        for m in _ROUTE_PART.finditer(route):
            parts.append(st.just(route[pos : m.start()]))
            converter = pattern.pattern.converters.get(m.group("name"))
            if isinstance(converter, IntConverter):
                parts.append(
                    st.one_of(
                        st.sampled_from(own or ids),
                        st.sampled_from(own or ids),
                        st.sampled_from(ids),
                        st.sampled_from([0, 999_999_999, 2**63, 10**19 + 7]),
                    ).map(str)
                )
            else:
                parts.append(st.text(alphabet="abc-_é1", min_size=1, max_size=8))
            pos = m.end()
        parts.append(st.just(route[pos:]))
        return st.tuples(*parts).map(lambda xs: "/" + "".join(xs))
    assert isinstance(pattern.pattern, RegexPattern)
    regex = route.replace("^", "").replace("$", "")
    parts = []
    pos = 0
    for m in _REGEX_GROUP.finditer(regex):
        parts.append(st.just(re.sub(r"\\(.)", r"\1", regex[pos : m.start()])))
        parts.append(st.from_regex(f"^(?:{m.group('body')})$", fullmatch=True))
        pos = m.end()
    parts.append(st.just(re.sub(r"\\(.)", r"\1", regex[pos:])))
    return st.tuples(*parts).map(lambda xs: "/" + "".join(xs))


def allowed_methods(view) -> set[str]:
    """The methods a view accepts, read from require_http_methods in its decorator chain
    (so the examples go where the view does work); GET and POST when it does not say."""
    f = view
    while f is not None:
        for cell in getattr(f, "__closure__", None) or ():
            try:
                contents = cell.cell_contents
            except ValueError:
                continue
            if isinstance(contents, list | tuple) and contents and set(contents) <= HTTP:
                return {m.lower() for m in contents if m in ("GET", "POST")} or {"get"}
        f = getattr(f, "__wrapped__", None)
    return {"get", "post"}


HTTP = {"GET", "POST", "HEAD", "PUT", "PATCH", "DELETE", "OPTIONS"}


def examples_for(pattern: URLPattern) -> int:
    """Writes are cheap to request and where the damage is: more examples there."""
    return EXAMPLES * 4 if allowed_methods(pattern.callback) == {"post"} else EXAMPLES


# -- the fields -------------------------------------------------------------------------------

_RAW_PARAM = re.compile(r"(?:GET|POST|FILES)\.get(?:list)?\(\s*[\"'](\w+)[\"']")


def raw_params() -> set[str]:
    """Every request parameter the code reads by hand (``request.GET.get("report")``)."""
    root = Path(commitments.__file__).parent
    names: set[str] = set()
    for path in root.rglob("*.py"):
        names |= set(_RAW_PARAM.findall(path.read_text("utf-8")))
    return names


def form_fields() -> set[str]:
    """Every field of every form of the app (prefixed as the views use them), the ledger
    filter and the login form."""
    names: set[str] = set()
    for obj in vars(app_forms).values():
        if isinstance(obj, type) and issubclass(obj, django_forms.BaseForm):
            names |= set(getattr(obj, "base_fields", {}))
    names |= {f"m-{n}" for n in app_forms.MilestoneForm.base_fields}
    names |= set(LedgerFilter.base_filters)
    names |= set(AuthenticationForm.base_fields)
    return names


HOSTILE_WORDS = [
    "",
    " ",
    "0",
    "-1",
    "²",
    "١٢",
    "１２",
    "٣",
    "12345678901234567890",
    str(2**63),
    str(-(2**63) - 1),
    "9" * 60,
    "1e309",
    "NaN",
    "-inf",
    "1,5",
    "0x1F",
    "\x00",
    "a\x00b",
    "\x01\x02",
    "9999-99-99",
    "0000-01-01",
    "2017-02-30",
    "9999-12-31",
    "0001-01-01",
    "2017-6-30",
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "' OR 1=1 --",
    '"; DROP TABLE commitments_commitment; --',
    "javascript:alert(1)",
    "//evil.example/",
    "https://evil.example/",
    "inbox2",
    "ledger",
    "/inbox/",
    "\\\\evil.example",
    '=HYPERLINK("http://evil.example","x")',
    "@SUM(1+1)",
    "\u202egnp.exe",
    "𠀀𠀁",
    "\ufeff",
    "\r\nSet-Cookie: x=1",
    "%00",
    "../../etc/passwd",
    "true",
    "on",
    "[]",
    "null",
    "x" * 6000,
    "长" * 2500,
]


def hostile_kinds(ids: list[int]) -> list[st.SearchStrategy]:
    """Kinds of hostility; an example picks one kind for all the fields it spoils, each
    kind equally likely, so that a rare kind (a NUL) is as likely as random text."""
    words = st.sampled_from(HOSTILE_WORDS)
    kinds = [
        # First the kinds that broke the app before: hypothesis tries early entries first.
        st.builds(lambda w: w[: len(w) // 2] + "\x00" + w[len(w) // 2 :], words),  # NUL inside
        st.sampled_from(["inbox2", "ledger", "//evil.example/", "https://evil.example/", "\\x"]),
        st.sampled_from(["²", "١٢", "１２", "٣", "߁", "𝟙𝟚"]),  # digits int() refuses or reads
        st.sampled_from(["12345678901234567890", str(2**63), "9" * 60, "1e309", str(-(2**63) - 1)]),
        st.integers(min_value=-(10**6), max_value=-1).map(str),
        st.sampled_from(["x" * 6000, "长" * 2500, "𠀀" * 3000]),
        st.text(min_size=1, max_size=30),  # any unicode
        st.sampled_from(
            [
                "<script>alert(1)</script>",
                '"><img src=x onerror=alert(1)>',
                "' OR 1=1 --",
                '"; DROP TABLE commitments_commitment; --',
                "javascript:alert(1)",
                '=HYPERLINK("http://evil.example","x")',
            ]
        ),
        st.just(""),
        st.sampled_from(["9999-99-99", "0000-01-01", "2017-02-30", "9999-12-31", "0001-01-01"]),
        st.sampled_from(ids).map(str),
        words,
    ]
    return [st.one_of(k, st.lists(k, min_size=1, max_size=3)) for k in kinds] + [st.none()]


def upload(name: str, content: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, "text/html")


FILE_VALUES = st.builds(
    upload,
    st.sampled_from(
        ["a.pdf", "b.png", "c.jpg", "d.txt", "e.docx", "f.ofd", "g.exe", ".pdf", "a b.pdf"]
    ),
    st.one_of(
        st.binary(max_size=64),
        st.sampled_from([b"%PDF-1.4", b"\x89PNG\r\n\x1a\n", b"<html>", b"PK\x03\x04", b""]),
    ),
)


# -- who may change what ----------------------------------------------------------------------


def snapshot() -> dict[str, list]:
    user = get_user_model()
    return {
        "reports": list(Report.objects.order_by("pk").values_list("pk", "title", "is_public")),
        "commitments": list(
            Commitment.objects.order_by("pk").values_list(
                "pk",
                "lead_unit_id",
                "responsible_person",
                "start_date",
                "due_date",
                "code",
                "in_source",
                "is_public",
            )
        ),
        "co_units": sorted(
            Commitment.co_units.through.objects.values_list("commitment_id", "department_id")
        ),
        "targets": list(Target.objects.order_by("pk").values_list("pk", "value", "unit")),
        "milestones": list(Milestone.objects.order_by("pk").values_list("pk", "title", "due_date")),
        "updates": list(
            ProgressUpdate.objects.order_by("pk").values_list(
                "pk",
                "commitment_id",
                "author_id",
                "review_state",
                "reviewed_by_id",
                "review_comment",
            )
        ),
        "readings": list(TargetReading.objects.order_by("pk").values_list("pk", "update_id")),
        "evidence": list(Evidence.objects.order_by("pk").values_list("pk", "update_id")),
        "departments": list(Department.objects.order_by("pk").values_list("pk", "name")),
        "memberships": list(Membership.objects.order_by("pk").values_list("pk", "user_id", "role")),
        "summaries": list(Summary.objects.order_by("pk").values_list("pk", "state", "kind")),
        "notifications": list(Notification.objects.order_by("pk").values_list("pk", "state")),
        "users": list(
            user.objects.order_by("pk").values_list(
                "pk", "username", "password", "is_active", "is_superuser", "is_staff"
            )
        ),
    }


def _added(before: list, after: list) -> list:
    old = set(before)
    return [row for row in after if row not in old]


def check_writes(role: str, user, before: dict, after: dict) -> None:
    """What each role may change through the web UI; everything else must stay as it was."""
    if role in ("supervisor", "superuser"):
        return  # the supervision office may change the ledger; only the 500s matter here
    allowed: set[str] = set()
    if role == "leader":
        allowed = {"summaries", "notifications"}  # on-demand summaries; 批示 notify the unit
    if role in ("reporter", "other_reporter", "manager"):
        # progress; 签收, 延期申请 and answers to 督办单 notify the office
        allowed = {"updates", "readings", "evidence", "notifications"}
        new_updates = _added(before["updates"], after["updates"])
        assert set(before["updates"]) <= set(after["updates"]), "an update was changed"
        for _pk, commitment_id, author_id, state, *_ in new_updates:
            assert author_id == user.pk and state == ProgressUpdate.Review.SUBMITTED
            assert can_update(user, Commitment.objects.get(pk=commitment_id)), (
                f"{role} recorded progress on commitment {commitment_id}"
            )
        for table in ("readings", "evidence"):
            assert set(before[table]) <= set(after[table]), f"{table} changed"
            new_update_ids = {row[0] for row in new_updates}
            assert all(row[1] in new_update_ids for row in _added(before[table], after[table]))
    if role == "leader":
        assert set(before["summaries"]) <= set(after["summaries"]) or all(
            kind == "on_demand" for _, _, kind in _added(before["summaries"], after["summaries"])
        )
    if "notifications" in allowed:
        # emails are only ever added (written to the outbox), never changed by a request
        assert set(before["notifications"]) <= set(after["notifications"]), "an email changed"
    for table in before:
        if table not in allowed:
            assert before[table] == after[table], f"{role} changed {table}"


# -- the test ---------------------------------------------------------------------------------

EVIDENCE_DIR = tempfile.mkdtemp(prefix="hostile-evidence-")


@override_settings(
    STORAGES={
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": EVIDENCE_DIR},
        },
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    },
    CELERY_TASK_ALWAYS_EAGER=False,
    CELERY_BROKER_URL="memory://",
)
class HostileInput(TestCase):
    cast: Cast
    superuser: User
    ids: list[int]
    ids_of: dict[type[Model], list[int]]
    baseline: Any
    names: Any

    @classmethod
    def setUpTestData(cls) -> None:
        report = Report.objects.get(place="安阳市", year=2017)
        cls.cast = make_cast(report)
        cls.superuser = get_user_model().objects.create_superuser(
            "root", "root@example.gov.cn", "pass-for-tests-1"
        )
        cast = cls.cast
        submitted = record(cast.mine, cast.reporter)
        returned = record(
            cast.shared,
            cast.other_reporter,
            files=[SimpleUploadedFile("a.pdf", b"%PDF-1.4 x", "application/pdf")],
        )
        update_review_return(update=returned, reviewer=cast.supervisor, comment="请补充。")
        milestone = Milestone.objects.create(
            commitment=cast.mine, title="开工", due_date="2017-08-01"
        )
        summary = Summary.objects.create(
            report=report, kind="weekly", period_start="2017-09-18", period_end="2017-09-24"
        )
        target = cast.mine.targets.filter(value__isnull=False).first()
        cls.ids = sorted(
            {
                report.pk,
                cast.mine.pk,
                cast.shared.pk,
                cast.theirs.pk,
                submitted.pk,
                returned.pk,
                milestone.pk,
                summary.pk,
                returned.evidence.get().pk,
                cast.dept.pk,
                cast.other_dept.pk,
                target.pk if target else 1,
            }
        )
        # the supervision cycle and the import review have rows of their own to aim at
        workflow.acknowledgements_sync(commitment=cast.mine, by=cast.supervisor)
        extension = workflow.extension_request(
            commitment=cast.mine,
            by=cast.reporter,
            requested_due_date=cast.mine.due_date + dt.timedelta(days=60),
            reason="征迁未完成",
        )
        notice = workflow.urging_issue(
            commitment=cast.mine,
            by=cast.supervisor,
            level="red",
            reply_by=clock.today() + dt.timedelta(days=7),
        )
        draft = ReportImport.objects.create(
            source="2018年示例县政府工作报告\n二、2018年工作安排\n新建道路20公里。\n".encode(),
            created_by=cast.supervisor,
        )
        cls.ids = sorted({*cls.ids, extension.pk, notice.pk, draft.pk})
        cls.ids_of = {
            ExtensionRequest: [extension.pk],
            UrgingNotice: [notice.pk],
            ReportImport: [draft.pk],
            Commitment: [cast.mine.pk, cast.shared.pk, cast.theirs.pk],
            Milestone: [milestone.pk],
            Evidence: [returned.evidence.get().pk],
            ProgressUpdate: [submitted.pk, returned.pk],
            Summary: [summary.pk],
            Report: [report.pk],
        }
        cls.baseline = {
            "claimed_status": "in_progress",
            "as_of": "2017-06-30",
            "narrative": "按计划推进。",
            "percent": "30",
            "links": "https://www.anyang.gov.cn/a",
            "comment": "同意。",
            "m-title": "验收",
            "m-due_date": "2017-10-01",
            "lead_unit": str(cast.dept.pk),
            "co_units": [str(cast.other_dept.pk)],
            "responsible_person": "张三",
            "start_date": "2017-01-01",
            "due_date": "2017-11-30",
            "ids": [str(cast.mine.pk), str(cast.theirs.pk)],
            "report": str(report.pk),
            "kind": "weekly",
            "next": "/inbox/",
            "corrects": str(returned.pk),
            "username": "reporter",
            "password": "wrong",
        }
        cls.names = sorted(raw_params() | form_fields() | set(cls.baseline)) + [
            f"target_{t.pk}" for t in cast.mine.targets.all()
        ]

    def client_for(self, role: str) -> tuple[Client, Any]:
        client = Client()  # raise_request_exception stays True: a 500 fails with its traceback
        user: Any = None
        if role == "superuser":
            user = self.superuser
        elif role != "anonymous":
            user = getattr(self.cast, role)
        if user is not None:
            client.force_login(user)
        return client, user

    def hostile_request(self, data, role: str, route: str, pattern: URLPattern) -> None:
        table = id_table(route)
        own = self.ids_of.get(table, []) if table is not None else []
        path = data.draw(_path_strategy(route, pattern, self.ids, own), label="path")
        method = data.draw(st.sampled_from(sorted(allowed_methods(pattern.callback))))
        fields = dict(self.baseline)
        # Some examples spoil a field or two of a valid form (to get past validation to the
        # write and the redirect after it), others spoil most fields.
        rate = data.draw(st.sampled_from([0.05, 0.3, 0.9]), label="spoil rate")
        values = data.draw(st.sampled_from(hostile_kinds(self.ids)), label="kind")
        for name in self.names:
            if data.draw(st.floats(0, 1), label=f"spoil {name}?") >= rate:
                continue
            value = data.draw(values, label=name)
            if value is None:
                fields.pop(name, None)  # a missing field
            else:
                fields[name] = value
        if method == "post" and data.draw(st.booleans(), label="with file"):
            fields["files"] = data.draw(st.lists(FILE_VALUES, max_size=2), label="files")
        headers = {"HTTP_HX_REQUEST": "true"} if data.draw(st.booleans(), label="htmx") else {}

        client, user = self.client_for(role)
        before = snapshot()
        send: Callable = getattr(client, method)
        response = send(path, fields, **headers)
        assert 200 <= response.status_code < 500, (role, method, path, response.status_code)
        if user is not None:
            user.refresh_from_db()
            for attr in ("_duban_roles",):
                user.__dict__.pop(attr, None)
        check_writes(role, user, before, snapshot())


def _make_test(role: str, route: str, pattern: URLPattern):
    from hypothesis import given

    @settings(
        max_examples=examples_for(pattern),
        derandomize=True,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(data=st.data())
    def test(self, data) -> None:
        self.hostile_request(data, role, route, pattern)

    return test


def _test_name(role: str, route: str) -> str:
    slug = re.sub(r"\W+", "_", route).strip("_") or "root"
    return f"test_{role}_{slug}"


for _route, _pattern in ENDPOINTS:
    for _role in ROLES:
        setattr(HostileInput, _test_name(_role, _route), _make_test(_role, _route, _pattern))


def test_the_walk_finds_every_screen():
    routes = [r for r, _ in ENDPOINTS]
    assert len(routes) >= 18
    for expected in ("", "ledger/bulk-assign/", "review/<int:pk>/accept/", "summaries/generate/"):
        assert expected in routes
    assert not any(r.startswith(EXCLUDED_PREFIXES) for r in routes)
    for route, _ in ENDPOINTS:
        if "<int:" in route:
            assert id_table(route) is not None, f"add {route} to ID_TABLES"
    by_route = dict(ENDPOINTS)
    assert allowed_methods(by_route["review/<int:pk>/accept/"].callback) == {"post"}
    assert allowed_methods(by_route["dashboard/"].callback) == {"get"}
    # The fields come from the code, not from a list kept by hand.
    assert {"report", "next", "as_of", "page", "corrects"} <= raw_params()
    assert {"narrative", "ids", "lead_unit", "m-title", "q", "rag", "username"} <= form_fields()
