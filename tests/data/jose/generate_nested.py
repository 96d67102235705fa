"""Interop fixture for portcullis nested tokens (sign, then encrypt) against
Python's jwcrypto 1.6.1.

Run in a virtualenv outside the repository, from the repository root:

    python3 -m venv venv && venv/bin/pip install jwcrypto==1.6.1
    venv/bin/python tests/data/jose/generate_nested.py

It runs the ignored test `emit_nested_tokens_for_jwcrypto` of tests/jose_nested.rs,
which prints nested access tokens portcullis issued (HS256 inside a JWE, for
dir+A256GCM, A256KW+A128CBC-HS256 and ECDH-ES+A256KW over X25519) with the keys
and time it used, and writes nested_jwcrypto.json beside this script with:

- "from_portcullis": those tokens, and what jwcrypto read from each: the outer
  `cty`, and the claims after decrypting and checking the inner signature;
- "from_jwcrypto": nested access tokens jwcrypto made with the same keys, in the
  claims layout of the token engine (tests/jose_nested.rs verifies them).

The keys are throwaway test keys fixed in tests/jose_nested.rs.
"""

import base64
import importlib.metadata
import json
import os
import subprocess
import sys
import uuid

from jwcrypto import jwk, jwt


def b64decode(text):
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def portcullis_tokens():
    out = subprocess.run(
        ["cargo", "test", "-p", "portcullis", "--test", "jose_nested", "--",
         "--ignored", "--exact", "emit_nested_tokens_for_jwcrypto", "--nocapture"],
        check=True, capture_output=True, text=True,
    ).stdout
    for line in out.splitlines():
        if line.startswith("NESTED_TOKENS "):
            return json.loads(line[len("NESTED_TOKENS "):])
    sys.exit("the emitting test printed no NESTED_TOKENS line")


def main():
    version = importlib.metadata.version("jwcrypto")
    if version != "1.6.1":
        sys.exit(f"expected jwcrypto 1.6.1, found {version}")
    made = portcullis_tokens()
    now = made["now"]
    signing = jwk.JWK(kty="oct", k=made["signing_secret_b64"])
    from_portcullis, from_jwcrypto = [], []
    for case in made["cases"]:
        enc_key = jwk.JWK(**case["jwe_key"])
        outer = jwt.JWT(jwt=case["token"], key=enc_key, expected_type="JWE",
                        algs=[case["alg"], case["enc"]])
        inner = jwt.JWT(jwt=outer.claims, key=signing, algs=["HS256"],
                        check_claims={"exp": now - 1})
        from_portcullis.append({
            "jwe_key": case["jwe_key"], "alg": case["alg"], "enc": case["enc"],
            "token": case["token"],
            "jwcrypto_cty": json.loads(outer.header)["cty"],
            "jwcrypto_claims": json.loads(inner.claims),
        })
        claims = {
            "token_type": "access", "exp": now + 300, "iat": now,
            "jti": uuid.uuid4().hex, "user_id": "42", "role": "staff",
        }
        signed = jwt.JWT(header={"alg": "HS256", "typ": "JWT"}, claims=claims)
        signed.make_signed_token(signing)
        header = {"alg": case["alg"], "enc": case["enc"], "cty": "JWT"}
        nested = jwt.JWT(header=header, claims=signed.serialize())
        nested.make_encrypted_token(enc_key)
        from_jwcrypto.append({
            "jwe_key": case["jwe_key"], "alg": case["alg"], "enc": case["enc"],
            "token": nested.serialize(),
        })
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "nested_jwcrypto.json")
    fixture = {
        "generator": f"generate_nested.py with jwcrypto {version}",
        "now": now,
        "from_portcullis": from_portcullis,
        "from_jwcrypto": from_jwcrypto,
    }
    with open(path, "w") as f:
        json.dump(fixture, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
