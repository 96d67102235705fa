"""Interop fixture for portcullis JWE against Python's jwcrypto 1.6.1.

Run in a virtualenv outside the repository, with the CLI built:

    python3 -m venv venv && venv/bin/pip install jwcrypto==1.6.1
    cargo build -p portcullis-cli
    venv/bin/python tests/data/jose/generate_jwcrypto.py target/debug/portcullis

For every alg/enc pair portcullis implements (ECDH-ES over P-256 and X25519) it
writes jwcrypto_interop.json beside this script with:

- "from_jwcrypto": tokens jwcrypto made, with the key and plaintext
  (tests/jose_interop.rs decrypts them);
- "from_portcullis": tokens the portcullis CLI made with `jwe encrypt`, and
  whether jwcrypto decrypted each to the plaintext (the Rust test checks every
  record says so).

The keys are throwaway test keys made fresh on each run.
"""

import base64
import importlib.metadata
import json
import os
import subprocess
import sys

from jwcrypto import jwe, jwk

ALGS = ["dir", "A128KW", "A256KW", "ECDH-ES", "ECDH-ES+A128KW", "ECDH-ES+A256KW"]
ENCS = {"A128GCM": 16, "A256GCM": 32, "A128CBC-HS256": 32, "A256CBC-HS512": 64}
KW_LEN = {"A128KW": 16, "A256KW": 32}


def keys_for(alg, enc):
    """(private JWK, public JWK) pairs to use for alg/enc."""
    if alg == "dir":
        k = jwk.JWK.generate(kty="oct", size=ENCS[enc] * 8)
        return [(k, k)]
    if alg in KW_LEN:
        k = jwk.JWK.generate(kty="oct", size=KW_LEN[alg] * 8)
        return [(k, k)]
    pairs = []
    for kty, crv in [("EC", "P-256"), ("OKP", "X25519")]:
        k = jwk.JWK.generate(kty=kty, crv=crv)
        pairs.append((k, jwk.JWK.from_json(k.export_public())))
    return pairs


def main():
    cli = sys.argv[1]
    version = importlib.metadata.version("jwcrypto")
    if version != "1.6.1":
        sys.exit(f"expected jwcrypto 1.6.1, found {version}")
    from_jwcrypto, from_portcullis = [], []
    for alg in ALGS:
        for enc in ENCS:
            for private, public in keys_for(alg, enc):
                plaintext = os.urandom(48)
                token = jwe.JWE(plaintext, protected=json.dumps({"alg": alg, "enc": enc}))
                token.add_recipient(public)
                from_jwcrypto.append({
                    "alg": alg,
                    "enc": enc,
                    "key": json.loads(private.export()),
                    "plaintext_b64": base64.b64encode(plaintext).decode(),
                    "jwe": token.serialize(compact=True),
                })
                out = subprocess.run(
                    [cli, "jwe", "encrypt", "--key-env", "JWE_KEY", "--alg", alg, "--enc", enc],
                    input=base64.b64encode(plaintext).decode() + "\n",
                    env={**os.environ, "JWE_KEY": public.export()},
                    capture_output=True, text=True, check=True,
                )
                made = json.loads(out.stdout)["jwe"]
                try:
                    opened = jwe.JWE()
                    opened.deserialize(made, key=private)
                    decrypted = opened.payload == plaintext
                except Exception as err:  # recorded, and the Rust test fails on it
                    decrypted = False
                    print(f"{alg} {enc}: jwcrypto refused a portcullis token: {err}")
                from_portcullis.append({
                    "alg": alg,
                    "enc": enc,
                    "crv": private.get("crv"),
                    "jwe": made,
                    "jwcrypto_decrypted": decrypted,
                })
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "jwcrypto_interop.json")
    with open(path, "w") as f:
        json.dump({
            "generator": "tests/data/jose/generate_jwcrypto.py",
            "jwcrypto": "1.6.1",
            "from_jwcrypto": from_jwcrypto,
            "from_portcullis": from_portcullis,
        }, f, indent=1)
        f.write("\n")
    print(f"{len(from_jwcrypto)} tokens each way; "
          f"{sum(r['jwcrypto_decrypted'] for r in from_portcullis)} decrypted by jwcrypto")


if __name__ == "__main__":
    main()
