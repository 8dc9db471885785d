"""Shared fixtures.

The bundled 2017 Anyang report is seeded once per test database (django_db_setup), so
every test that asks for ``anyang`` sees the real ledger without paying for the seed.
"""

import pytest
from django.core.management import call_command

from commitments.models import Report


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        call_command("seed_report", no_progress=True, verbosity=0)


@pytest.fixture
def anyang(db) -> Report:
    return Report.objects.get(place="安阳市", year=2017)
