"""政务公开: no login, read-only figures, only for a report marked public; no names of
people and no evidence files."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from commitments.models import Commitment
from tests.support.webutil import make_cast, record


@pytest.fixture
def cast(anyang, settings, tmp_path):
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path)},
        },
    }
    return make_cast(anyang)


def test_non_public_report_is_404(cast):
    assert cast.client(None).get(f"/public/{cast.report.pk}/").status_code == 404
    assert cast.report.title not in cast.client(None).get("/public/").content.decode()


def test_public_report_without_login(cast):
    cast.report.is_public = True
    cast.report.save()
    index = cast.client(None).get("/public/").content.decode()
    assert f"/public/{cast.report.pk}/" in index
    response = cast.client(None).get(f"/public/{cast.report.pk}/")
    assert response.status_code == 200
    body = response.content.decode()
    assert "政务公开" in body and "十件实事" in body


def test_no_names_no_evidence_no_private_items(cast):
    cast.report.is_public = True
    cast.report.save()
    Commitment.objects.filter(pk=cast.mine.pk).update(responsible_person="王秘密")
    u = record(
        cast.mine,
        cast.reporter,
        narrative="内部进展说明",
        files=[SimpleUploadedFile("内部文件.pdf", b"%PDF", "application/pdf")],
        links=["https://intranet.example/secret"],
    )
    Commitment.objects.filter(pk=cast.theirs.pk).update(is_public=False)
    body = cast.client(None).get(f"/public/{cast.report.pk}/").content.decode()
    for secret in (
        "王秘密",
        "张联络",
        "reporter",
        "内部进展说明",
        "内部文件.pdf",
        "/evidence/",
        "intranet.example",
        "王督查",
    ):
        assert secret not in body, secret
    assert f"/c/{cast.mine.pk}/" not in body  # no links into the staff pages
    assert u.pk
    total = cast.report.commitments.filter(is_public=True, in_source=True).count()
    assert f'class="donut-n">{total}<' in body


def test_public_page_is_read_only(cast):
    cast.report.is_public = True
    cast.report.save()
    body = cast.client(None).get(f"/public/{cast.report.pk}/").content.decode()
    assert "<form" not in body.split("</header>", 1)[1]
    assert cast.client(None).post(f"/public/{cast.report.pk}/").status_code == 405


def test_the_public_sees_only_what_the_supervision_office_accepted(cast):
    from commitments.rules import Rag
    from commitments.services.progress import update_review_accept

    cast.report.is_public = True
    cast.report.save()

    def public_completed() -> int:
        board = cast.client(None).get(f"/public/{cast.report.pk}/").context["board"]
        return dict((rag, n) for rag, _label, n, _share in board.by_rag)[Rag.COMPLETED]

    before = public_completed()
    claim = record(cast.mine, cast.reporter, status="completed", percent=None)
    staff = cast.client("supervisor").get("/dashboard/").context["board"]
    assert dict((r, n) for r, _l, n, _s in staff.by_rag)[Rag.CLAIMED] >= 1  # staff see the claim
    assert public_completed() == before  # the public does not, until it is verified

    assert update_review_accept(update=claim, reviewer=cast.supervisor)
    assert public_completed() == before + 1
