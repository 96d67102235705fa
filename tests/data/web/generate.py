"""Generates the CSRF fixtures in this directory with the real Django.

    python -m venv venv && venv/bin/pip install django
    venv/bin/python tests/data/web/generate.py

Writes csrf_tokens.json (secrets, tokens from get_token, and the format verdicts of
_check_token_format), csrf_middleware.json (CsrfViewMiddleware.process_view
verdicts over a set of requests and settings) and security_headers.json (the
headers SecurityMiddleware and XFrameOptionsMiddleware add, and the HTTPS
redirect, over a set of settings and requests). The Rust tests read all three.
"""

import json
import os
import sys

import django
from django.conf import settings

settings.configure(
    SECRET_KEY="fixture-generation-only",
    ALLOWED_HOSTS=["*"],
    USE_TZ=True,
)
django.setup()

from django.core.exceptions import DisallowedHost  # noqa: E402
from django.middleware import csrf  # noqa: E402
from django.test import RequestFactory, override_settings  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))


def tokens():
    factory = RequestFactory()
    secrets = [
        "a" * 32,
        "9" * 32,
        "abcdefghijklmnopqrstuvwxyzABCDEF",
        "GHIJKLMNOPQRSTUVWXYZ0123456789ab",
    ] + [csrf._get_new_csrf_string() for _ in range(16)]
    rows = []
    for secret in secrets:
        for _ in range(2):
            request = factory.get("/")
            request.META["CSRF_COOKIE"] = secret
            token = csrf.get_token(request)
            assert csrf._unmask_cipher_token(token) == secret
            rows.append({"secret": secret, "token": token})
    formats = []
    for text in [
        "",
        "a",
        "a" * 31,
        "a" * 32,
        "a" * 33,
        "a" * 63,
        "a" * 64,
        "a" * 65,
        "a" * 31 + "!",
        "a" * 31 + "-",
        "a" * 63 + "_",
        "a" * 31 + " ",
        "a" * 31 + "\u00e9",
    ]:
        try:
            csrf._check_token_format(text)
            verdict = None
        except csrf.InvalidTokenFormat as exc:
            verdict = exc.reason
        formats.append({"text": text, "error": verdict})
    return {"django": django.get_version(), "tokens": rows, "formats": formats}


class Recorder(csrf.CsrfViewMiddleware):
    def _reject(self, request, reason):
        return reason


def view(request):
    return None


SECRET = "abcdefghijklmnopqrstuvwxyzABCDEF"


def middleware_cases():
    good_masked = csrf._mask_cipher_secret(SECRET)
    other = "Z" * 32
    settings_sets = [
        {"trusted": [], "cookie_domain": None, "allowed_hosts": ["*"]},
        {
            "trusted": ["https://trusted.example", "https://*.wild.example", "http://plain.example:8080"],
            "cookie_domain": None,
            "allowed_hosts": ["*"],
        },
        {"trusted": [], "cookie_domain": ".example.com", "allowed_hosts": ["*"]},
        {"trusted": [], "cookie_domain": None, "allowed_hosts": ["allowed.example"]},
    ]
    base = {
        "method": "POST",
        "secure": True,
        "host": "www.example.com",
        "port": "443",
        "origin": None,
        "referer": None,
        "cookie": SECRET,
        "form_token": good_masked,
        "header_token": None,
    }
    variants = []

    def add(**changes):
        case = dict(base)
        case.update(changes)
        variants.append(case)

    # Methods.
    for method in ["GET", "HEAD", "OPTIONS", "TRACE", "POST", "PUT", "DELETE", "PATCH", "get"]:
        add(method=method, cookie=None, form_token=None, origin="https://evil.example")
    # Origins.
    for origin in [
        "https://www.example.com",
        "http://www.example.com",
        "https://WWW.example.com",
        "https://www.example.com:443",
        "https://evil.example",
        "null",
        "https://trusted.example",
        "https://trusted.example/",
        "https://a.wild.example",
        "https://wild.example",
        "https://A.wild.example",
        "http://a.wild.example",
        "https://a.b.wild.example",
        "https://badwild.example",
        "http://plain.example:8080",
        "http://plain.example",
        "https://[::1",
        "",
    ]:
        add(origin=origin)
        add(origin=origin, secure=False)
    # Referers (HTTPS without Origin).
    for referer in [
        None,
        "https://www.example.com/page",
        "https://www.example.com:443/page",
        "http://www.example.com/page",
        "https://evil.example/page",
        "https://trusted.example/x",
        "https://a.wild.example/x",
        "https://wild.example/x",
        "https://sub.example.com/x",
        "https://example.com/x",
        "https://www.example.com:8443/x",
        "/relative",
        "https:///nohost",
        "https://[::1/",
        "www.example.com/page",
        "HTTPS://www.example.com/page",
        "https://WWW.EXAMPLE.COM/page",
    ]:
        add(referer=referer)
        add(referer=referer, port="8443")
        add(referer=referer, secure=False)
    # Hosts with ports.
    add(host="www.example.com:8443", port="8443", referer="https://www.example.com:8443/x")
    add(host="www.example.com:8443", port="8443", origin="https://www.example.com:8443")
    add(host="disallowed.example", origin="https://disallowed.example")
    add(host="disallowed.example", referer="https://disallowed.example/x")
    # Cookies and tokens.
    origin_ok = "https://www.example.com"
    for cookie, form, header in [
        (None, good_masked, None),
        (SECRET, good_masked, None),
        (SECRET, SECRET, None),
        (SECRET, None, good_masked),
        (SECRET, None, SECRET),
        (SECRET, "", good_masked),
        (SECRET, None, None),
        (SECRET, "", None),
        (SECRET, None, ""),
        (SECRET, other, None),
        (SECRET, None, other),
        (SECRET, "short", None),
        (SECRET, None, "short"),
        (SECRET, "!" * 32, None),
        (SECRET, None, "!" * 64),
        (good_masked, SECRET, None),
        (good_masked, good_masked, None),
        ("short", SECRET, None),
        ("!" * 32, SECRET, None),
        ("", SECRET, None),
        (other, SECRET, None),
        (SECRET, good_masked[:63] + "a", None),
    ]:
        add(origin=origin_ok, cookie=cookie, form_token=form, header_token=header)
        add(origin=origin_ok, cookie=cookie, form_token=form, header_token=header, method="PUT")
    cases = []
    for index, config in enumerate(settings_sets):
        for req in variants:
            cases.append(run_case(index, config, req))
    return {"django": django.get_version(), "settings": settings_sets, "cases": cases}


def run_case(index, config, req):
    factory = RequestFactory()
    with override_settings(
        CSRF_TRUSTED_ORIGINS=config["trusted"],
        CSRF_COOKIE_DOMAIN=config["cookie_domain"],
        ALLOWED_HOSTS=config["allowed_hosts"],
    ):
        extra = {"HTTP_HOST": req["host"], "SERVER_PORT": req["port"]}
        if req["origin"] is not None:
            extra["HTTP_ORIGIN"] = req["origin"]
        if req["referer"] is not None:
            extra["HTTP_REFERER"] = req["referer"]
        if req["header_token"] is not None:
            extra["HTTP_X_CSRFTOKEN"] = req["header_token"]
        data = {}
        if req["form_token"] is not None:
            data["csrfmiddlewaretoken"] = req["form_token"]
        request = factory.generic(
            req["method"],
            "/submit/",
            data="&".join(f"{k}={v}" for k, v in data.items()),
            content_type="application/x-www-form-urlencoded",
            secure=req["secure"],
            **extra,
        )
        if req["cookie"] is not None:
            request.COOKIES[settings.CSRF_COOKIE_NAME] = req["cookie"]
        try:
            host = request.get_host()
        except DisallowedHost:
            host = None
        middleware = Recorder(lambda r: None)
        middleware.process_request(request)
        verdict = middleware.process_view(request, view, (), {})
    out = dict(req)
    out["method"] = request.method
    out["settings"] = index
    out["django_host"] = host
    out["port"] = int(req["port"])
    out["rejected"] = verdict
    return out


SECURITY_SETTINGS = [
    {},
    {"SECURE_HSTS_SECONDS": 3600},
    {
        "SECURE_HSTS_SECONDS": 63072000,
        "SECURE_HSTS_INCLUDE_SUBDOMAINS": True,
        "SECURE_HSTS_PRELOAD": True,
    },
    {
        "SECURE_CONTENT_TYPE_NOSNIFF": False,
        "SECURE_REFERRER_POLICY": ["no-referrer", "strict-origin-when-cross-origin"],
        "SECURE_CROSS_ORIGIN_OPENER_POLICY": "same-origin-allow-popups",
        "X_FRAME_OPTIONS": "SAMEORIGIN",
    },
    {"SECURE_REFERRER_POLICY": None, "SECURE_CROSS_ORIGIN_OPENER_POLICY": None},
    {"SECURE_SSL_REDIRECT": True},
    # Django's exempt entries are regular expressions; this crate takes prefixes,
    # so the fixtures use anchored patterns, which mean the same.
    {
        "SECURE_SSL_REDIRECT": True,
        "SECURE_SSL_HOST": "secure.example.com:8443",
        "SECURE_REDIRECT_EXEMPT": ["^healthz", "^api/ping"],
    },
]


def security_cases():
    from django.http import HttpResponse
    from django.middleware.clickjacking import XFrameOptionsMiddleware
    from django.middleware.security import SecurityMiddleware

    factory = RequestFactory()
    requests = []
    for secure in (True, False):
        for preset in ([], ["Referrer-Policy"], ["Strict-Transport-Security", "X-Frame-Options"]):
            for path in ("/", "/cart?item=1", "/healthz/live", "/api/ping", "/api/pong"):
                requests.append({"secure": secure, "preset": preset, "path": path})
    cases = []
    for index, config in enumerate(SECURITY_SETTINGS):
        with override_settings(**config):
            for req in requests:
                request = factory.get(req["path"], secure=req["secure"], HTTP_HOST="www.example.com")
                security = SecurityMiddleware(lambda r: None)
                redirect = security.process_request(request)
                location = redirect["Location"] if redirect is not None else None
                response = HttpResponse()
                for name in list(response.headers):
                    del response.headers[name]
                for name in req["preset"]:
                    response.headers[name] = "preset"
                response = security.process_response(request, response)
                response = XFrameOptionsMiddleware(lambda r: None).process_response(request, response)
                added = {k: v for k, v in response.headers.items() if k not in req["preset"]}
                cases.append(dict(req, settings=index, added=added, redirect=location))
    return {"django": django.get_version(), "settings": SECURITY_SETTINGS, "cases": cases}


def main():
    with open(os.path.join(HERE, "csrf_tokens.json"), "w") as f:
        json.dump(tokens(), f, indent=1, ensure_ascii=False)
        f.write("\n")
    with open(os.path.join(HERE, "csrf_middleware.json"), "w") as f:
        json.dump(middleware_cases(), f, indent=1, ensure_ascii=False)
        f.write("\n")
    with open(os.path.join(HERE, "security_headers.json"), "w") as f:
        json.dump(security_cases(), f, indent=1, ensure_ascii=False)
        f.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
