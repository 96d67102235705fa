#!/usr/bin/env python3
"""Interop fixtures for portcullis tokens, produced by the real SimpleJWT and PyJWT.

Run from the repository root after `cargo build -p portcullis-cli`:

    python -m venv venv && venv/bin/pip install "djangorestframework-simplejwt==5.5.1" \
        "PyJWT[crypto]==2.15.1" "Django==5.2.19" "djangorestframework==3.18.3" cryptography
    venv/bin/python tests/data/token/generate.py [path/to/portcullis]

Writes, beside this script:
- simplejwt_tokens.json: tokens SimpleJWT issued (HS256, RS256, ES256, EdDSA, with and
  without audience/issuer, an integer user id from older versions) with their keys,
  the time they were issued and SimpleJWT's own claims, for the Rust side to verify.
- rust_issued.json: tokens the portcullis CLI issued, each with SimpleJWT's verdict
  when it verifies it as its own kind ("accepted") and as a wrong kind (SimpleJWT's
  error message), so the Rust side can check both that SimpleJWT accepts them and
  that its own messages are SimpleJWT's.
The keys here are test keys made for these fixtures and nothing else.
"""

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from types import SimpleNamespace

import django
from django.conf import settings

HERE = Path(__file__).resolve().parent
SECRET_KEY = "django-insecure-portcullis-fixture-key-0123456789abcdef"

settings.configure(
    SECRET_KEY=SECRET_KEY,
    INSTALLED_APPS=["django.contrib.contenttypes", "django.contrib.auth", "rest_framework_simplejwt"],
    DATABASES={},
    USE_TZ=True,
)
django.setup()

import jwt  # noqa: E402  (PyJWT)
from cryptography.hazmat.primitives import serialization  # noqa: E402
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa  # noqa: E402
from rest_framework_simplejwt.backends import TokenBackend  # noqa: E402
from rest_framework_simplejwt.exceptions import TokenError  # noqa: E402
from rest_framework_simplejwt.tokens import (  # noqa: E402
    AccessToken,
    RefreshToken,
    SlidingToken,
    Token,
    UntypedToken,
)


def pem_pair(private):
    priv = private.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    pub = private.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode()
    return priv, pub


KEYS = {
    "HS256": (SECRET_KEY, SECRET_KEY),
    "RS256": pem_pair(rsa.generate_private_key(public_exponent=65537, key_size=2048)),
    "ES256": pem_pair(ec.generate_private_key(ec.SECP256R1())),
    "EdDSA": pem_pair(ed25519.Ed25519PrivateKey.generate()),
}


def use_backend(alg, audience=None, issuer=None, leeway=0):
    signing, verifying = KEYS[alg]
    Token._token_backend = TokenBackend(
        alg,
        signing,
        verifying if not alg.startswith("HS") else "",
        audience,
        issuer,
        None,
        leeway,
    )


def simplejwt_side():
    cases = []
    user = SimpleNamespace(id=42, pk=42, is_active=True)
    for alg in ["HS256", "RS256", "ES256", "EdDSA"]:
        for audience, issuer in [(None, None), ("api.example", "auth.example")]:
            if audience and alg != "HS256":
                continue
            use_backend(alg, audience, issuer)
            refresh = RefreshToken.for_user(user)
            refresh["role"] = "staff"
            access = refresh.access_token
            sliding = SlidingToken.for_user(user)
            for kind, token in [("refresh", refresh), ("access", access), ("sliding", sliding)]:
                text = str(token)
                cases.append(
                    {
                        "alg": alg,
                        "audience": audience,
                        "issuer": issuer,
                        "kind": kind,
                        "token": text,
                        "claims": jwt.decode(text, options={"verify_signature": False}),
                        "header": jwt.get_unverified_header(text),
                    }
                )
    # SimpleJWT before 5.5.1 wrote the user id as an integer; PyJWT signs it the same way.
    now = int(time.time())
    legacy = {"token_type": "access", "exp": now + 300, "iat": now, "jti": "0" * 31 + "1", "user_id": 42}
    text = jwt.encode(legacy, SECRET_KEY, algorithm="HS256")
    cases.append(
        {"alg": "HS256", "audience": None, "issuer": None, "kind": "access", "token": text,
         "claims": legacy, "header": jwt.get_unverified_header(text)}
    )
    keys = {alg: {"private": pair[0], "public": pair[1]} for alg, pair in KEYS.items()}
    return {"generator": versions(), "secret_key": SECRET_KEY, "keys": keys, "cases": cases}


CLASSES = {"access": AccessToken, "refresh": RefreshToken, "sliding": SlidingToken}
WRONG = {"access": "refresh", "refresh": "access", "sliding": "access"}


def verdict(cls, text):
    try:
        cls(text)
        return "accepted"
    except TokenError as err:
        return str(err.args[0]) if err.args else str(err)


def cli(binary, args, stdin, env):
    out = subprocess.run(
        [binary, *args], input=stdin, capture_output=True, text=True, env={**os.environ, **env}, check=False
    )
    if out.returncode != 0:
        raise SystemExit(f"portcullis {' '.join(args)} failed: {out.stderr}{out.stdout}")
    return [json.loads(line) for line in out.stdout.splitlines()]


def rust_side(binary):
    results = []
    for alg in ["HS256", "RS256", "ES256", "EdDSA"]:
        env = {"FIXTURE_KEY": KEYS[alg][0]}
        use_backend(alg)
        for kind in ["access", "refresh", "sliding"]:
            line = cli(
                binary,
                ["token", "issue", "--alg", alg, "--key-env", "FIXTURE_KEY", "--kind", kind],
                json.dumps({"user_id": "42", "role": "staff"}) + "\n",
                env,
            )[0]
            text = line["token"]
            results.append(rust_case(alg, kind, text, "issue"))
            if kind == "refresh":
                refreshed = cli(
                    binary,
                    ["token", "refresh", "--alg", alg, "--key-env", "FIXTURE_KEY", "--rotate"],
                    text + "\n",
                    env,
                )[0]
                results.append(rust_case(alg, "access", refreshed["access"], "refresh"))
                results.append(rust_case(alg, "refresh", refreshed["refresh"], "refresh --rotate"))
    # Past the leeway SimpleJWT says the token is expired; so must we.
    use_backend("HS256")
    old = cli(
        binary,
        ["token", "issue", "--alg", "HS256", "--key-env", "FIXTURE_KEY", "--kind", "access",
         "--now", str(int(time.time()) - 3600)],
        json.dumps({"user_id": "42"}) + "\n",
        {"FIXTURE_KEY": SECRET_KEY},
    )[0]["token"]
    expired = rust_case("HS256", "access", old, "issue --now an hour ago")
    results.append(expired)
    return {"generator": versions(), "secret_key": SECRET_KEY,
            "keys": {alg: {"private": p, "public": q} for alg, (p, q) in KEYS.items()},
            "checked_at": int(time.time()), "cases": results}


def rust_case(alg, kind, text, how):
    return {
        "alg": alg,
        "kind": kind,
        "how": how,
        "token": text,
        "simplejwt_as_kind": verdict(CLASSES[kind], text),
        "simplejwt_as_wrong_kind": verdict(CLASSES[WRONG[kind]], text),
        "wrong_kind": WRONG[kind],
        "simplejwt_untyped": verdict(UntypedToken, text),
    }


def versions():
    from importlib.metadata import version

    return {p: version(p) for p in ["djangorestframework-simplejwt", "PyJWT", "Django", "cryptography"]}


def main():
    binary = sys.argv[1] if len(sys.argv) > 1 else "target/debug/portcullis"
    (HERE / "simplejwt_tokens.json").write_text(json.dumps(simplejwt_side(), indent=1) + "\n")
    (HERE / "rust_issued.json").write_text(json.dumps(rust_side(binary), indent=1) + "\n")
    print("wrote simplejwt_tokens.json and rust_issued.json")


if __name__ == "__main__":
    main()
