"""APP_ENV=production: `check --deploy` comes out clean, and unsafe settings stop start-up
with a message. Each case starts a fresh `manage.py` with its own environment."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

MANAGE = Path(settings.BASE_DIR) / "manage.py"
KEY = "Zr8" + "q-4v_LpX2mWc9TnB7yKd3HsF6gJ1aQeRuVo5iZtNbMkEwCxY0lP"  # 52 characters


def run(tmp_path: Path, *args: str, **overrides: str | None) -> subprocess.CompletedProcess:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DJANGO_", "APP_ENV", "DEBUG", "SECRET_KEY"))
    }
    env.update(
        {
            "APP_ENV": "production",
            "SECRET_KEY": KEY,
            "ALLOWED_HOSTS": "duban.example.gov.cn",
            "CSRF_TRUSTED_ORIGINS": "https://duban.example.gov.cn",
            "SITE_URL": "https://duban.example.gov.cn",
            "VAR_DIR": str(tmp_path),
            "DATABASE_URL": f"sqlite:///{tmp_path / 'prod.sqlite3'}",
            "PYTHONDONTWRITEBYTECODE": "1",
        }
    )
    for key, value in overrides.items():
        if value is None:
            env.pop(key, None)
        else:
            env[key] = value
    return subprocess.run(
        [sys.executable, str(MANAGE), *args],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_check_deploy_is_clean_in_production(tmp_path):
    result = run(tmp_path, "check", "--deploy", "--fail-level", "WARNING")
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "WARNING" not in output and "?:" not in output
    assert "System check identified no issues" in output


def test_check_deploy_clean_behind_a_tls_proxy(tmp_path):
    result = run(
        tmp_path, "check", "--deploy", "--fail-level", "WARNING", TRUST_X_FORWARDED_PROTO="true"
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_production_values(tmp_path):
    code = (
        "from django.conf import settings as s;"
        "print(s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.SECURE_SSL_REDIRECT,"
        " s.SECURE_HSTS_SECONDS, s.SECURE_HSTS_INCLUDE_SUBDOMAINS, s.DEBUG,"
        " s.ALLOWED_HOSTS, s.CSRF_TRUSTED_ORIGINS, getattr(s, 'SECURE_PROXY_SSL_HEADER', None))"
    )
    out = run(
        tmp_path,
        "shell",
        "-c",
        code,
        TRUST_X_FORWARDED_PROTO="true",
        SECURE_HSTS_INCLUDE_SUBDOMAINS="false",
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip().splitlines()[-1] == (
        "True True True 31536000 False False ['duban.example.gov.cn'] "
        "['https://duban.example.gov.cn'] ('HTTP_X_FORWARDED_PROTO', 'https')"
    )


@pytest.mark.parametrize("secret", [None, "", "short-key", "a" * 60])
def test_missing_or_weak_secret_key_stops_start_up(tmp_path, secret):
    result = run(tmp_path, "check", SECRET_KEY=secret)
    assert result.returncode != 0
    assert "SECRET_KEY is missing or too short" in result.stderr


def test_debug_true_is_refused_in_production(tmp_path):
    result = run(tmp_path, "check", DEBUG="true")
    assert result.returncode != 0
    assert "DEBUG=true is refused with APP_ENV=production" in result.stderr


@pytest.mark.parametrize("name", ["ALLOWED_HOSTS", "CSRF_TRUSTED_ORIGINS"])
def test_hosts_and_origins_are_required_in_production(tmp_path, name):
    result = run(tmp_path, "check", **{name: None})
    assert result.returncode != 0
    assert f"{name} is required with APP_ENV=production" in result.stderr


def test_development_needs_none_of_it(tmp_path):
    result = run(
        tmp_path,
        "check",
        APP_ENV="development",
        SECRET_KEY=None,
        ALLOWED_HOSTS=None,
        CSRF_TRUSTED_ORIGINS=None,
    )
    assert result.returncode == 0, result.stderr
