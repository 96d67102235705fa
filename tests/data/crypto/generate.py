#!/usr/bin/env python3
"""Interop fixtures, both directions: Fernet with Python's `cryptography`, and
the sealed format rebuilt independently on libsodium (PyNaCl).

    python3 -m venv VENV && VENV/bin/pip install cryptography pynacl
    cargo build -p portcullis-cli
    VENV/bin/python tests/data/crypto/generate.py target/debug/portcullis

Python -> Rust: `python_fernet.json` (tokens of every shape, TTL and clock-skew
verdicts, rotated tokens, accepted text forms) and `python_1mib.token`.

Rust -> Python: runs the portcullis CLI (`fernet encrypt`, `fernet rotate`) to
make tokens, decrypts each one here, and records Python's verdicts in
`rust_fernet.json`; tests/crypto_fernet.rs checks that every verdict is a pass.

Sealed, both directions, in `sealed_libsodium.json`: values built here from the
documented format (`s1.<kid>.<base64url(nonce || ciphertext || tag)>`, associated
data = label, kid, length-prefixed context parts) with libsodium's
XChaCha20-Poly1305, which Rust must open; and values sealed by the CLI, which
libsodium opens here (verdicts recorded).

`fernet-spec/*.json` are the official spec vectors, copied unchanged from the
`cryptography_vectors` 50.0.2 wheel (cryptography_vectors/fernet/); see
fernet-spec/SOURCE.md.
"""

import base64
import hashlib
import json
import os
import subprocess
import sys

import cryptography
import nacl
from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from nacl import bindings as sodium
from nacl.exceptions import CryptoError as SodiumError

HERE = os.path.dirname(os.path.abspath(__file__))
MIB = 1 << 20


def key(label):
    """A fixed, reproducible test key (not secret)."""
    digest = hashlib.sha256(b"portcullis fixture key " + label.encode()).digest()
    return base64.urlsafe_b64encode(digest).decode()


KEYS = {name: key(name) for name in ("a", "b", "c")}


def pattern(n):
    return bytes(i % 251 for i in range(n))


def b64(data):
    return base64.b64encode(data).decode()


def verdict(fn):
    try:
        fn()
        return True
    except InvalidToken:
        return False


def python_to_rust():
    fa, fb, fc = (Fernet(KEYS[k]) for k in ("a", "b", "c"))
    t0 = 1_700_000_000
    tokens = []

    def add(name, keyname, data, ts):
        f = Fernet(KEYS[keyname])
        token = f.encrypt_at_time(data, ts)
        assert f.decrypt(token) == data
        tokens.append(
            {
                "name": name,
                "key": keyname,
                "plaintext_b64": b64(data),
                "timestamp": ts,
                "token": token.decode(),
            }
        )

    add("empty", "a", b"", t0)
    add("one byte", "a", b"\x00", t0)
    add("block minus one", "a", b"x" * 15, t0)
    add("exact block", "a", b"y" * 16, t0)
    add("unicode", "a", "héllo wörld ✓ 日本語 🔐".encode(), t0)
    add("binary", "b", bytes(range(256)), t0 + 1)
    add("key c", "c", b"third key", 0)
    add("timestamp zero", "a", b"epoch", 0)
    add("timestamp max", "a", b"far future", 2**64 - 1)

    # 1 MiB, kept in its own file.
    big = pattern(MIB)
    big_token = fa.encrypt_at_time(big, t0)
    with open(os.path.join(HERE, "python_1mib.token"), "w") as fh:
        fh.write(big_token.decode())

    # MultiFernet: a token under b opens with [a, b] and [b], not with [a].
    by_b = fb.encrypt_at_time(b"made under key b", 12345)
    multi = [
        {"keys": ["a", "b"], "token": by_b.decode(), "ok": verdict(lambda: MultiFernet([fa, fb]).decrypt(by_b))},
        {"keys": ["b"], "token": by_b.decode(), "ok": verdict(lambda: MultiFernet([fb]).decrypt(by_b))},
        {"keys": ["a"], "token": by_b.decode(), "ok": verdict(lambda: MultiFernet([fa]).decrypt(by_b))},
        {"keys": ["c", "a"], "token": by_b.decode(), "ok": verdict(lambda: MultiFernet([fc, fa]).decrypt(by_b))},
    ]

    # Rotation to [a, b]: under a now, original timestamp kept.
    rotated = MultiFernet([fa, fb]).rotate(by_b)
    assert fa.extract_timestamp(rotated) == 12345
    rotation = {
        "original": by_b.decode(),
        "original_key": "b",
        "rotated": rotated.decode(),
        "new_key": "a",
        "plaintext_b64": b64(b"made under key b"),
        "timestamp": fa.extract_timestamp(rotated),
        "old_key_opens_rotated": verdict(lambda: fb.decrypt(rotated)),
    }

    # TTL and skew: Python's verdicts at the boundaries.
    t = fa.encrypt_at_time(b"ttl", t0)
    ttl_cases = []
    for ttl, now in [
        (100, t0),
        (100, t0 + 100),
        (100, t0 + 101),
        (0, t0),
        (0, t0 + 1),
        (100, t0 - 60),
        (100, t0 - 61),
        (2**64 - 1, t0 + 10**9),
        (1, 0),
    ]:
        ttl_cases.append(
            {"ttl": ttl, "now": now, "ok": verdict(lambda: fa.decrypt_at_time(t, ttl, now))}
        )
    far = fa.encrypt_at_time(b"future", 2**63)
    no_ttl_future = {"token": far.decode(), "ok": verdict(lambda: fa.decrypt(far))}

    # Text forms: what Python 50.0.2 accepts, and what portcullis documents.
    while True:
        padded = fa.encrypt_at_time(b"forms", t0).decode()
        if "-" in padded or "_" in padded:
            break
    forms = []
    for desc, text, ours in [
        ("padded base64url (as emitted)", padded, True),
        ("unpadded base64url", padded.rstrip("="), True),
        ("standard alphabet", padded.replace("-", "+").replace("_", "/"), False),
        ("trailing newline", padded + "\n", False),
        ("leading space", " " + padded, False),
        ("junk character inside", padded[:20] + "!" + padded[20:], False),
        ("extra padding", padded + "=", False),
    ]:
        forms.append(
            {
                "desc": desc,
                "token": text,
                "python_ok": verdict(lambda: fa.decrypt(text)),
                "portcullis_ok": ours,
            }
        )

    wrong_key_timestamp = verdict(lambda: fb.extract_timestamp(t))

    doc = {
        "generator": f"cryptography {cryptography.__version__}",
        "keys": KEYS,
        "tokens": tokens,
        "big": {"file": "python_1mib.token", "key": "a", "len": MIB, "pattern": "i % 251", "timestamp": t0},
        "multi": multi,
        "rotation": rotation,
        "ttl_token": t.decode(),
        "ttl_token_timestamp": t0,
        "ttl_cases": ttl_cases,
        "no_ttl_future": no_ttl_future,
        "forms": forms,
        "extract_timestamp_wrong_key_ok": wrong_key_timestamp,
    }
    with open(os.path.join(HERE, "python_fernet.json"), "w") as fh:
        json.dump(doc, fh, indent=1, ensure_ascii=False)
        fh.write("\n")


def cli(binary, args, lines, env):
    out = subprocess.run(
        [binary, *args],
        input="".join(line + "\n" for line in lines),
        capture_output=True,
        text=True,
        env={**os.environ, **env},
        check=True,
    )
    return [json.loads(line) for line in out.stdout.splitlines()]


def rust_to_python(binary):
    plaintexts = {
        "empty": b"",
        "one byte": b"\xff",
        "unicode": "héllo wörld ✓ 日本語 🔐".encode(),
        "binary": bytes(range(256)),
        "1 MiB": pattern(MIB),
    }
    names = list(plaintexts)
    now = 1_700_000_123
    made = cli(
        binary,
        ["fernet", "encrypt", "--key-env", "PORTCULLIS_FIXTURE_KEY", "--now", str(now)],
        [b64(plaintexts[n]) for n in names],
        {"PORTCULLIS_FIXTURE_KEY": KEYS["a"]},
    )
    fa, fb = Fernet(KEYS["a"]), Fernet(KEYS["b"])
    results = []
    for name, line in zip(names, made):
        token = line["token"]
        plain_ok = verdict(lambda: fa.decrypt(token)) and fa.decrypt(token) == plaintexts[name]
        results.append(
            {
                "name": name,
                "token": token if len(token) < 4096 else None,
                "token_len": len(token),
                "python_decrypts": plain_ok,
                "python_timestamp": fa.extract_timestamp(token),
                "expected_timestamp": now,
            }
        )

    # Rotation made by Rust: a token under b (made by Python, dated 777) rotated to [a, b].
    old = fb.encrypt_at_time(b"rotate me", 777).decode()
    rotated = cli(
        binary,
        ["fernet", "rotate", "--key-env", "PORTCULLIS_FIXTURE_KEYS"],
        [old],
        {"PORTCULLIS_FIXTURE_KEYS": KEYS["a"] + "," + KEYS["b"]},
    )[0]["token"]
    rotation = {
        "original": old,
        "rotated": rotated,
        "python_decrypts_with_new_key": fa.decrypt(rotated) == b"rotate me",
        "python_timestamp": fa.extract_timestamp(rotated),
        "expected_timestamp": 777,
        "python_rejects_with_old_key": not verdict(lambda: fb.decrypt(rotated)),
    }
    doc = {
        "generator": f"cryptography {cryptography.__version__}",
        "key": "a",
        "tokens": results,
        "rotation": rotation,
    }
    with open(os.path.join(HERE, "rust_fernet.json"), "w") as fh:
        json.dump(doc, fh, indent=1, ensure_ascii=False)
        fh.write("\n")
    failed = [r["name"] for r in results if not r["python_decrypts"] or r["python_timestamp"] != now]
    if failed or not rotation["python_decrypts_with_new_key"] or rotation["python_timestamp"] != 777:
        sys.exit(f"Python rejected tokens made by portcullis: {failed} {rotation}")


SEALED_KEY = hashlib.sha256(b"portcullis fixture sealed key").digest()
SEALED_KID = "py1"


def sealed_aad(kid, parts):
    aad = b"portcullis sealed v1\0" + bytes([len(kid)]) + kid.encode()
    for part in parts:
        aad += len(part).to_bytes(8, "big") + part
    return aad


def b64url_nopad(data):
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def sodium_seal(plaintext, parts, nonce):
    ct = sodium.crypto_aead_xchacha20poly1305_ietf_encrypt(
        plaintext, sealed_aad(SEALED_KID, parts), nonce, SEALED_KEY
    )
    return f"s1.{SEALED_KID}.{b64url_nopad(nonce + ct)}"


def sodium_open(sealed, parts):
    version, kid, payload = sealed.split(".")
    assert version == "s1"
    raw = base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
    return sodium.crypto_aead_xchacha20poly1305_ietf_decrypt(
        raw[24:], sealed_aad(kid, parts), raw[:24], SEALED_KEY
    )


def sealed_both_ways(binary):
    key_text = f"{SEALED_KID}:{base64.urlsafe_b64encode(SEALED_KEY).decode()}"
    cases = [
        ("empty, no context", b"", []),
        ("row", b"ya29.access-token", [b"accounts", b"access_token", b"42"]),
        ("unicode", "héllo ✓ 🔐".encode(), [b"t", b"c", "clé:1".encode()]),
        ("binary, one part", bytes(range(256)), [b"tenant-7"]),
    ]
    from_sodium = []
    for i, (name, plaintext, parts) in enumerate(cases):
        sealed = sodium_seal(plaintext, parts, hashlib.sha256(bytes([i])).digest()[:24])
        assert sodium_open(sealed, parts) == plaintext
        from_sodium.append(
            {
                "name": name,
                "context_b64": [b64(p) for p in parts],
                "plaintext_b64": b64(plaintext),
                "sealed": sealed,
            }
        )

    # Sealed by the CLI (context table:column:row_id), opened by libsodium.
    env = {"PORTCULLIS_FIXTURE_SEALED": key_text}
    plaintexts = [b"", b"ya29.access-token", bytes(range(256))]
    made = cli(
        binary,
        ["sealed", "encrypt", "--key-env", "PORTCULLIS_FIXTURE_SEALED", "--context", "accounts:access_token:42"],
        [b64(p) for p in plaintexts],
        env,
    )
    parts = [b"accounts", b"access_token", b"42"]
    from_rust = []
    for plaintext, line in zip(plaintexts, made):
        sealed = line["sealed"]
        try:
            ok = sodium_open(sealed, parts) == plaintext
        except SodiumError:
            ok = False
        try:
            sodium_open(sealed, [b"accounts", b"access_token", b"43"])
            other_row_rejected = False
        except SodiumError:
            other_row_rejected = True
        from_rust.append(
            {
                "sealed": sealed,
                "plaintext_b64": b64(plaintext),
                "libsodium_opens": ok,
                "libsodium_rejects_other_row": other_row_rejected,
            }
        )
    doc = {
        "generator": f"PyNaCl {nacl.__version__} (libsodium crypto_aead_xchacha20poly1305_ietf)",
        "key": key_text,
        "from_libsodium": from_sodium,
        "from_portcullis": from_rust,
    }
    with open(os.path.join(HERE, "sealed_libsodium.json"), "w") as fh:
        json.dump(doc, fh, indent=1, ensure_ascii=False)
        fh.write("\n")
    if not all(r["libsodium_opens"] and r["libsodium_rejects_other_row"] for r in from_rust):
        sys.exit(f"libsodium disagrees with portcullis sealed values: {from_rust}")


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    python_to_rust()
    rust_to_python(sys.argv[1])
    sealed_both_ways(sys.argv[1])
    print("fixtures written")


if __name__ == "__main__":
    main()
