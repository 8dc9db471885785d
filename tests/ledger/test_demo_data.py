"""demo_data: departments, users for each role, lead units for every commitment, and a
plausible progress history through --as-of, all marked as demo; safe to run again."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.db.models import Count

from commitments.models import Commitment, Department, Membership, ProgressUpdate
from commitments.rules import Rag
from commitments.selectors.states import commitment_states, end_of_day


def run(**kw) -> str:
    out = io.StringIO()
    call_command("demo_data", stdout=out, **kw)
    return out.getvalue()


def test_refuses_in_production(anyang, settings):
    settings.PRODUCTION = True
    with pytest.raises(CommandError, match="production"):
        run()
    assert not ProgressUpdate.objects.exists()


def test_demo_history(anyang):
    output = run(as_of="2017-05-31")
    assert "演示数据 DEMO DATA" in output
    assert "duchashi" in output and "duchashi-2017" in output  # printed passwords (development)

    assert Department.objects.filter(is_supervision_office=True, name="市政府督查室").exists()
    assert {"市环境保护局", "市财政局", "市住房和城乡建设局"} <= set(
        Department.objects.values_list("name", flat=True)
    )
    roles = set(Membership.objects.values_list("role", flat=True))
    assert roles == {"reporter", "manager", "supervisor", "leader"}
    assert get_user_model().objects.get(username="admin").is_superuser
    assert get_user_model().objects.get(username="hbj_lly").check_password("hbj_lly-2017")

    # every commitment has a lead unit, and keyword rules put pollution with the EPB
    assert not anyang.commitments.filter(lead_unit__isnull=True).exists()
    boiler = anyang.commitments.filter(text__contains="锅炉").first()
    assert boiler.lead_unit.name == "市环境保护局"

    updates = ProgressUpdate.objects.filter(commitment__report=anyang)
    assert updates.count() > 300
    assert not updates.filter(is_demo=False).exists()
    assert not updates.filter(created_at__gt=end_of_day(dt.date(2017, 5, 31))).exists()
    assert not updates.filter(reviewed_at__gt=end_of_day(dt.date(2017, 5, 31))).exists()
    states = dict(updates.values_list("review_state").annotate(n=Count("id")))
    assert states.get("accepted", 0) > states.get("returned", 0) > 0
    assert updates.filter(corrects__isnull=False).exists()  # returned, then corrected
    assert updates.filter(review_state="submitted").exists()  # the latest still waiting
    # a monthly report is written on the day it describes, a correction a few days later
    # about the same day: so the as-of rebuild sees each when it was written
    tz = end_of_day(dt.date(2017, 1, 1)).tzinfo
    for u in updates.select_related("corrects"):
        written = u.created_at.astimezone(tz).date()
        if u.corrects_id is None:
            assert written == u.as_of
        else:
            assert u.corrects is not None and u.corrects.reviewed_at is not None
            assert u.as_of == u.corrects.as_of
            assert written > u.corrects.reviewed_at.astimezone(tz).date() >= u.as_of

    # a living picture: some late, some stale, most moving
    lamps = [
        s.status.rag
        for s in commitment_states(anyang.commitments.all(), day=dt.date(2017, 5, 31)).values()
    ]
    assert lamps.count(Rag.GREEN) > 50
    assert lamps.count(Rag.YELLOW) > 0

    # idempotent: the same run again writes nothing
    before = (
        updates.count(),
        Commitment.objects.filter(report=anyang).values_list("lead_unit_id").count(),
    )
    again = run(as_of="2017-05-31")
    assert "demo updates written: 0" in again
    assert (updates.count(), before[1]) == before
    assert get_user_model().objects.filter(username="duchashi").count() == 1

    # a later day extends the same history without duplicating it
    run(as_of="2017-06-30")
    dupes = updates.values("commitment_id", "created_at").annotate(n=Count("id")).filter(n__gt=1)
    assert not dupes.exists()
    assert updates.count() > before[0]
    overdue = [
        s
        for s in commitment_states(anyang.commitments.all(), day=dt.date(2017, 7, 10)).values()
        if s.status.rag == Rag.RED
    ]
    assert overdue  # deadlines of 30 June have passed for some


def test_keeps_a_lead_unit_staff_already_set(anyang):
    dept = Department.objects.create(name="市自定义单位")
    c = anyang.commitments.first()
    Commitment.objects.filter(pk=c.pk).update(lead_unit=dept)
    run(as_of="2017-02-28")
    c.refresh_from_db()
    assert c.lead_unit == dept
