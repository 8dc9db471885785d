"""Who may do what: every URL of the site (the whole URLconf, the summaries included; only
Django's admin, i18n and login/logout are left out), for every role, GET and POST, with
the status code expected. A refused write changes nothing.

A new URL without a row here fails test_every_url_is_in_the_matrix: a URL nobody
declared the access of is a bug."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import URLPattern, URLResolver, get_resolver

from commitments.jobs.models import Notification, Summary
from commitments.models import (
    Acknowledgement,
    Closure,
    Commitment,
    ExtensionRequest,
    Instruction,
    Milestone,
    ProgressUpdate,
    Report,
    ReportImport,
    UrgingNotice,
)
from commitments.services import workflow
from commitments.services.progress import update_review_accept
from tests.support.webutil import make_cast, record

# reporter / manager: of the unit that leads "mine" and co-runs "shared";
# other_reporter: of the unit that leads "shared" and "theirs".
ROLES = [
    "anon",
    "nobody",
    "reporter",
    "other_reporter",
    "manager",
    "supervisor",
    "leader",
    "superuser",
]


@pytest.fixture
def world(anyang, settings, tmp_path):
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path)},
        },
    }
    anyang.is_public = True
    anyang.save()
    cast = make_cast(anyang)
    cast.superuser = get_user_model().objects.create_superuser(
        "root", "root@example.gov.cn", "pass-for-tests-1"
    )
    upd_mine = record(
        cast.mine, cast.reporter, files=[SimpleUploadedFile("照片.png", b"\x89PNG...", "image/png")]
    )
    upd_theirs = record(
        cast.theirs,
        cast.other_reporter,
        files=[SimpleUploadedFile("x.pdf", b"%PDF-1.4", "application/pdf")],
    )
    milestone = Milestone.objects.create(commitment=cast.mine, title="开工", due_date="2017-03-31")
    summary = Summary.objects.create(
        report=anyang,
        kind=Summary.Kind.WEEKLY,
        period_start="2017-10-09",
        period_end="2017-10-15",
        title="落实情况周报",
        state=Summary.State.DONE,
        progress=100,
        html="<p>摘要</p>",
        xlsx=b"PK\x03\x04",
        xlsx_name="台账.xlsx",
    )
    from tests.support.factories import ReportFactory

    hidden = ReportFactory.create(place="保密市", is_public=False)
    from tests.web.test_imports import SMALL

    draft = ReportImport.objects.create(source=SMALL.encode(), created_by=cast.supervisor)

    # the supervision cycle: an assignment waiting for 签收, an extension request to decide,
    # an urging notice to answer, a closed item to reopen
    settings.LEDGER_TODAY = dt.date(2017, 9, 30)
    workflow.acknowledgements_sync(commitment=cast.mine, by=cast.supervisor)
    ext = workflow.extension_request(
        commitment=cast.shared,
        by=cast.other_reporter,
        requested_due_date=dt.date(2018, 3, 31),
        reason="征迁未完成",
    )
    notice = workflow.urging_issue(
        commitment=cast.mine, by=cast.supervisor, level="red", reply_by=dt.date(2017, 10, 9)
    )
    done = record(cast.theirs, cast.other_reporter, status="completed", percent=None)
    update_review_accept(update=done, reviewer=cast.supervisor)
    assert Closure.objects.filter(commitment=cast.theirs).exists()
    return {
        "ext": ext.pk,
        "notice": notice.pk,
        "draft": draft.pk,
        "cast": cast,
        "mine": cast.mine.pk,
        "shared": cast.shared.pk,
        "theirs": cast.theirs.pk,
        "upd": upd_mine.pk,
        "ev_mine": upd_mine.evidence.get().pk,
        "ev_theirs": upd_theirs.evidence.get().pk,
        "milestone": milestone.pk,
        "summary": summary.pk,
        "public": anyang.pk,
        "hidden": hidden.pk,
    }


L = "login"  # anonymous: redirect to the login page


def by_role(default, **roles) -> dict:
    """Expected status by role: anonymous users log in, people without a role are
    refused, the superuser acts as a supervisor; ``default`` for everyone else."""
    out = {"anon": L, "nobody": 403, **dict.fromkeys(ROLES[2:], default), **roles}
    if "superuser" not in roles:
        out["superuser"] = out["supervisor"]
    return out


STAFF = by_role(200)
SUPERVISOR_ONLY_GET = by_role(403, supervisor=200)
SUPERVISOR_ONLY_POST = by_role(403, supervisor=302)
SUPERVISOR_ONLY_WRONG_METHOD = by_role(403, supervisor=405)
READERS_GET = by_role(403, supervisor=200, leader=200)
EVERYONE = dict.fromkeys(ROLES, 200)
MY_UNIT = by_role(200, other_reporter=403)  # "mine": led by the reporter's unit
OTHER_UNIT = by_role(403, other_reporter=200, supervisor=200, leader=200)  # "theirs"
UNIT_POST = by_role(403, reporter=302, manager=302)  # the item's unit acts; others refused
LEADER_POST = by_role(403, leader=302)

# (url name, method, path template, data, expected by role)
MATRIX = [
    ("ledger", "get", "/", None, STAFF),
    ("ledger_export", "get", "/ledger/export.xlsx", None, STAFF),
    ("ledger_export", "get", "/ledger/export.csv", None, STAFF),
    (
        "ledger_bulk_assign",
        "post",
        "/ledger/bulk-assign/",
        {"ids": "{mine}", "due_date": "2017-11-30"},
        SUPERVISOR_ONLY_POST,
    ),
    ("ledger_bulk_assign", "get", "/ledger/bulk-assign/", None, SUPERVISOR_ONLY_WRONG_METHOD),
    ("commitment", "get", "/c/{mine}/", None, MY_UNIT),
    ("commitment", "get", "/c/{shared}/", None, STAFF),
    ("commitment", "get", "/c/{theirs}/", None, OTHER_UNIT),
    ("commitment", "post", "/c/{mine}/", {}, by_role(405)),  # read-only page
    # an empty form: allowed users get inline errors (422), others are refused
    (
        "update_create",
        "post",
        "/c/{mine}/update/",
        {},
        by_role(422, other_reporter=403, leader=403),
    ),
    ("update_create", "post", "/c/{shared}/update/", {}, by_role(422, leader=403)),
    (
        "update_create",
        "post",
        "/c/{theirs}/update/",
        {},
        by_role(403, other_reporter=422, supervisor=422),
    ),
    (
        "update_create",
        "get",
        "/c/{mine}/update/",
        None,
        by_role(302, other_reporter=403, leader=403),
    ),
    ("commitment_assign", "get", "/c/{mine}/assign/", None, SUPERVISOR_ONLY_GET),
    (
        "commitment_assign",
        "post",
        "/c/{mine}/assign/",
        {"start_date": "2017-01-01", "due_date": "2017-10-31"},
        SUPERVISOR_ONLY_POST,
    ),
    (
        "milestone_add",
        "post",
        "/c/{mine}/milestones/",
        {"m-title": "完工", "m-due_date": "2017-11-30"},
        SUPERVISOR_ONLY_POST,
    ),
    ("milestone_add", "get", "/c/{mine}/milestones/", None, SUPERVISOR_ONLY_WRONG_METHOD),
    ("milestone_delete", "post", "/milestones/{milestone}/delete/", {}, SUPERVISOR_ONLY_POST),
    ("evidence_download", "get", "/evidence/{ev_mine}/", None, MY_UNIT),
    ("evidence_download", "get", "/evidence/{ev_theirs}/", None, OTHER_UNIT),
    # inline preview (an image, a PDF): the download's permission check
    ("evidence_preview", "get", "/evidence/{ev_mine}/view/", None, MY_UNIT),
    ("evidence_preview", "get", "/evidence/{ev_theirs}/view/", None, OTHER_UNIT),
    ("evidence_preview", "post", "/evidence/{ev_mine}/view/", {}, by_role(405)),
    ("review_queue", "get", "/review/", None, SUPERVISOR_ONLY_GET),
    ("updates_accept_bulk", "post", "/review/accept/", {"ids": "{upd}"}, SUPERVISOR_ONLY_POST),
    ("updates_accept_bulk", "get", "/review/accept/", None, SUPERVISOR_ONLY_WRONG_METHOD),
    ("update_accept", "post", "/review/{upd}/accept/", {}, SUPERVISOR_ONLY_POST),
    ("update_accept", "get", "/review/{upd}/accept/", None, SUPERVISOR_ONLY_WRONG_METHOD),
    (
        "update_return",
        "post",
        "/review/{upd}/return/",
        {"comment": "请补充材料"},
        SUPERVISOR_ONLY_POST,
    ),
    ("inbox", "get", "/inbox/", None, STAFF),
    ("dashboard", "get", "/dashboard/", None, STAFF),
    ("public_index", "get", "/public/", None, EVERYONE),
    ("public_report", "get", "/public/{public}/", None, EVERYONE),
    ("public_report", "get", "/public/{hidden}/", None, dict.fromkeys(ROLES, 404)),
    ("public_report", "post", "/public/{public}/", {}, dict.fromkeys(ROLES, 405)),
    # summaries: leaders and the supervision office
    ("summary_list", "get", "/summaries/", None, READERS_GET),
    ("summary_detail", "get", "/summaries/{summary}/", None, READERS_GET),
    # without htmx the progress partial sends the browser to the summary page
    (
        "summary_progress",
        "get",
        "/summaries/{summary}/progress/",
        None,
        by_role(403, supervisor=302, leader=302),
    ),
    ("summary_xlsx", "get", "/summaries/{summary}/xlsx/", None, READERS_GET),
    (
        "summary_generate",
        "post",
        "/summaries/generate/",
        {},
        by_role(403, supervisor=302, leader=302),
    ),
    ("summary_generate", "get", "/summaries/generate/", None, dict.fromkeys(ROLES, 405)),
    # the supervision cycle (督办流程)
    ("commitment_acknowledge", "post", "/c/{mine}/acknowledge/", {}, UNIT_POST),
    (
        "commitment_acknowledge",
        "post",
        "/c/{theirs}/acknowledge/",
        {},
        by_role(403, other_reporter=302),
    ),
    (
        "extension_request",
        "post",
        "/c/{mine}/extension/",
        {"requested_due_date": "2018-01-31", "reason": "资金未到位"},
        UNIT_POST,
    ),
    (  # a co-unit does not own the deadline
        "extension_request",
        "post",
        "/c/{shared}/extension/",
        {"requested_due_date": "2018-01-31", "reason": "资金未到位"},
        by_role(403, other_reporter=302),
    ),
    ("extension_list", "get", "/extensions/", None, SUPERVISOR_ONLY_GET),
    (
        "extension_decide",
        "post",
        "/extensions/{ext}/decide/",
        {"decision": "refuse", "comment": "理由不充分"},
        SUPERVISOR_ONLY_POST,
    ),
    (
        "urging_issue",
        "post",
        "/c/{mine}/urge/",
        {"level": "blue", "reply_by": "2017-10-09"},
        SUPERVISOR_ONLY_POST,
    ),
    ("urging_list", "get", "/urging/", None, READERS_GET),
    ("urging_proposed", "get", "/urging/proposed/", None, SUPERVISOR_ONLY_GET),
    (
        "urging_issue_bulk",
        "post",
        "/urging/issue/",
        {"picks": "{shared}:yellow", "reply_by": "2017-10-09"},
        SUPERVISOR_ONLY_POST,
    ),
    ("urging_answer", "post", "/urging/{notice}/answer/", {"text": "已加快推进"}, UNIT_POST),
    ("instruction_create", "post", "/c/{mine}/instruct/", {"text": "加快进度"}, LEADER_POST),
    (
        "instruction_bulk",
        "post",
        "/instructions/bulk/",
        {"ids": "{mine}", "text": "加快进度"},
        LEADER_POST,
    ),
    (
        "commitment_reopen",
        "post",
        "/c/{theirs}/reopen/",
        {"reason": "验收不合格"},
        SUPERVISOR_ONLY_POST,
    ),
    # the outbox's stuck and failed mail: the supervision office
    ("outbox_list", "get", "/outbox/", None, SUPERVISOR_ONLY_GET),
    ("outbox_retry", "post", "/outbox/retry/", {}, SUPERVISOR_ONLY_POST),
    ("outbox_retry", "get", "/outbox/retry/", None, SUPERVISOR_ONLY_WRONG_METHOD),
    # the import review (立项): the supervision office only
    ("import_list", "get", "/imports/", None, SUPERVISOR_ONLY_GET),
    ("import_list", "post", "/imports/", {}, by_role(403, supervisor=422)),
    ("import_review", "get", "/imports/{draft}/", None, SUPERVISOR_ONLY_GET),
    ("import_fix", "get", "/imports/{draft}/fix/2018-2.1-02/", None, SUPERVISOR_ONLY_GET),
    (
        "import_correct",
        "post",
        "/imports/{draft}/correct/",
        {"op": "drop", "text": "推进依法行政。"},
        SUPERVISOR_ONLY_POST,
    ),
    ("import_correct", "get", "/imports/{draft}/correct/", None, SUPERVISOR_ONLY_WRONG_METHOD),
    ("import_undo", "post", "/imports/{draft}/undo/0/", {}, SUPERVISOR_ONLY_POST),
    (
        "import_place",
        "post",
        "/imports/{draft}/place/",
        {"place": "示例县", "year": "2018"},
        SUPERVISOR_ONLY_POST,
    ),
    ("import_publish", "post", "/imports/{draft}/publish/", {}, SUPERVISOR_ONLY_POST),
    ("import_publish", "get", "/imports/{draft}/publish/", None, SUPERVISOR_ONLY_WRONG_METHOD),
    ("import_discard", "post", "/imports/{draft}/discard/", {}, SUPERVISOR_ONLY_POST),
]


def fingerprint(world) -> tuple:
    """What a write could change: updates and their review, milestones, summaries, and
    the assignment of the cast's commitments."""
    ids = [world["mine"], world["shared"], world["theirs"]]
    return (
        tuple(ProgressUpdate.objects.order_by("pk").values_list("pk", "review_state")),
        tuple(Milestone.objects.order_by("pk").values_list("pk", "title", "due_date")),
        tuple(Summary.objects.order_by("pk").values_list("pk", "kind")),
        tuple(Notification.objects.order_by("pk").values_list("pk", "key")),
        tuple(
            ReportImport.objects.order_by("pk").values_list("pk", "state", "place", "corrections")
        ),
        Report.objects.count(),
        tuple(
            Commitment.objects.filter(pk__in=ids)
            .order_by("pk")
            .values_list(
                "pk",
                "lead_unit_id",
                "start_date",
                "due_date",
                "original_due_date",
                "responsible_person",
            )
        ),
        sorted(Acknowledgement.objects.values_list("pk", "acknowledged_at", "superseded_at")),
        sorted(ExtensionRequest.objects.values_list("pk", "state", "granted_due_date")),
        sorted(UrgingNotice.objects.values_list("pk", "state", "answer_text")),
        sorted(Instruction.objects.values_list("pk", "text")),
        sorted(Closure.objects.values_list("pk", "reopened_at")),
    )


@pytest.mark.parametrize("role", ROLES)
def test_status_code_matrix(world, role):
    cast = world["cast"]
    mismatches = []
    for name, method, template, data, expected in MATRIX:
        client = cast.client(None if role == "anon" else role)
        path = template.format(**world)
        payload = {k: v.format(**world) for k, v in data.items()} if data else data
        before = fingerprint(world)
        response = (
            getattr(client, method)(path, payload or {}) if method == "post" else client.get(path)
        )
        want = expected[role]
        got = response.status_code
        if want == L:
            ok = got == 302 and response["Location"].startswith("/accounts/login/")
        else:
            ok = got == want
        if not ok:
            mismatches.append(f"{method.upper()} {path} ({name}): expected {want}, got {got}")
        if want in (403, 404, 405, L):
            # a refused request, GET or POST, leaves everything as it was
            assert fingerprint(world) == before, f"{method.upper()} {path} changed data"
    assert not mismatches, "\n".join(mismatches)


# Django's own (admin, language switch, login) and the monitoring probe (no login by design,
# covered by tests/tracker/test_health.py).
EXCLUDED = ("admin/", "i18n/", "accounts/", "healthz")


def _site_urls(patterns, prefix: str = ""):
    """(route, name) of every URL of the site, through every include()."""
    for p in patterns:
        if isinstance(p, URLResolver):
            yield from _site_urls(p.url_patterns, prefix + str(p.pattern))
        elif isinstance(p, URLPattern):
            yield prefix + str(p.pattern), p.name


def test_every_url_is_in_the_matrix():
    urls = [
        (r, n) for r, n in _site_urls(get_resolver().url_patterns) if not r.startswith(EXCLUDED)
    ]
    assert all(name for _, name in urls), f"unnamed URLs: {[r for r, n in urls if not n]}"
    assert {name for _, name in urls} == {row[0] for row in MATRIX}
    assert {"summary_list", "summary_generate", "ledger"} <= {name for _, name in urls}


def test_every_row_says_what_every_role_gets():
    for name, method, _path, _data, expected in MATRIX:
        assert set(expected) == set(ROLES), (name, method)


def test_refused_writes_change_nothing(world):
    cast = world["cast"]
    before = ProgressUpdate.objects.count()
    response = cast.client("leader").post(
        f"/c/{world['mine']}/update/",
        {
            "claimed_status": "in_progress",
            "as_of": "2017-06-30",
            "narrative": "越权填报",
            "percent": "10",
        },
    )
    assert response.status_code == 403
    response = cast.client("reporter").post(
        f"/c/{world['theirs']}/update/",
        {
            "claimed_status": "in_progress",
            "as_of": "2017-06-30",
            "narrative": "越权填报",
            "percent": "10",
        },
    )
    assert response.status_code == 403
    assert ProgressUpdate.objects.count() == before


def test_reporter_ledger_lists_only_their_departments_items(world):
    cast = world["cast"]
    body = cast.client("reporter").get("/").content.decode()
    assert cast.mine.code in body
    assert cast.shared.code in body  # co-unit
    assert f">{cast.theirs.code}<" not in body


def test_inactive_user_is_refused(world):
    cast = world["cast"]
    cast.reporter.is_active = False
    cast.reporter.save()
    client = cast.client(None)
    assert not client.login(username="reporter", password="pass-for-tests-1")
    assert client.get("/").status_code == 302


HTMX_PARTIALS = [
    ("/", '<div id="ledger-table"'),
    ("/?kind=practical_matter", '<div id="ledger-table"'),
    ("/dashboard/?as_of=2017-06-30", '<div id="board">'),
]


@pytest.mark.parametrize("role", ROLES)
def test_htmx_partials_for_each_role(world, role):
    """htmx requests get the partial alone, under the same permissions as the full page."""
    cast = world["cast"]
    client = cast.client(None if role == "anon" else role)
    for path, start in HTMX_PARTIALS:
        response = client.get(path, HTTP_HX_REQUEST="true")
        want = STAFF[role]
        if want == L:
            # not a 302 that htmx would follow and swap the login page into the table:
            # the browser is sent to the login page
            assert response.status_code == 200, path
            assert response["HX-Redirect"].startswith("/accounts/login/?next=")
            assert response.content == b""
            continue
        assert response.status_code == want, (path, response.status_code)
        if want == 200:
            body = response.content.decode()
            assert body.strip().startswith(start), path
            assert "<html" not in body
