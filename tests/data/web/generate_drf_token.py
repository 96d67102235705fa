"""Generates drf_token.json with the real Django REST framework.

    python -m venv venv && venv/bin/pip install "django==5.2.*" djangorestframework
    venv/bin/python tests/data/web/generate_drf_token.py

Records what rest_framework.authentication.TokenAuthentication.authenticate does
with a set of Authorization headers (given as the latin-1 bytes the header
carries, in hex) against two stored tokens: one of an active user, one of an
inactive user. Also records keys from Token.generate_key(), so the Rust tests
check the key format. The Rust tests (tests/web_drf_token.rs) read the file.
"""

import json
import os

import django
from django.conf import settings

settings.configure(
    SECRET_KEY="fixture-generation-only",
    ALLOWED_HOSTS=["*"],
    USE_TZ=True,
    INSTALLED_APPS=[
        "django.contrib.contenttypes",
        "django.contrib.auth",
        "rest_framework",
        "rest_framework.authtoken",
    ],
    DATABASES={"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}},
)
django.setup()

from django.contrib.auth.models import User  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.test import RequestFactory  # noqa: E402
import rest_framework  # noqa: E402
from rest_framework.authentication import TokenAuthentication  # noqa: E402
from rest_framework.authtoken.models import Token  # noqa: E402
from rest_framework.exceptions import AuthenticationFailed  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))

ACTIVE_KEY = "0123456789abcdef0123456789abcdef01234567"
INACTIVE_KEY = "fedcba9876543210fedcba9876543210fedcba98"
UNKNOWN_KEY = "00000000000000000000000000000000000000ff"


def headers():
    a = ACTIVE_KEY.encode()
    return [
        b"",
        b"Token",
        b"Token   ",
        b"Token " + a,
        b"token " + a,
        b"TOKEN " + a,
        b"Token\t" + a,
        b"  Token   " + a + b"  ",
        b"Token\x0b" + a,
        b"Token\x0c" + a + b"\r\n",
        b"Token\x1c" + a,
        b"Tokens " + a,
        b"Bearer " + a,
        b"Token a b",
        b"Token " + a + b" extra",
        b"Token " + INACTIVE_KEY.encode(),
        b"Token " + UNKNOWN_KEY.encode(),
        b"Token " + ACTIVE_KEY.upper().encode(),
        b"Token " + a[:39],
        b"Token " + a + b"0",
        b"Token short",
        b"Token \xff\xfe",
        b"Token \xe9" + a,
        b"Token " + a + b"\xa0",
    ]


def outcome(header):
    request = RequestFactory().get("/", HTTP_AUTHORIZATION=header.decode("latin-1"))
    auth = TokenAuthentication()
    try:
        result = auth.authenticate(request)
    except AuthenticationFailed as e:
        return {
            "result": "refused",
            "detail": str(e.detail),
            "status": e.status_code,
            "www_authenticate": auth.authenticate_header(request),
        }
    if result is None:
        return {"result": "none"}
    return {"result": "user", "user": result[0].username}


def main():
    call_command("migrate", verbosity=0)
    alice = User.objects.create_user("alice")
    bob = User.objects.create_user("bob", is_active=False)
    Token.objects.create(user=alice, key=ACTIVE_KEY)
    Token.objects.create(user=bob, key=INACTIVE_KEY)
    cases = [{"header_hex": h.hex(), **outcome(h)} for h in headers()]
    out = {
        "drf_version": rest_framework.VERSION,
        "django_version": django.get_version(),
        "active_key": ACTIVE_KEY,
        "inactive_key": INACTIVE_KEY,
        "cases": cases,
        "generated_keys": [Token.generate_key() for _ in range(32)],
    }
    with open(os.path.join(HERE, "drf_token.json"), "w") as f:
        json.dump(out, f, indent=1)
        f.write("\n")


main()
