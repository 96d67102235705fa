"""Generates the rate-limit compatibility fixtures from the real Python packages.

    python -m venv venv && venv/bin/pip install django djangorestframework django-ratelimit
    venv/bin/python generate.py

Writes rates.json (how DRF's SimpleRateThrottle.parse_rate and django-ratelimit's
_split_rate read each rate string) and drf_throttle.json (DRF's SimpleRateThrottle
run over timestamp sequences with a fake clock: allow_request and wait()) and
drf_throttled.json (the 429 body and Retry-After header DRF's exception handler
sends for a Throttled exception with a given wait).
"""

import json
import os
from importlib.metadata import version

import django
from django.conf import settings

settings.configure(
    CACHES={"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}},
    INSTALLED_APPS=["rest_framework"],
)
django.setup()

from django.core.cache import cache  # noqa: E402
from django_ratelimit.core import _split_rate  # noqa: E402
from rest_framework.throttling import SimpleRateThrottle  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
VERSIONS = {p: version(p) for p in ("Django", "djangorestframework", "django-ratelimit")}

RATES = [
    "100/hour", "5/m", "5/min", "5/minute", "5/minutes", "1000/day", "1000/d", "10/s",
    "10/sec", "10/second", "10/seconds", "7/h", "7/hr", "7/hours", "2/days",
    "10/5m", "100/300s", "100/300", "10/5minutes", "3/2h", "3/2d", "1/1s",
    "10/M", "10/H", "5/mars", "5/fortnight", "0/m", "10/", "10", "/m", "-1/m",
    "5/m/s", "10/0m", "1e3/m", "5/ m", " 5/m", "99999999999/m", "5//m",
]


def drf(rate):
    try:
        return list(SimpleRateThrottle.parse_rate(None, rate))
    except Exception as exc:  # DRF raises KeyError, ValueError, IndexError
        return type(exc).__name__


def django_ratelimit(rate):
    try:
        return list(_split_rate(rate))
    except Exception as exc:
        return type(exc).__name__


def throttle_run(rate, times):
    class Throttle(SimpleRateThrottle):
        scope = "fixture"

        def get_cache_key(self, request, view):
            return "fixture"

    Throttle.rate = rate
    cache.clear()
    out = []
    for t in times:
        throttle = Throttle()
        throttle.timer = lambda t=t: t
        allowed = throttle.allow_request(None, None)
        out.append({"time": t, "allowed": allowed, "wait": None if allowed else throttle.wait()})
    return {"rate": rate, "requests": out}


def throttled_response(wait):
    from rest_framework.exceptions import Throttled
    from rest_framework.views import exception_handler

    response = exception_handler(Throttled(wait=wait), {})
    return {
        "wait": wait,
        "status": response.status_code,
        "retry_after": response["Retry-After"],
        "body": json.dumps(response.data, separators=(",", ":")),
    }


WAITS = [0.25, 1.0, 1.5, 2.0, 59.75, 60.0, 61.000001, 3600.0]

SEQUENCES = [
    ("3/m", [1000.0, 1000.0, 1000.0, 1000.0, 1010.5, 1059.75, 1060.0, 1060.0, 1061.0, 1130.0]),
    ("1/s", [5.0, 5.25, 5.5, 5.75, 6.0, 6.0, 7.5, 8.25, 8.5]),
    ("2/m", [0.0, 20.0, 40.0, 59.75, 60.0, 70.0, 80.0, 80.25, 140.0]),
    ("5/h", [450.0 * k for k in range(0, 30)]),
    ("4/s", [100.0, 100.25, 100.5, 100.5, 100.5, 100.75, 101.0, 101.25, 101.5, 101.5, 101.5, 102.0, 103.0]),
]

if __name__ == "__main__":
    with open(os.path.join(HERE, "rates.json"), "w") as f:
        json.dump(
            {"versions": VERSIONS,
             "rates": [{"rate": r, "drf": drf(r), "django_ratelimit": django_ratelimit(r)} for r in RATES]},
            f, indent=1)
        f.write("\n")
    with open(os.path.join(HERE, "drf_throttle.json"), "w") as f:
        json.dump({"versions": VERSIONS, "runs": [throttle_run(r, ts) for r, ts in SEQUENCES]}, f, indent=1)
        f.write("\n")
    with open(os.path.join(HERE, "drf_throttled.json"), "w") as f:
        json.dump({"versions": VERSIONS, "responses": [throttled_response(w) for w in WAITS]}, f, indent=1)
        f.write("\n")
