"""Who may do what: every URL of the app, for every role, with the status code expected.

A new URL without a row here fails test_every_url_is_in_the_matrix, so the matrix stays
complete."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import get_resolver

from commitments.models import (
    Acknowledgement,
    Closure,
    Commitment,
    ExtensionRequest,
    Instruction,
    Milestone,
    ProgressUpdate,
    UrgingNotice,
)
from commitments.services import workflow
from commitments.services.progress import update_review_accept
from tests.support.webutil import make_cast, record

ROLES = ["anon", "nobody", "reporter", "manager", "supervisor", "leader"]


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
    upd_mine = record(
        cast.mine, cast.reporter, files=[SimpleUploadedFile("照片.png", b"\x89PNG...", "image/png")]
    )
    upd_theirs = record(
        cast.theirs,
        cast.other_reporter,
        files=[SimpleUploadedFile("x.pdf", b"%PDF-1.4", "application/pdf")],
    )
    milestone = Milestone.objects.create(commitment=cast.mine, title="开工", due_date="2017-03-31")
    from tests.support.factories import ReportFactory

    hidden = ReportFactory(city="保密市", is_public=False)

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
        "cast": cast,
        "mine": cast.mine.pk,
        "shared": cast.shared.pk,
        "theirs": cast.theirs.pk,
        "upd": upd_mine.pk,
        "ev_mine": upd_mine.evidence.get().pk,
        "ev_theirs": upd_theirs.evidence.get().pk,
        "milestone": milestone.pk,
        "public": anyang.pk,
        "hidden": hidden.pk,
        "ext": ext.pk,
        "notice": notice.pk,
    }


L = "login"  # anonymous: redirect to the login page
STAFF = {
    "anon": L,
    "nobody": 403,
    "reporter": 200,
    "manager": 200,
    "supervisor": 200,
    "leader": 200,
}
SUPERVISOR_ONLY_GET = {
    "anon": L,
    "nobody": 403,
    "reporter": 403,
    "manager": 403,
    "supervisor": 200,
    "leader": 403,
}
SUPERVISOR_ONLY_POST = {
    "anon": L,
    "nobody": 403,
    "reporter": 403,
    "manager": 403,
    "supervisor": 302,
    "leader": 403,
}
EVERYONE = dict.fromkeys(ROLES, 200)
UNIT_POST = {  # the item's unit (reporter, manager) acts; others are refused
    "anon": L,
    "nobody": 403,
    "reporter": 302,
    "manager": 302,
    "supervisor": 403,
    "leader": 403,
}
LEADER_POST = {
    "anon": L,
    "nobody": 403,
    "reporter": 403,
    "manager": 403,
    "supervisor": 403,
    "leader": 302,
}
OFFICE_AND_LEADERS_GET = {**SUPERVISOR_ONLY_GET, "leader": 200}

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
    ("commitment", "get", "/c/{mine}/", None, STAFF),
    ("commitment", "get", "/c/{shared}/", None, STAFF),
    (
        "commitment",
        "get",
        "/c/{theirs}/",
        None,
        {
            "anon": L,
            "nobody": 403,
            "reporter": 403,
            "manager": 403,
            "supervisor": 200,
            "leader": 200,
        },
    ),
    # an empty form: allowed users get inline errors (422), others are refused
    (
        "update_create",
        "post",
        "/c/{mine}/update/",
        {},
        {
            "anon": L,
            "nobody": 403,
            "reporter": 422,
            "manager": 422,
            "supervisor": 422,
            "leader": 403,
        },
    ),
    (
        "update_create",
        "post",
        "/c/{shared}/update/",
        {},
        {
            "anon": L,
            "nobody": 403,
            "reporter": 422,
            "manager": 422,
            "supervisor": 422,
            "leader": 403,
        },
    ),
    (
        "update_create",
        "post",
        "/c/{theirs}/update/",
        {},
        {
            "anon": L,
            "nobody": 403,
            "reporter": 403,
            "manager": 403,
            "supervisor": 422,
            "leader": 403,
        },
    ),
    (
        "update_create",
        "get",
        "/c/{mine}/update/",
        None,
        {
            "anon": L,
            "nobody": 403,
            "reporter": 302,
            "manager": 302,
            "supervisor": 302,
            "leader": 403,
        },
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
    ("milestone_delete", "post", "/milestones/{milestone}/delete/", {}, SUPERVISOR_ONLY_POST),
    ("evidence_download", "get", "/evidence/{ev_mine}/", None, STAFF),
    (
        "evidence_download",
        "get",
        "/evidence/{ev_theirs}/",
        None,
        {
            "anon": L,
            "nobody": 403,
            "reporter": 403,
            "manager": 403,
            "supervisor": 200,
            "leader": 200,
        },
    ),
    ("review_queue", "get", "/review/", None, SUPERVISOR_ONLY_GET),
    ("update_accept", "post", "/review/{upd}/accept/", {}, SUPERVISOR_ONLY_POST),
    (
        "update_return",
        "post",
        "/review/{upd}/return/",
        {"comment": "请补充材料"},
        SUPERVISOR_ONLY_POST,
    ),
    ("inbox", "get", "/inbox/", None, STAFF),
    ("dashboard", "get", "/dashboard/", None, STAFF),
    # the supervision cycle (督办流程)
    ("commitment_acknowledge", "post", "/c/{mine}/acknowledge/", {}, UNIT_POST),
    (
        "commitment_acknowledge",
        "post",
        "/c/{theirs}/acknowledge/",
        {},
        {**UNIT_POST, "reporter": 403, "manager": 403},
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
        {**UNIT_POST, "reporter": 403, "manager": 403},
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
    ("urging_list", "get", "/urging/", None, OFFICE_AND_LEADERS_GET),
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
    ("public_index", "get", "/public/", None, EVERYONE),
    ("public_report", "get", "/public/{public}/", None, EVERYONE),
    ("public_report", "get", "/public/{hidden}/", None, dict.fromkeys(ROLES, 404)),
]


def _workflow_snapshot() -> tuple:
    """Everything a workflow POST could change."""
    return (
        sorted(Acknowledgement.objects.values_list("pk", "acknowledged_at", "superseded_at")),
        sorted(ExtensionRequest.objects.values_list("pk", "state", "granted_due_date")),
        sorted(UrgingNotice.objects.values_list("pk", "state", "answer_text")),
        sorted(Instruction.objects.values_list("pk", "text")),
        sorted(Closure.objects.values_list("pk", "reopened_at")),
        sorted(Commitment.objects.values_list("pk", "due_date", "original_due_date")),
    )


@pytest.mark.parametrize("role", ROLES)
def test_status_code_matrix(world, role):
    cast = world["cast"]
    mismatches = []
    for name, method, template, data, expected in MATRIX:
        before = _workflow_snapshot() if method == "post" and expected[role] in (403, L) else None
        client = cast.client(None if role == "anon" else role)
        path = template.format(**world)
        payload = {k: v.format(**world) for k, v in data.items()} if data else data
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
        # state-changing requests must not leak into the next row for a refused role
        if method == "post" and got in (302, 403) and name in ("update_accept", "update_return"):
            if want in (403, L):
                assert ProgressUpdate.objects.get(pk=world["upd"]).review_state == "submitted"
        if before is not None:  # a refused write changes nothing
            assert _workflow_snapshot() == before, f"{method.upper()} {path} ({name}) as {role}"
    assert not mismatches, "\n".join(mismatches)


def test_every_url_is_in_the_matrix():
    names = {
        p.name for p in get_resolver("commitments.urls").url_patterns if getattr(p, "name", None)
    }
    assert names == {row[0] for row in MATRIX}


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
