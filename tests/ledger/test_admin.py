"""Django admin: every model's pages render for a superuser, with search and filters."""

import datetime as dt
from decimal import Decimal

import pytest
from django.contrib import admin
from django.urls import reverse

from commitments.models import Commitment, ProgressUpdate
from tests.support.factories import UserFactory


@pytest.fixture
def superuser(db):
    return UserFactory.create(username="root-admin", is_staff=True, is_superuser=True)


@pytest.fixture
def some_update(anyang):
    c = anyang.commitments.filter(targets__isnull=False).first()
    u = ProgressUpdate.objects.create(
        commitment=c,
        author=UserFactory.create(),
        as_of=dt.date(2017, 5, 1),
        claimed_status="in_progress",
        percent=Decimal("20"),
    )
    u.readings.create(target=c.targets.first(), value=Decimal("3"))
    return u


def app_models():
    return [m for m in admin.site._registry if m._meta.app_label == "commitments"]


@pytest.mark.parametrize("model", app_models(), ids=lambda m: m.__name__)
def test_changelist_search_and_change_page_render(client, superuser, anyang, some_update, model):
    client.force_login(superuser)
    name = f"admin:{model._meta.app_label}_{model._meta.model_name}"
    assert client.get(reverse(f"{name}_changelist")).status_code == 200
    assert client.get(reverse(f"{name}_changelist"), {"q": "安阳"}).status_code == 200
    obj = model.objects.first()
    if obj is not None:
        assert client.get(reverse(f"{name}_change", args=[obj.pk])).status_code == 200


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


def test_progress_updates_cannot_be_edited_in_admin(client, superuser, some_update):
    client.force_login(superuser)
    url = reverse("admin:commitments_progressupdate_change", args=[some_update.pk])
    client.post(url, {"narrative": "changed"})
    some_update.refresh_from_db()
    assert some_update.narrative == ""


def test_admin_history_of_a_commitment_is_kept(client, superuser, anyang):
    client.force_login(superuser)
    c = anyang.commitments.first()
    c.responsible_person = "李四"
    c.save()
    assert c.history.count() >= 2
    page = client.get(reverse("admin:commitments_commitment_history", args=[c.pk]))
    assert page.status_code == 200
    assert Commitment.history.filter(id=c.pk, responsible_person="李四").exists()
