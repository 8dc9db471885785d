"""Django admin: every model's pages show a real row, with search and filters; progress
cannot be edited; edits made through the admin are kept in the history with their author."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.contrib import admin
from django.urls import reverse

from commitments.admin import ProgressUpdateAdmin
from commitments.models import (
    Acknowledgement,
    Closure,
    Commitment,
    Department,
    Evidence,
    ExtensionRequest,
    Instruction,
    Membership,
    Milestone,
    ProgressUpdate,
    Report,
    ReportImport,
    Section,
    Target,
    TargetReading,
    UrgingNotice,
)
from tests.support.factories import DepartmentFactory, UserFactory
from tests.support.html import form_data, parse


@pytest.fixture
def superuser(db):
    return UserFactory.create(username="root-admin", is_staff=True, is_superuser=True)


@pytest.fixture
def some_update(anyang):
    c = anyang.commitments.get(kind="practical_matter", matter_number=1)
    u = ProgressUpdate.objects.create(
        commitment=c,
        author=UserFactory.create(username="yangli-author"),
        as_of=dt.date(2017, 5, 1),
        claimed_status="in_progress",
        percent=Decimal("20"),
        narrative="样例进展：已开工三条道路。",
    )
    u.readings.create(target=c.targets.get(order=1), value=Decimal("3"))
    return u


@pytest.fixture
def one_of_each(anyang, some_update) -> dict[type, object]:
    """A row of every model the admin shows, each with something recognisable in it."""
    c = some_update.commitment
    dept = DepartmentFactory.create(name="市样例档案局", short_name="样例档案局")
    member = Membership.objects.create(
        user=UserFactory.create(username="yangli-liaison"), department=dept, role="reporter"
    )
    milestone = Milestone.objects.create(
        commitment=c, title="样例节点：完成主体工程", due_date=dt.date(2017, 8, 31)
    )
    evidence = Evidence.objects.create(
        update=some_update, link="https://example.gov.cn/yangli.pdf", original_name="样例佐证.pdf"
    )
    office = UserFactory.create(username="yangli-office")
    day = dt.date(2017, 6, 1)
    ack = Acknowledgement.objects.create(
        commitment=c, department=dept, role="lead", assigned_on=day, assigned_by=office
    )
    ext = ExtensionRequest.objects.create(
        commitment=c,
        requested_by=office,
        requested_on=day,
        due_date_before=c.due_date,
        requested_due_date=c.due_date + dt.timedelta(days=60),
        reason="样例延期理由：征迁未完成",
    )
    notice = UrgingNotice.objects.create(
        commitment=c, department=dept, level="yellow", message="样例督办事项",
        issued_by=office, issued_on=day, reply_by=day + dt.timedelta(days=7),
    )  # fmt: skip
    instruction = Instruction.objects.create(
        commitment=c, author=office, text="样例批示：加快进度", created_on=day
    )
    closure = Closure.objects.create(
        commitment=c, update=some_update, closed_by=office, closed_on=day
    )
    draft = ReportImport.objects.create(
        source="2017年样例市政府工作报告".encode(), source_name="样例报告.txt", created_by=office
    )
    return {
        Acknowledgement: ack,
        ExtensionRequest: ext,
        UrgingNotice: notice,
        Instruction: instruction,
        Closure: closure,
        ReportImport: draft,
        Report: anyang,
        Section: anyang.sections.filter(level="chapter").order_by("order").first(),
        Department: dept,
        Membership: member,
        Commitment: c,
        ProgressUpdate: some_update,
        Target: c.targets.get(order=1),
        Milestone: milestone,
        Evidence: evidence,
        TargetReading: some_update.readings.get(),
    }


def _cases():
    # model, search term, a filter that keeps the row, one that drops it, text of the row
    return [
        (Report, lambda o: "安阳", {"is_public__exact": "0"}, {"is_public__exact": "1"},
         lambda o: o.title),
        (Section, lambda o: o.title, {"level__exact": "chapter"}, {"level__exact": "topic"},
         lambda o: o.key),
        (Department, lambda o: "样例档案", {"is_supervision_office__exact": "0"},
         {"is_supervision_office__exact": "1"}, lambda o: o.name),
        (Membership, lambda o: "yangli-liaison", {"role__exact": "reporter"},
         {"role__exact": "leader"}, lambda o: "yangli-liaison"),
        (Commitment, lambda o: o.code, {"kind__exact": "practical_matter"},
         {"kind__exact": "general"}, lambda o: o.code),
        (ProgressUpdate, lambda o: "样例进展", {"review_state__exact": "submitted"},
         {"review_state__exact": "accepted"}, lambda o: o.commitment.code),
        (Target, lambda o: "市政道路", {"unit__exact": "条"}, {"unit__exact": "亿元"},
         lambda o: o.text),
        (Milestone, lambda o: "样例节点", None, None, lambda o: o.title),
        (Evidence, lambda o: "样例佐证", None, None, lambda o: "样例佐证.pdf"),
        (TargetReading, lambda o: o.update.commitment.code, None, None,
         lambda o: o.target.metric),
        (Acknowledgement, lambda o: "样例档案", {"role__exact": "lead"}, {"role__exact": "co"},
         lambda o: o.commitment.code),
        (ExtensionRequest, lambda o: "样例延期理由", {"state__exact": "pending"},
         {"state__exact": "granted"}, lambda o: o.commitment.code),
        (UrgingNotice, lambda o: "样例督办事项", {"level__exact": "yellow"},
         {"level__exact": "red"}, lambda o: o.commitment.code),
        (Instruction, lambda o: "样例批示", None, None, lambda o: o.commitment.code),
        (Closure, lambda o: o.commitment.code, None, None, lambda o: o.commitment.code),
        (ReportImport, lambda o: "样例报告", {"state__exact": "draft"},
         {"state__exact": "published"}, lambda o: "样例报告.txt"),
    ]  # fmt: skip


def test_every_commitments_model_has_a_case():
    registered = {m for m in admin.site._registry if m._meta.app_label == "commitments"}
    assert registered == {case[0] for case in _cases()}


def _result_pks(response) -> list[int]:
    assert response.status_code == 200
    return [o.pk for o in response.context["cl"].result_list]


def _results_table(response) -> str:
    return parse(response.content).find("table", id="result_list").text


@pytest.mark.parametrize("case", _cases(), ids=lambda c: c[0].__name__)
def test_changelist_search_filters_and_change_page_show_the_row(
    client, superuser, one_of_each, case
):
    model, q, keep, drop, text = case
    obj = one_of_each[model]
    name = f"admin:{model._meta.app_label}_{model._meta.model_name}"
    client.force_login(superuser)
    changelist = reverse(f"{name}_changelist")

    listed = client.get(changelist)
    assert listed.context["cl"].result_count == model._default_manager.count() > 0
    q = q(obj)
    found = client.get(changelist, {"q": q})
    assert obj.pk in _result_pks(found)
    assert text(obj) in _results_table(found)
    assert _result_pks(client.get(changelist, {"q": "没有这样的内容zzz"})) == []
    if keep is not None:
        assert obj.pk in _result_pks(client.get(changelist, {"q": q, **keep}))
        assert obj.pk not in _result_pks(client.get(changelist, {"q": q, **drop}))

    page = client.get(reverse(f"{name}_change", args=[obj.pk]))
    assert page.status_code == 200
    assert text(obj) in page.content.decode()


def test_commitment_page_shows_the_verbatim_sentence_read_only(client, superuser, anyang):
    client.force_login(superuser)
    c = anyang.commitments.get(kind="practical_matter", matter_number=1)
    page = client.get(reverse("admin:commitments_commitment_change", args=[c.pk])).content.decode()
    assert c.text in page
    assert 'name="text"' not in page  # not an editable field
    assert "118" in page  # the targets inline


def test_commitment_filters_work(client, superuser, anyang):
    client.force_login(superuser)
    url = reverse("admin:commitments_commitment_changelist")
    response = client.get(url, {"kind__exact": "practical_matter"})
    assert response.context["cl"].result_count == 10
    assert response.content.decode().count("2017-2.S-") >= 10


def test_progress_updates_cannot_be_edited_in_admin(client, superuser, some_update, monkeypatch):
    """A complete, valid change form — what the browser would post had the admin offered
    one — is refused, and the row stays as it was written."""
    client.force_login(superuser)
    url = reverse("admin:commitments_progressupdate_change", args=[some_update.pk])

    # The admin offers no editable form; borrow the one it would render if it did.
    with monkeypatch.context() as m:
        m.setattr(ProgressUpdateAdmin, "has_change_permission", lambda *a, **k: True)
        page = parse(client.get(url).content)
        data = form_data(page.find("form", id="progressupdate_form"))
        data.update(narrative="改过的进展", percent="99", claimed_status="completed")
        model_admin = admin.site._registry[ProgressUpdate]
        request = client.get(url).wsgi_request
        form_class = model_admin.get_form(request, some_update, change=True)
        form = form_class(data, instance=ProgressUpdate.objects.get(pk=some_update.pk))
        assert form.is_valid(), form.errors  # the refusal below is not an invalid form
    assert "readings-TOTAL_FORMS" in data and "evidence-TOTAL_FORMS" in data

    response = client.post(url, data)
    assert response.status_code == 403
    some_update.refresh_from_db()
    assert (some_update.narrative, some_update.percent, some_update.claimed_status) == (
        "样例进展：已开工三条道路。",
        Decimal("20"),
        "in_progress",
    )
    # the read-only page has no field to edit, and no delete
    shown = client.get(url).content.decode()
    assert 'name="narrative"' not in shown and "/delete/" not in shown


def test_a_staff_user_without_change_permission_cannot_edit_a_commitment(client, anyang):
    from django.contrib.auth.models import Permission

    staff = UserFactory.create(username="staff-viewer", is_staff=True)
    staff.user_permissions.add(Permission.objects.get(codename="view_commitment"))
    c = anyang.commitments.get(kind="practical_matter", matter_number=1)
    client.force_login(staff)
    url = reverse("admin:commitments_commitment_change", args=[c.pk])
    page = client.get(url)
    assert page.status_code == 200 and c.text in page.content.decode()
    response = client.post(url, {"responsible_person": "李四", "due_date": "2017-12-31"})
    assert response.status_code == 403
    c.refresh_from_db()
    assert c.responsible_person != "李四"


def test_admin_history_of_a_commitment_is_kept(client, superuser, anyang):
    """An edit made through the admin's change form is in the history, with who made it."""
    client.force_login(superuser)
    c = anyang.commitments.get(kind="practical_matter", matter_number=1)
    url = reverse("admin:commitments_commitment_change", args=[c.pk])
    before = c.history.count()
    data = form_data(parse(client.get(url).content).find("form", id="commitment_form"))
    data["responsible_person"] = "李四"
    data["weight"] = "3"

    response = client.post(url, data)
    assert response.status_code == 302, response.context["errors"] if response.context else ""
    c.refresh_from_db()
    assert (c.responsible_person, c.weight) == ("李四", 3)
    assert c.history.count() == before + 1
    latest = c.history.latest()
    assert latest.history_type == "~"
    assert latest.history_user == superuser
    assert (latest.responsible_person, latest.prev_record.responsible_person) == ("李四", "")
    # the verbatim sentence did not move with the edit
    assert latest.text == latest.prev_record.text == c.text

    history = client.get(reverse("admin:commitments_commitment_history", args=[c.pk]))
    table = parse(history.content).find("table", id="change-history").text
    assert "root-admin" in table
