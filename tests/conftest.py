"""Shared fixtures.

The bundled 2017 Anyang report is seeded once per test database (django_db_setup), so
every test that asks for ``anyang`` sees the real ledger without paying for the seed.

Passwords are hashed with a fast hasher in the tests, as Django's testing docs advise:
PBKDF2 is slow on purpose (about 0.17 s a hash here), and the suite creates and logs in
hundreds of users. Production keeps Django's default hashers (tracker.settings).
"""

import pytest
from django.core.management import call_command
from django.test import override_settings

from commitments.models import Report


@pytest.fixture(scope="session", autouse=True)
def fast_password_hashing():
    with override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]):
        yield


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        call_command("seed_report", no_progress=True, verbosity=0)


@pytest.fixture
def anyang(db) -> Report:
    return Report.objects.get(place="安阳市", year=2017)
