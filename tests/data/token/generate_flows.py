#!/usr/bin/env python3
"""Fixtures for the token flows (tests/token_flows_interop.rs), made by the real SimpleJWT.

Run from the repository root after `cargo build -p portcullis-cli`:

    python -m venv venv && venv/bin/pip install "djangorestframework-simplejwt==5.5.1" \
        "PyJWT[crypto]==2.15.1" "Django==5.2.19" "djangorestframework==3.18.3" cryptography
    venv/bin/python tests/data/token/generate_flows.py [path/to/portcullis]

Writes simplejwt_flows.json beside this script:
- refresh: a SimpleJWT refresh token (no `family` claim) with a ten-year lifetime, so
  the Redis suite, whose TTLs run on the real clock, can rotate and replay it;
- fractional: tokens with fractional `exp`/`nbf`/`iat` (RFC 7519 NumericDate) that
  PyJWT signed and SimpleJWT accepted, with the exact instants the Rust side checks;
- rust_millisecond_iat: a token the portcullis CLI issued on the real clock, whose
  `iat` carries milliseconds, with SimpleJWT's verdict on it;
- no_user: SimpleJWT's message and code for a token without a user id;
- revoke_token_claim: CHECK_REVOKE_TOKEN tokens from `for_user`, with the password
  hashes they were made for and SimpleJWT's `get_md5_hash_password` of each.
The secret is a test key made for these fixtures and nothing else.
"""

import json
import os
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace

import django
from django.conf import settings

HERE = Path(__file__).resolve().parent
SECRET_KEY = "django-insecure-portcullis-flows-fixture-key-0123456789"
TEN_YEARS = timedelta(days=3650)

settings.configure(
    SECRET_KEY=SECRET_KEY,
    INSTALLED_APPS=["django.contrib.contenttypes", "django.contrib.auth", "rest_framework_simplejwt"],
    DATABASES={},
    USE_TZ=True,
    SIMPLE_JWT={"REFRESH_TOKEN_LIFETIME": TEN_YEARS, "ACCESS_TOKEN_LIFETIME": TEN_YEARS},
)
django.setup()

import jwt  # noqa: E402  (PyJWT)
from rest_framework_simplejwt.authentication import JWTStatelessUserAuthentication  # noqa: E402
from rest_framework_simplejwt.exceptions import InvalidToken, TokenError  # noqa: E402
from rest_framework_simplejwt.settings import api_settings  # noqa: E402
from rest_framework_simplejwt.tokens import AccessToken, RefreshToken, UntypedToken  # noqa: E402
from rest_framework_simplejwt.utils import get_md5_hash_password  # noqa: E402

USER = SimpleNamespace(id=42, pk=42, is_active=True, password="")


def verdict(cls, text):
    try:
        cls(text)
        return "accepted"
    except TokenError as err:
        return str(err.args[0]) if err.args else str(err)


def decoded(text):
    return jwt.decode(text, options={"verify_signature": False})


def fractional_cases():
    now = time.time()
    cases = []
    for exp, nbf, iat in [
        (int(now) + 315_360_000 + 0.5, int(now) - 100 + 0.75, int(now) - 200 + 0.25),
        (int(now) + 315_360_000 + 0.001, None, int(now) - 1 + 0.999),
    ]:
        claims = {"token_type": "access", "exp": exp, "iat": iat,
                  "jti": "f" * 32, "user_id": "42"}
        if nbf is not None:
            claims["nbf"] = nbf
        text = jwt.encode(claims, SECRET_KEY, algorithm="HS256")
        cases.append({"token": text, "claims": decoded(text),
                      "simplejwt": verdict(AccessToken, text)})
    return cases


def rust_millisecond_iat(binary):
    # The real clock: retry until the millisecond part is not zero.
    for _ in range(10):
        out = subprocess.run(
            [binary, "token", "issue", "--alg", "HS256", "--key-env", "FIXTURE_KEY", "--kind", "access"],
            input=json.dumps({"user_id": "42"}) + "\n", capture_output=True, text=True,
            env={**os.environ, "FIXTURE_KEY": SECRET_KEY}, check=True,
        )
        text = json.loads(out.stdout.splitlines()[0])["token"]
        if isinstance(decoded(text)["iat"], float):
            return {"token": text, "claims": decoded(text),
                    "simplejwt_access": verdict(AccessToken, text),
                    "simplejwt_untyped": verdict(UntypedToken, text)}
    raise SystemExit("the CLI never issued a fractional iat")


def no_user():
    token = AccessToken()
    text = str(token)
    try:
        JWTStatelessUserAuthentication().get_user(AccessToken(text))
        raise SystemExit("SimpleJWT accepted a token without a user id")
    except InvalidToken as err:
        body = {key: str(value) for key, value in err.detail.items()}
        return {"token": text, "claims": decoded(text), "body": body,
                "status": err.status_code, "simplejwt_untyped": verdict(UntypedToken, text)}


def revoke_token_claim():
    api_settings.CHECK_REVOKE_TOKEN = True
    cases = []
    for password in [
        "pbkdf2_sha256$1000000$fixturesalt$7v0pP2y1cE1I3lP7Q0mJm2fS0x8e3xqgq3P3Jv6m2aI=",
        "argon2$argon2id$v=19$m=102400,t=2,p=8$c2FsdHNhbHQ$0ql2z8A5f2GkCqVnF7L9Xw",
        "!unusable-password-\u00e9",
    ]:
        user = SimpleNamespace(id=42, pk=42, is_active=True, password=password)
        token = RefreshToken.for_user(user)
        text = str(token)
        cases.append({"password_hash": password, "md5": get_md5_hash_password(password),
                      "claim": api_settings.REVOKE_TOKEN_CLAIM, "token": text, "claims": decoded(text)})
    api_settings.CHECK_REVOKE_TOKEN = False
    return {"claim": api_settings.REVOKE_TOKEN_CLAIM, "message": "The user's password has been changed.",
            "code": "password_changed", "cases": cases}


def versions():
    from importlib.metadata import version

    return {p: version(p) for p in ["djangorestframework-simplejwt", "PyJWT", "Django"]}


def main():
    binary = sys.argv[1] if len(sys.argv) > 1 else "target/debug/portcullis"
    refresh = RefreshToken.for_user(USER)
    refresh["role"] = "staff"
    out = {
        "generator": versions(),
        "secret_key": SECRET_KEY,
        "refresh": {"token": str(refresh), "claims": decoded(str(refresh))},
        "fractional": fractional_cases(),
        "rust_millisecond_iat": rust_millisecond_iat(binary),
        "no_user": no_user(),
        "revoke_token_claim": revoke_token_claim(),
    }
    (HERE / "simplejwt_flows.json").write_text(json.dumps(out, indent=1) + "\n")
    print("wrote simplejwt_flows.json")


if __name__ == "__main__":
    main()
