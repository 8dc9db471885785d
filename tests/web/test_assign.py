"""明责任、定时限: supervisors set lead and co-units, the responsible person, dates and
milestones from the UI, one at a time or in bulk from the ledger; every change shows in
the history."""

from __future__ import annotations

import datetime as dt

import pytest

from commitments.models import Commitment, Milestone
from tests.support.webutil import make_cast


@pytest.fixture
def cast(anyang):
    return make_cast(anyang)


def assign_data(cast, **overrides) -> dict:
    data = {
        "lead_unit": str(cast.dept.pk),
        "co_units": [str(cast.other_dept.pk)],
        "responsible_person": "李局长",
        "start_date": "2017-01-01",
        "due_date": "2017-10-31",
    }
    data.update(overrides)
    return data


def test_supervisor_assigns_units_person_and_due_date(cast):
    response = cast.client("supervisor").post(f"/c/{cast.theirs.pk}/assign/", assign_data(cast))
    assert response.status_code == 302
    c = Commitment.objects.get(pk=cast.theirs.pk)
    assert c.lead_unit == cast.dept
    assert list(c.co_units.all()) == [cast.other_dept]
    assert c.responsible_person == "李局长"
    assert c.due_date == dt.date(2017, 10, 31)
    # the history says who changed what
    latest = c.history.order_by("-history_date").first()
    assert latest.history_user == cast.supervisor
    page = cast.client("supervisor").get(f"/c/{c.pk}/").content.decode()
    assert "变更记录" in page
    assert "李局长" in page and "2017-10-31" in page
    assert "王督查" in page  # the supervisor's name on the change


def test_due_date_before_start_is_refused_with_a_clear_error(cast):
    before = Commitment.objects.get(pk=cast.theirs.pk)
    response = cast.client("supervisor").post(
        f"/c/{cast.theirs.pk}/assign/",
        assign_data(cast, start_date="2017-05-01", due_date="2017-04-30"),
    )
    assert response.status_code == 422
    assert "完成时限不能早于开始日期" in response.content.decode()
    after = Commitment.objects.get(pk=cast.theirs.pk)
    assert (after.due_date, after.lead_unit_id) == (before.due_date, before.lead_unit_id)


def test_lead_unit_is_not_also_a_co_unit(cast):
    cast.client("supervisor").post(
        f"/c/{cast.theirs.pk}/assign/",
        assign_data(cast, co_units=[str(cast.dept.pk), str(cast.other_dept.pk)]),
    )
    assert list(Commitment.objects.get(pk=cast.theirs.pk).co_units.all()) == [cast.other_dept]


def test_assigning_a_unit_gives_its_reporter_the_item(cast):
    reporter = cast.client("reporter")
    assert reporter.get(f"/c/{cast.theirs.pk}/").status_code == 403
    cast.client("supervisor").post(f"/c/{cast.theirs.pk}/assign/", assign_data(cast))
    assert reporter.get(f"/c/{cast.theirs.pk}/").status_code == 200


def test_milestones_added_and_removed_from_the_ui(cast):
    client = cast.client("supervisor")
    response = client.post(
        f"/c/{cast.mine.pk}/milestones/", {"m-title": "完成主体工程", "m-due_date": "2017-08-31"}
    )
    assert response.status_code == 302
    m = Milestone.objects.get(commitment=cast.mine)
    assert (m.title, m.due_date) == ("完成主体工程", dt.date(2017, 8, 31))
    page = client.get(f"/c/{cast.mine.pk}/").content.decode()
    assert "完成主体工程" in page
    client.post(f"/milestones/{m.pk}/delete/")
    assert not Milestone.objects.filter(pk=m.pk).exists()
    history = client.get(f"/c/{cast.mine.pk}/").content.decode()
    assert "节点新增" in history and "节点删除" in history


def test_milestone_needs_a_date(cast):
    cast.client("supervisor").post(f"/c/{cast.mine.pk}/milestones/", {"m-title": "无日期"})
    assert not Milestone.objects.exists()


def test_bulk_assignment_from_the_ledger(cast):
    ids = [str(c.pk) for c in (cast.mine, cast.shared, cast.theirs)]
    response = cast.client("supervisor").post(
        "/ledger/bulk-assign/",
        {
            "ids": ids,
            "lead_unit": str(cast.other_dept.pk),
            "due_date": "2017-11-15",
            "next": "/?kind=practical_matter",
        },
    )
    assert response.status_code == 302
    assert response["Location"] == "/?kind=practical_matter"
    rows = Commitment.objects.filter(pk__in=ids)
    assert {c.lead_unit_id for c in rows} == {cast.other_dept.pk}
    assert {c.due_date for c in rows} == {dt.date(2017, 11, 15)}
    for c in rows:
        assert c.history.order_by("-history_date").first().history_user == cast.supervisor


def test_bulk_due_date_before_a_start_date_changes_nothing(cast):
    Commitment.objects.filter(pk=cast.theirs.pk).update(
        start_date=dt.date(2017, 6, 1), due_date=dt.date(2017, 12, 31)
    )
    ids = [str(cast.mine.pk), str(cast.theirs.pk)]
    response = cast.client("supervisor").post(
        "/ledger/bulk-assign/", {"ids": ids, "due_date": "2017-05-01"}, follow=True
    )
    assert "完成时限不能早于开始日期" in response.content.decode()
    assert cast.theirs.code in response.content.decode()
    assert Commitment.objects.get(pk=cast.mine.pk).due_date == cast.mine.due_date  # all or nothing


def test_bulk_needs_a_selection_and_a_change(cast):
    client = cast.client("supervisor")
    r = client.post("/ledger/bulk-assign/", {"due_date": "2017-11-15"}, follow=True)
    assert "请先勾选任务" in r.content.decode()
    r = client.post("/ledger/bulk-assign/", {"ids": [str(cast.mine.pk)]}, follow=True)
    assert "请选择牵头单位或完成时限" in r.content.decode()


def test_ledger_shows_bulk_checkboxes_only_to_supervisors(cast):
    assert 'form="bulk"' in cast.client("supervisor").get("/").content.decode()
    assert 'form="bulk"' not in cast.client("leader").get("/").content.decode()
    assert 'form="bulk"' not in cast.client("reporter").get("/").content.decode()
