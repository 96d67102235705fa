#!/usr/bin/env bash
# End-to-end HTTP benchmark (not part of CI): the axum example service in release
# mode against Django + DRF + SimpleJWT (with its blacklist app) under gunicorn,
# doing the same work on the same machine, both driven by wrk.
#
# Routes, on each server:
#   POST /api/token/verify/   SimpleJWT's verify (signature, claims, blacklist lookup)
#   GET  /api/me/             bearer-protected: authenticate, look the user up, answer
#   GET  /healthz             the floor: routing and JSON, no security work
#   POST /api/token/          rate-limited route over its limit: every answer a 429
# The access token is made by SimpleJWT (both servers share the HMAC secret), or
# by the axum service's own login when no Python virtualenv can be made.
#
# Usage: scripts/bench-http.sh            (from the repository root)
# Environment: DURATION (default 8s), CONNECTIONS (16), THREADS (2),
#   GUNICORN_WORKERS (2), SKIP_DRF=1 to measure the axum service alone.
set -euo pipefail

# How the axum service is built, and where the binary lands.
SERVICE_BUILD="cargo build --release -p portcullis-tower --example axum_service"
SERVICE_BIN="target/release/examples/axum_service"

DURATION="${DURATION:-8s}"
CONNECTIONS="${CONNECTIONS:-16}"
THREADS="${THREADS:-2}"
GUNICORN_WORKERS="${GUNICORN_WORKERS:-2}"
AXUM_ADDR="127.0.0.1:18080"
DRF_ADDR="127.0.0.1:18081"
SECRET="bench-http-shared-secret-0123456789abcdefghijklmnop"
# The service's API rate is set out of reach, so every verify and protected GET
# is admitted after its limiter decision; the login rate stays at 10 a minute.
API_RATE="1000000000/s"
LOGIN_RATE="10/m"

cd "$(dirname "$0")/.."
WORK="$(mktemp -d)"
PIDS=()
cleanup() {
    for pid in "${PIDS[@]}"; do
        kill "$pid" 2>/dev/null || true
    done
    wait 2>/dev/null || true
    rm -rf "$WORK"
}
trap cleanup EXIT

install_wrk() {
    command -v wrk >/dev/null 2>&1 && return 0
    local sudo=""
    if [ "$(id -u)" -ne 0 ] && command -v sudo >/dev/null 2>&1; then sudo=sudo; fi
    echo "installing wrk"
    export DEBIAN_FRONTEND=noninteractive
    timeout 600 $sudo apt-get update -qq >/dev/null
    timeout 600 $sudo apt-get install -y -qq --no-install-recommends wrk >/dev/null
    command -v wrk >/dev/null 2>&1
}

wait_for() { # url
    for _ in $(seq 1 150); do
        curl -fsS -o /dev/null "$1" 2>/dev/null && return 0
        sleep 0.2
    done
    echo "no answer from $1" >&2
    return 1
}

# Writes the Django project (settings, urls, wsgi) under $WORK/drf.
write_drf_app() {
    mkdir -p "$WORK/drf/benchsite"
    touch "$WORK/drf/benchsite/__init__.py"
    cat >"$WORK/drf/benchsite/settings.py" <<EOF
from datetime import timedelta

SECRET_KEY = "$SECRET"
DEBUG = False
ALLOWED_HOSTS = ["*"]
INSTALLED_APPS = [
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "rest_framework",
    "rest_framework_simplejwt",
    "rest_framework_simplejwt.token_blacklist",
]
MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]
ROOT_URLCONF = "benchsite.urls"
DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": "$WORK/drf/db.sqlite3"}}
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
USE_TZ = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["rest_framework_simplejwt.authentication.JWTAuthentication"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_THROTTLE_RATES": {"api": "$API_RATE", "login": "$LOGIN_RATE"},
}
SIMPLE_JWT = {
    "ACCESS_TOKEN_LIFETIME": timedelta(hours=1),
    "ROTATE_REFRESH_TOKENS": True,
    "BLACKLIST_AFTER_ROTATION": True,
    "USER_ID_FIELD": "username",
    "LEEWAY": 30,
}
EOF
    cat >"$WORK/drf/benchsite/urls.py" <<'EOF'
from django.http import JsonResponse
from django.urls import path
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.views import APIView
from rest_framework_simplejwt.views import TokenObtainPairView, TokenVerifyView


class ApiThrottle(ScopedRateThrottle):
    scope_attr = "bench_scope"


class Verify(TokenVerifyView):
    throttle_classes = [ApiThrottle]
    bench_scope = "api"


class Login(TokenObtainPairView):
    throttle_classes = [ApiThrottle]
    bench_scope = "login"


class Me(APIView):
    permission_classes = [IsAuthenticated]
    throttle_classes = [ApiThrottle]
    bench_scope = "api"

    def get(self, request):
        return Response({"user": request.user.username})


def healthz(request):
    return JsonResponse({"ok": True, "instance": "drf"})


urlpatterns = [
    path("healthz", healthz),
    path("api/token/", Login.as_view()),
    path("api/token/verify/", Verify.as_view()),
    path("api/me/", Me.as_view()),
]
EOF
    cat >"$WORK/drf/benchsite/wsgi.py" <<'EOF'
import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "benchsite.settings")
from django.core.wsgi import get_wsgi_application

application = get_wsgi_application()
EOF
    cat >"$WORK/drf/make_token.py" <<'EOF'
import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "benchsite.settings")
import django

django.setup()
from django.contrib.auth.models import User
from django.core.management import call_command
from rest_framework_simplejwt.tokens import AccessToken

call_command("migrate", verbosity=0)
user, _ = User.objects.get_or_create(username="alice")
print(str(AccessToken.for_user(user)))
EOF
}

# Makes the virtualenv; false when it cannot be made.
make_venv() {
    python3 -m venv "$WORK/venv" >/dev/null 2>&1 || return 1
    "$WORK/venv/bin/pip" install -q "django>=5,<6" djangorestframework \
        djangorestframework-simplejwt gunicorn >/dev/null 2>&1 || return 1
}

# wrk on one route; prints requests/s.
drive() { # name url [method] [body] [bearer]
    local name="$1" url="$2" method="${3:-GET}" body="${4:-}" bearer="${5:-}"
    local lua="$WORK/$name.lua"
    {
        echo "wrk.method = \"$method\""
        echo 'wrk.headers["Content-Type"] = "application/json"'
        [ -n "$body" ] && echo "wrk.body = '$body'"
        [ -n "$bearer" ] && echo "wrk.headers[\"Authorization\"] = \"Bearer $bearer\""
        cat <<'EOF'
local statuses = {}
response = function(status, headers, body)
    statuses[status] = (statuses[status] or 0) + 1
end
EOF
    } >"$lua"
    local out
    out="$(wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --latency -s "$lua" "$url")"
    local rps non2xx
    rps="$(awk '/^Requests\/sec:/ {print $2}' <<<"$out")"
    non2xx="$(awk '/Non-2xx or 3xx responses:/ {print $5}' <<<"$out")"
    echo "$rps ${non2xx:-0}"
}

# Sends logins until the limiter has answered 429 ten times running, so the
# timed run measures the refusal path, not the first few logins' password hashing
# (Django hashes even for an unknown user). Gunicorn workers keep separate counts.
exhaust_limit() { # url body
    local refused=0
    for _ in $(seq 1 100); do
        code="$(curl -s -o /dev/null -w '%{http_code}' -H 'Content-Type: application/json' \
            -d "$2" "$1")"
        if [ "$code" = 429 ]; then refused=$((refused + 1)); else refused=0; fi
        [ "$refused" -ge 10 ] && return 0
    done
    echo "the limiter at $1 never refused" >&2
    return 1
}

install_wrk
echo "building: $SERVICE_BUILD"
$SERVICE_BUILD
echo "load before: $(uptime)"

TOKEN=""
DRF=no
if [ "${SKIP_DRF:-0}" != 1 ] && write_drf_app && make_venv; then
    TOKEN="$(cd "$WORK/drf" && "$WORK/venv/bin/python" make_token.py)"
    (cd "$WORK/drf" && exec "$WORK/venv/bin/gunicorn" -w "$GUNICORN_WORKERS" -b "$DRF_ADDR" \
        --log-level warning benchsite.wsgi) &
    PIDS+=("$!")
    wait_for "http://$DRF_ADDR/healthz"
    DRF=yes
    echo "DRF: Django + DRF + SimpleJWT under gunicorn, $GUNICORN_WORKERS workers"
else
    echo "no Python virtualenv with Django/DRF/SimpleJWT: measuring the axum service alone"
fi

PORTCULLIS_LISTEN="$AXUM_ADDR" PORTCULLIS_JWT_SECRET="$SECRET" PORTCULLIS_API_RATE="$API_RATE" \
    PORTCULLIS_LOGIN_RATE="$LOGIN_RATE" "$SERVICE_BIN" >"$WORK/axum.log" 2>&1 &
PIDS+=("$!")
wait_for "http://$AXUM_ADDR/healthz"

if [ -z "$TOKEN" ]; then
    TOKEN="$(curl -fsS -H 'Content-Type: application/json' \
        -d '{"username":"alice","password":"correct horse battery staple"}' \
        "http://$AXUM_ADDR/api/token/" | python3 -c 'import json,sys; print(json.load(sys.stdin)["access"])')"
fi
# Both servers accept the token before anything is timed.
curl -fsS -o /dev/null -H "Authorization: Bearer $TOKEN" "http://$AXUM_ADDR/api/me/"
[ "$DRF" = yes ] && curl -fsS -o /dev/null -H "Authorization: Bearer $TOKEN" "http://$DRF_ADDR/api/me/"

VERIFY_BODY="{\"token\":\"$TOKEN\"}"
LOGIN_BODY='{"username":"nobody","password":"wrong"}'
routes=(healthz verify me ratelimited)
declare -A RESULT
for server in axum drf; do
    [ "$server" = drf ] && [ "$DRF" != yes ] && continue
    addr="$AXUM_ADDR"
    [ "$server" = drf ] && addr="$DRF_ADDR"
    RESULT[$server.healthz]="$(drive "$server-healthz" "http://$addr/healthz")"
    RESULT[$server.verify]="$(drive "$server-verify" "http://$addr/api/token/verify/" POST "$VERIFY_BODY")"
    RESULT[$server.me]="$(drive "$server-me" "http://$addr/api/me/" GET "" "$TOKEN")"
    exhaust_limit "http://$addr/api/token/" "$LOGIN_BODY"
    RESULT[$server.ratelimited]="$(drive "$server-ratelimited" "http://$addr/api/token/" POST "$LOGIN_BODY")"
done
echo "load after: $(uptime)"

echo
echo "wrk -t$THREADS -c$CONNECTIONS -d$DURATION per route (requests/s; non-2xx answers)"
printf '%-44s %14s %14s %10s\n' route axum drf axum/drf
for route in "${routes[@]}"; do
    read -r a_rps a_bad <<<"${RESULT[axum.$route]}"
    d_rps="-" d_bad="-" ratio="-"
    if [ "$DRF" = yes ]; then
        read -r d_rps d_bad <<<"${RESULT[drf.$route]}"
        ratio="$(awk -v a="$a_rps" -v d="$d_rps" 'BEGIN { if (d > 0) printf "%.1fx", a / d; else print "-" }')"
    fi
    case "$route" in
        healthz) label="GET /healthz" ;;
        verify) label="POST /api/token/verify/" ;;
        me) label="GET /api/me/ (bearer)" ;;
        ratelimited) label="POST /api/token/ over its limit (429)" ;;
    esac
    printf '%-44s %14s %14s %10s\n' "$label" "$a_rps ($a_bad)" "$d_rps ($d_bad)" "$ratio"
done
read -r h_rps _ <<<"${RESULT[axum.healthz]}"
echo
for route in verify me ratelimited; do
    read -r rps _ <<<"${RESULT[axum.$route]}"
    awk -v r="$rps" -v h="$h_rps" -v n="$route" \
        'BEGIN { printf "axum %s / axum healthz: %.0f%%\n", n, 100 * r / h }'
done
