"""Generates django_checks.json: Django 5.2's own `check --deploy` security findings
for many combinations of the settings `portcullis::deploy` reads.

Run it from a virtualenv outside the repository that has Django 5.2 installed:

    python3 -m venv VENV && VENV/bin/pip install 'Django==5.2.*'
    VENV/bin/python tests/data/deploy/generate.py > tests/data/deploy/django_checks.json

Django is configured as the service the crate assumes: SecurityMiddleware,
SessionMiddleware (and django.contrib.sessions installed), CsrfViewMiddleware and
XFrameOptionsMiddleware. Every setting a case leaves out keeps Django's default
(a case without SECRET_KEY runs with it empty, Django's global default).

Each finding's message is Django's `msg`, followed by "\n\tHINT: " and the hint when
there is one, as CheckMessage.__str__ renders them after its "obj: (id) " prefix.
Django's check registry is a set, so its order is not defined; the findings are put
in the order the checks appear in Django's source (base, csrf, sessions).
"""

import itertools
import json
import random
import sys

import django
from django.conf import settings

settings.configure(
    INSTALLED_APPS=[
        "django.contrib.auth",
        "django.contrib.contenttypes",
        "django.contrib.sessions",
    ],
    MIDDLEWARE=[
        "django.middleware.security.SecurityMiddleware",
        "django.contrib.sessions.middleware.SessionMiddleware",
        "django.middleware.csrf.CsrfViewMiddleware",
        "django.middleware.clickjacking.XFrameOptionsMiddleware",
    ],
    DATABASES={},
    # override_settings reads SECRET_KEY back when it exits, which raises while it is
    # empty; each case sets it ("" for a case that leaves it out, Django's default).
    SECRET_KEY="placeholder-restored-between-cases",
)
django.setup()

from django.core.checks import Tags, run_checks  # noqa: E402
from django.test.utils import override_settings  # noqa: E402

assert django.VERSION[:2] == (5, 2), django.VERSION

ORDER = [
    "security.W001", "security.W002", "security.W004", "security.W005",
    "security.W021", "security.W006", "security.W008", "security.W009",
    "security.W025", "security.W018", "security.W019", "security.W020",
    "security.W022", "security.E023", "security.E024", "security.W003",
    "security.W016", "security.W010", "security.W011", "security.W012",
    "security.W013", "security.W014", "security.W015",
]
LEVELS = {10: "debug", 20: "info", 30: "warning", 40: "error", 50: "critical"}

STRONG = "k7#Qz9!vR2mL$wX4pN8@tB6^yH1&cF3*jD5(gS0)eA-uM+oI=rW_qE[lT]"
WEAK_KEYS = {
    "empty": "",
    "insecure": "django-insecure-" + STRONG,
    "short": "k7#Qz9!vR2mL$wX4pN8@",
    "few_unique": "abcd" * 20,
    "exactly_50": STRONG[:50],
    "49": STRONG[:49],
    "unicode": "é" * 10 + "ü" * 10 + "ß" * 10 + "ø" * 10 + "ñ" * 10,
    "five_unique": "abcde" * 10,
}

SECURE = {
    "DEBUG": False,
    "SECRET_KEY": STRONG,
    "SECRET_KEY_FALLBACKS": [],
    "ALLOWED_HOSTS": ["api.example.com"],
    "SECURE_HSTS_SECONDS": 31536000,
    "SECURE_HSTS_INCLUDE_SUBDOMAINS": True,
    "SECURE_HSTS_PRELOAD": True,
    "SECURE_CONTENT_TYPE_NOSNIFF": True,
    "SECURE_SSL_REDIRECT": True,
    "X_FRAME_OPTIONS": "DENY",
    "SECURE_REFERRER_POLICY": "same-origin",
    "SECURE_CROSS_ORIGIN_OPENER_POLICY": "same-origin",
    "SESSION_COOKIE_SECURE": True,
    "SESSION_COOKIE_HTTPONLY": True,
    "CSRF_COOKIE_SECURE": True,
    "CSRF_USE_SESSIONS": False,
}

VARIANTS = {
    "DEBUG": [True, False],
    "SECRET_KEY": [STRONG] + list(WEAK_KEYS.values()),
    "SECRET_KEY_FALLBACKS": [
        [],
        [STRONG],
        [WEAK_KEYS["short"]],
        [STRONG, WEAK_KEYS["insecure"], STRONG, WEAK_KEYS["few_unique"]],
    ],
    "ALLOWED_HOSTS": [[], ["api.example.com"], ["*"], [".example.com", "localhost"]],
    "SECURE_HSTS_SECONDS": [0, 1, 3600, 31536000, 63072000],
    "SECURE_HSTS_INCLUDE_SUBDOMAINS": [True, False],
    "SECURE_HSTS_PRELOAD": [True, False],
    "SECURE_CONTENT_TYPE_NOSNIFF": [True, False],
    "SECURE_SSL_REDIRECT": [True, False],
    "X_FRAME_OPTIONS": ["DENY", "SAMEORIGIN", "deny"],
    "SECURE_REFERRER_POLICY": [
        None,
        "same-origin",
        "no-referrer",
        "strict-origin-when-cross-origin",
        "nonsense",
        "no-referrer, strict-origin-when-cross-origin",
        "no-referrer,nonsense",
        " same-origin ",
        "",
        ["no-referrer", "same-origin"],
        ["no-referrer", "nonsense"],
        [],
    ],
    "SECURE_CROSS_ORIGIN_OPENER_POLICY": [
        None,
        "same-origin",
        "same-origin-allow-popups",
        "unsafe-none",
        "nonsense",
        "Same-Origin",
        "",
    ],
    "SESSION_COOKIE_SECURE": [True, False],
    "SESSION_COOKIE_HTTPONLY": [True, False],
    "CSRF_COOKIE_SECURE": [True, False],
    "CSRF_USE_SESSIONS": [True, False],
}


def findings(case):
    with override_settings(**{"SECRET_KEY": "", **case}):
        messages = run_checks(include_deployment_checks=True, tags=[Tags.security])
    out = []
    for m in messages:
        assert m.id in ORDER, m.id
        text = m.msg + ("\n\tHINT: %s" % m.hint if m.hint else "")
        out.append({"id": m.id, "level": LEVELS[m.level], "message": text})
    return sorted(out, key=lambda f: ORDER.index(f["id"]))


def cases():
    yield {}
    yield dict(SECURE)
    # Each setting, each value, the others secure; and the others at Django's defaults.
    for name, values in VARIANTS.items():
        for value in values:
            yield {**SECURE, name: value}
            yield {name: value}
    # Pairs that interact: HSTS off with its flags, CSRF cookie with CSRF_USE_SESSIONS.
    for a, b in [
        ("SECURE_HSTS_SECONDS", "SECURE_HSTS_INCLUDE_SUBDOMAINS"),
        ("SECURE_HSTS_SECONDS", "SECURE_HSTS_PRELOAD"),
        ("CSRF_COOKIE_SECURE", "CSRF_USE_SESSIONS"),
        ("SESSION_COOKIE_SECURE", "SESSION_COOKIE_HTTPONLY"),
    ]:
        for va, vb in itertools.product(VARIANTS[a], VARIANTS[b]):
            yield {**SECURE, a: va, b: vb}
    # Random combinations over every setting, some left out.
    rng = random.Random(18)
    for _ in range(300):
        case = {}
        for name, values in VARIANTS.items():
            if rng.random() < 0.8:
                case[name] = rng.choice(values)
        yield case


def main():
    seen = set()
    out = []
    for case in cases():
        key = json.dumps(case, sort_keys=True)
        if key in seen:
            continue
        seen.add(key)
        out.append({"settings": case, "findings": findings(case)})
    json.dump(
        {"django": django.get_version(), "cases": out},
        sys.stdout,
        indent=1,
        ensure_ascii=False,
    )
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
