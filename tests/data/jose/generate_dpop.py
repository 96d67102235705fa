"""Writes dpop_jwcrypto.json: DPoP proofs (RFC 9449) made by jwcrypto 1.6.1.

Run outside the repository's tree in a virtualenv with `pip install jwcrypto==1.6.1`:
    python generate_dpop.py > dpop_jwcrypto.json
Every valid proof carries the RFC 7638 thumbprint jwcrypto computes for its key
(`expected_jkt`); every invalid proof names the one rule it breaks and the CLI code
it must get. Keys are fresh on each run, so the output differs run to run.
"""

import base64
import hashlib
import json
import sys

from jwcrypto import jwk, jws
from jwcrypto.common import JWSEHeaderParameter

HTM = "POST"
HTU = "https://server.example.com/token"
NOW = 1700000000
ACCESS_TOKEN = "Kz~8mXK1EalYznwH-LC-1fBAo.4Ljp~zsPE_NeO.gxU"
NONCE = "eyJ7S_zG.eyJH0-Z.HX4w-7v"


def b64(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def ath(token):
    return b64(hashlib.sha256(token.encode()).digest())


KEYS = {
    "ES256": jwk.JWK.generate(kty="EC", crv="P-256"),
    "ES384": jwk.JWK.generate(kty="EC", crv="P-384"),
    "EdDSA": jwk.JWK.generate(kty="OKP", crv="Ed25519"),
    "RS256": jwk.JWK.generate(kty="RSA", size=2048),
    "PS256": jwk.JWK.generate(kty="RSA", size=2048),
}


def claims(**over):
    c = {"jti": b64(hashlib.sha256(json.dumps(over, sort_keys=True).encode()).digest()[:12]),
         "htm": HTM, "htu": HTU, "iat": NOW}
    c.update(over)
    return {k: v for k, v in c.items() if v is not None}


# jwcrypto refuses an unknown `crit` member when signing; register one so the
# "crit present" proof can be made (the verifier must refuse it).
CRIT_REGISTRY = {"x-crit": JWSEHeaderParameter("test-only critical member", False, True, None)}


def sign(alg, payload, header=None, key=None, protected_text=None, payload_text=None, registry=None):
    key = key or KEYS[alg]
    if header is None:
        header = {"typ": "dpop+jwt", "alg": alg,
                  "jwk": json.loads(key.export_public())}
    token = jws.JWS((payload_text or json.dumps(payload)).encode(), header_registry=registry)
    token.add_signature(key, alg=None, protected=protected_text or json.dumps(header))
    return token.serialize(compact=True)


valid = []
for alg, key in KEYS.items():
    valid.append({"name": f"{alg} plain", "alg": alg, "proof": sign(alg, claims(alg=None, x=alg) | {}),
                  "expected_jkt": key.thumbprint()})
    valid.append({"name": f"{alg} with ath and nonce", "alg": alg,
                  "proof": sign(alg, claims(ath=ath(ACCESS_TOKEN), nonce=NONCE, y=alg)),
                  "access_token": ACCESS_TOKEN, "nonce": NONCE,
                  "expected_jkt": key.thumbprint()})
# The claim htu may carry a query, a fragment, upper-case scheme/host and a default port.
valid.append({"name": "htu normalised", "alg": "ES256",
              "proof": sign("ES256", claims(htu="HTTPS://Server.Example.COM:443/token?x=1#f")),
              "expected_jkt": KEYS["ES256"].thumbprint()})

es = KEYS["ES256"]
es_pub = json.loads(es.export_public())
hs = jwk.JWK.generate(kty="oct", size=256)
p384_pub = json.loads(KEYS["ES384"].export_public())

good = sign("ES256", claims(z="tamper"))
h, p, s = good.split(".")
tampered = h + "." + b64(json.dumps(claims(z="tamper", htm="GET")).encode()) + "." + s

invalid = [
    ("typ not dpop+jwt", sign("ES256", claims(a=1), {"typ": "JWT", "alg": "ES256", "jwk": es_pub}), {}),
    ("typ missing", sign("ES256", claims(a=2), {"alg": "ES256", "jwk": es_pub}), {}),
    ("alg HS256 (symmetric)", sign("HS256", claims(a=3), {"typ": "dpop+jwt", "alg": "HS256", "jwk": json.loads(hs.export())}, key=hs), {}),
    ("alg ES512 not allowed", sign("ES256", claims(a=4)).replace(
        b64(json.dumps({"typ": "dpop+jwt", "alg": "ES256", "jwk": es_pub}).encode()),
        b64(json.dumps({"typ": "dpop+jwt", "alg": "ES512", "jwk": es_pub}).encode())), {}),
    ("alg does not match the jwk", sign("ES256", claims(a=5), {"typ": "dpop+jwt", "alg": "ES384", "jwk": es_pub}).split(".")[0]
        + "." + sign("ES256", claims(a=5)).split(".", 1)[1], {}),
    ("jwk holds a private key", sign("ES256", claims(a=6), {"typ": "dpop+jwt", "alg": "ES256", "jwk": json.loads(es.export_private())}), {}),
    ("jwk missing", sign("ES256", claims(a=7), {"typ": "dpop+jwt", "alg": "ES256"}), {}),
    ("signature by another key", sign("ES256", claims(a=8), {"typ": "dpop+jwt", "alg": "ES256", "jwk": json.loads(jwk.JWK.generate(kty="EC", crv="P-256").export_public())}, key=es), {}),
    ("payload tampered after signing", tampered, {}),
    ("htm differs", sign("ES256", claims(a=9, htm="GET")), {}),
    ("htu differs", sign("ES256", claims(a=10, htu="https://server.example.com/other")), {}),
    ("htu not http(s)", sign("ES256", claims(a=11, htu="ftp://server.example.com/token")), {}),
    ("iat too old", sign("ES256", claims(a=12, iat=NOW - 61)), {}),
    ("iat in the future", sign("ES256", claims(a=13, iat=NOW + 6)), {}),
    ("iat not a number", sign("ES256", claims(a=14, iat=str(NOW))), {}),
    ("jti missing", sign("ES256", {"htm": HTM, "htu": HTU, "iat": NOW, "a": 15}), {}),
    ("ath missing with an access token", sign("ES256", claims(a=16)), {"access_token": ACCESS_TOKEN}),
    ("ath for another token", sign("ES256", claims(a=17, ath=ath("another token"))), {"access_token": ACCESS_TOKEN}),
    ("crit present", sign("ES256", claims(a=18), {"typ": "dpop+jwt", "alg": "ES256", "jwk": es_pub, "crit": ["x-crit"], "x-crit": 1}, registry=CRIT_REGISTRY), {}),
    ("duplicate header member", sign("ES256", claims(a=19), protected_text='{"typ":"dpop+jwt","alg":"ES256","alg":"ES256","jwk":' + json.dumps(es_pub) + "}"), {}),
    ("duplicate claim", sign("ES256", None, payload_text='{"jti":"d1","htm":"GET","htm":"POST","htu":"%s","iat":%d}' % (HTU, NOW)), {}),
    ("four parts", good + ".x", {}),
    ("padded base64", h + "=." + p + "." + s, {}),
]
nonce_cases = [
    ("nonce missing", sign("ES256", claims(a=20)), {"nonce": NONCE}, "use_dpop_nonce"),
    ("nonce wrong", sign("ES256", claims(a=21, nonce="stale")), {"nonce": NONCE}, "use_dpop_nonce"),
]
out_invalid = [{"name": n, "proof": t, **extra, "code": "invalid_dpop_proof"} for n, t, extra in invalid]
out_invalid += [{"name": n, "proof": t, **extra, "code": c} for n, t, extra, c in nonce_cases]

json.dump({
    "source": "jwcrypto 1.6.1, tests/data/jose/generate_dpop.py",
    "htm": HTM, "htu": HTU, "now": NOW, "max_age_s": 60, "future_skew_s": 5,
    "valid": valid, "invalid": out_invalid,
}, sys.stdout, indent=1)
sys.stdout.write("\n")
