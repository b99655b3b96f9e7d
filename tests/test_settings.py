import os
import subprocess
import sys
from pathlib import Path

from django.urls import reverse

ROOT = Path(__file__).resolve().parent.parent

PRODUCTION_ENV = {
    "DEBUG": "false",
    "SECRET_KEY": "k3#Q9v!x2Lp@7rTz$Wm4Yb8Nc6Hd1Fg5Js0Ku3Ea9Xo2Vi7Rq4Zt8Uy6Pw1Sl5Mn",
    "ALLOWED_HOSTS": "outside-in.example",
    "CSRF_TRUSTED_ORIGINS": "https://outside-in.example",
}


def run_manage(*args: str, env: dict[str, str]):
    full_env = {k: v for k, v in os.environ.items() if k not in {"DEBUG", "SECRET_KEY"}}
    full_env.update(env)
    return subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=full_env,
                          capture_output=True, text=True, timeout=120)


def test_deploy_check_is_clean_with_production_values():
    result = run_manage("check", "--deploy", "--fail-level", "WARNING", env=PRODUCTION_ENV)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_refuses_to_start_without_a_secret_key():
    env = {**PRODUCTION_ENV, "SECRET_KEY": ""}
    result = run_manage("check", env=env)
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_every_page_carries_a_content_security_policy(client, db):
    response = client.get(reverse("accounts:login"))
    policy = response["Content-Security-Policy"]
    assert "default-src 'self'" in policy
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy
    assert "frame-ancestors 'none'" in policy


def test_pages_are_dutch_by_default_with_an_english_switch(client, db):
    page = client.get(reverse("accounts:login")).content.decode()
    assert 'lang="nl"' in page and "Inloggen" in page
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    page = client.get(reverse("accounts:login")).content.decode()
    assert 'lang="en"' in page and "Log in" in page


def test_session_time_out_and_rate_limits_come_from_the_environment():
    code = ("from django.conf import settings; "
            "print(settings.SESSION_IDLE_TIMEOUT, settings.RATE_LIMITS['login'])")
    result = run_manage("shell", "-c", code, env={"SESSION_IDLE_TIMEOUT": "600", "RATE_LIMIT_LOGIN": "5/60"})
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1].split() == ["600", "5/60"]
    result = run_manage("check", env={"RATE_LIMIT_EXPORT": "lots"})
    assert result.returncode != 0 and "RATE_LIMIT_EXPORT" in result.stderr
