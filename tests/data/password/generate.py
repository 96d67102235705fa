#!/usr/bin/env python3
"""Generate the password fixtures from the real Django (and argon2-cffi).

Run from the repository root inside a virtualenv that has Django 6.1, argon2-cffi
and bcrypt installed (Python 3.12+, Django 6 needs it):

    python tests/data/password/generate.py                 # Django fixtures
    python tests/data/password/generate.py --cli target/release/portcullis
                                                           # + Rust-made hashes checked by Django
    python tests/data/password/generate.py --timings       # + Python timings for the bench ratios

What it writes:

The data and tables shipped in the crate (the common list, its hash index, the
Unicode classes and ``lowercase.json``) come from ``scripts/generate_password_tables.py``.

* ``tests/data/password/validate.jsonl``: ``validate_password`` over a corpus of
  passwords and users, per validator profile, with every error's code and message.
* ``tests/data/password/help_texts.json``: each profile's help texts.
* ``tests/data/password/hashes.jsonl``: Django-made hashes (pbkdf2_sha256,
  pbkdf2_sha1, argon2) and ``verify_password`` verdicts (is_correct, must_update)
  for right and wrong passwords under several preferred-hasher configurations.
* ``tests/data/password/rust_made.jsonl`` (with ``--cli``): hashes produced by the
  Rust CLI and Django's verdict on each.
* ``tests/data/password/python_timings.json`` (with ``--timings``).
"""

import argparse
import json
import os
import random
import subprocess
import sys
import time
from pathlib import Path

import django
from django.conf import settings

settings.configure(
    INSTALLED_APPS=["django.contrib.auth", "django.contrib.contenttypes"],
    USE_I18N=False,
    PASSWORD_HASHERS=[
        "django.contrib.auth.hashers.PBKDF2PasswordHasher",
        "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
        "django.contrib.auth.hashers.Argon2PasswordHasher",
        "django.contrib.auth.hashers.BCryptSHA256PasswordHasher",
        "django.contrib.auth.hashers.ScryptPasswordHasher",
    ],
)
django.setup()

import argon2  # noqa: E402
from django.contrib.auth import hashers, password_validation  # noqa: E402
from django.contrib.auth.models import User  # noqa: E402
from django.core.exceptions import ValidationError  # noqa: E402

ROOT = Path(__file__).resolve().parents[3]
OUT = ROOT / "tests" / "data" / "password"
SRC = ROOT / "src" / "password"

PV = password_validation


def profiles():
    """The validator lists the Rust presets must match, by profile name."""
    return {
        # startproject's four, in settings.py-tpl order.
        "django": [
            PV.UserAttributeSimilarityValidator(),
            PV.MinimumLengthValidator(),
            PV.CommonPasswordValidator(),
            PV.NumericPasswordValidator(),
        ],
        # The production preset: the same four with min_length=12.
        "production": [
            PV.UserAttributeSimilarityValidator(),
            PV.MinimumLengthValidator(min_length=12),
            PV.CommonPasswordValidator(),
            PV.NumericPasswordValidator(),
        ],
        # Custom thresholds: singular message, a lower and the maximum similarity.
        "custom": [
            PV.UserAttributeSimilarityValidator(max_similarity=0.5),
            PV.MinimumLengthValidator(min_length=1),
        ],
        "similarity_1_0": [PV.UserAttributeSimilarityValidator(max_similarity=1.0)],
    }


# --------------------------------------------------------------------------------
# --------------------------------------------------------------------------------
# Validator parity


def users():
    return [
        None,
        {"username": "john_doe", "first_name": "John", "last_name": "Doe", "email": "john.doe@example.com"},
        {"username": "alice", "first_name": "Alice", "last_name": "Liddell", "email": "alice@wonderland.example"},
        {"username": "Ünïcødé.User", "first_name": "Ærøskøbing", "last_name": "Straße", "email": "ÜNÏ@例え.jp"},
        {"username": "testclient", "first_name": "", "last_name": "", "email": ""},
        {"username": "x", "first_name": "Bo", "last_name": "Li", "email": "bo@li.io"},
        {"username": "a" * 40, "first_name": "Maximilian-Alexander", "last_name": "von Habsburg-Lothringen", "email": "max.alex+tag@very-long-domain-name.example.org"},
        {"username": "sysadmin", "first_name": "Σίσυφος", "last_name": "ΟΔΥΣΣΕΥΣ", "email": "root@localhost"},
        {"username": "mañana.42", "first_name": "José", "last_name": "Núñez", "email": "jose..nunez@x.y"},
    ]


def passwords(rng):
    common = sorted(PV.CommonPasswordValidator().passwords)
    out = [
        "", " ", "a", "abc", "1234567", "12345678", "123456789012", "password", "Password",
        "  PASSWORD  ", "password1", "qwerty", "Qwerty123", "letmein!", "iloveyou",
        "correct horse battery staple", "Tr0ub4dor&3", "hunter2", "hunter22",
        "١٢٣٤٥٦٧٨٩٠١٢", "１２３４５６７８", "²³¹⁴⁵⁶⁷⁸", "①②③④⑤⑥⑦⑧", "12345678 ", " 12345678",
        "一二三四五六七八", "пароль", "ПАРОЛЬ", "йцукен", "\tpassword\n", "\u00a0password\u3000",
        "\x1cpassword\x1f", "john_doe", "johndoe", "doejohn!", "JohnDoe1990", "john.doe@example.com",
        "example.com", "alice", "alicealice", "Liddell!", "wonderland", "alice@wonderland",
        "ünïcødé", "ÜNÏCØDÉ.USER", "ærøskøbing", "straße", "STRASSE", "例え", "testclient",
        "testclient1", "bo", "boli", "libo", "bo@li.io", "habsburg", "lothringen", "maximilian",
        "maximilian-alexander", "vonhabsburg", "a" * 8, "a" * 39, "a" * 40, "a" * 41, "a" * 100,
        "a" * 399, "a" * 400, "a" * 401, "aaaaaaaaaa", "σίσυφος", "ΣΊΣΥΦΟΣ", "οδυσσευς", "οδυσσεύς",
        "odysseus", "mañana", "mañana42", "josé", "núñez", "jose..nunez", "Ǆemal", "İstanbul",
        "ﬁnancial", "ＰＡＳＳＷＯＲＤ", "p\u0301assword", "e\u0301e\u0301e\u0301e\u0301",
        "🔒🔑🔒🔑🔒🔑🔒🔑", "🔒🔑", "x" * 1024, "x" * 1025, "longer passphrase with spaces 2024",
        "Zm9vYmFyYmF6cXV4", "dragon", "monkey", "football", "baseball", "superman",
    ]
    out += rng.sample(common, 60)
    out += [p.upper() for p in rng.sample(common, 15)]
    out += [f"  {p}\t" for p in rng.sample(common, 10)]
    # Random mixes of user attribute pieces (around the similarity threshold).
    pieces = ["john", "doe", "alice", "liddell", "wonder", "land", "example", "com", "max", "alex",
              "habsburg", "σίσυφος", "straße", "42", "!", "_", ".", "x", "bo", "li", "root"]
    for _ in range(120):
        k = rng.randint(1, 5)
        word = "".join(rng.choice(pieces) for _ in range(k))
        if rng.random() < 0.3:
            word = word.upper()
        if rng.random() < 0.3:
            word = "".join(rng.sample(word, len(word)))
        out.append(word)
    alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789!@#$%^&*()-_ äöüßé"
    for _ in range(60):
        out.append("".join(rng.choice(alphabet) for _ in range(rng.randint(4, 24))))
    seen, unique = set(), []
    for p in out:
        if p not in seen:
            seen.add(p)
            unique.append(p)
    return unique


def make_user(attrs):
    if attrs is None:
        return None
    return User(**attrs)


def run_validation(password, user, validators):
    try:
        PV.validate_password(password, user, password_validators=validators)
        return []
    except ValidationError as err:
        return [{"code": e.code, "message": e.messages[0]} for e in err.error_list]


def write_validation_fixtures(rng):
    corpus = passwords(rng)
    people = users()
    rows = []
    for name, validators in profiles().items():
        for attrs in people:
            user = make_user(attrs)
            for password in corpus:
                rows.append({
                    "profile": name,
                    "password": password,
                    "user": attrs,
                    "violations": run_validation(password, user, validators),
                })
    with open(OUT / "validate.jsonl", "w", encoding="utf-8") as f:
        for row in rows:
            f.write(json.dumps(row, ensure_ascii=False) + "\n")
    helps = {name: PV.password_validators_help_texts(v) for name, v in profiles().items()}
    (OUT / "help_texts.json").write_text(json.dumps(helps, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    try:
        PV.UserAttributeSimilarityValidator(max_similarity=0.09)
    except ValueError as err:
        low = str(err)
    (OUT / "config_errors.json").write_text(json.dumps({"max_similarity_0_09": low}) + "\n", encoding="utf-8")
    return corpus, people


# --------------------------------------------------------------------------------
# Hashers


class LowPBKDF2(hashers.PBKDF2PasswordHasher):
    iterations = 1000


class LowPBKDF2SHA1(hashers.PBKDF2SHA1PasswordHasher):
    iterations = 1000


class LowArgon2(hashers.Argon2PasswordHasher):
    time_cost = 1
    memory_cost = 64
    parallelism = 1


class OtherArgon2(hashers.Argon2PasswordHasher):
    time_cost = 2
    memory_cost = 128
    parallelism = 2


class LowScrypt(hashers.ScryptPasswordHasher):
    work_factor = 2**4
    block_size = 8
    parallelism = 1


class LowBCryptSHA256(hashers.BCryptSHA256PasswordHasher):
    rounds = 4


PREFERRED = {
    "pbkdf2_sha256@1000": LowPBKDF2(),
    "pbkdf2_sha256@default": hashers.PBKDF2PasswordHasher(),
    "pbkdf2_sha1@1000": LowPBKDF2SHA1(),
    "argon2@t1m64p1": LowArgon2(),
    "argon2@default": hashers.Argon2PasswordHasher(),
    "scrypt@n16r8p1": LowScrypt(),
    "scrypt@default": hashers.ScryptPasswordHasher(),
    "bcrypt_sha256@4": LowBCryptSHA256(),
    "bcrypt_sha256@default": hashers.BCryptSHA256PasswordHasher(),
}


def preferred_config(name):
    h = PREFERRED[name]
    if isinstance(h, hashers.Argon2PasswordHasher):
        return {"algorithm": "argon2", "time_cost": h.time_cost, "memory_cost": h.memory_cost, "parallelism": h.parallelism}
    if isinstance(h, hashers.ScryptPasswordHasher):
        return {"algorithm": "scrypt", "work_factor": h.work_factor, "block_size": h.block_size, "parallelism": h.parallelism}
    if isinstance(h, hashers.BCryptSHA256PasswordHasher):
        return {"algorithm": "bcrypt_sha256", "rounds": h.rounds}
    return {"algorithm": h.algorithm, "iterations": h.iterations}


def argon2i_low(password, salt):
    data = argon2.low_level.hash_secret(
        password.encode(), salt.encode(), time_cost=1, memory_cost=64, parallelism=1,
        hash_len=32, type=argon2.low_level.Type.I,
    )
    return "argon2" + data.decode("ascii")


def write_hash_fixtures():
    pw_list = ["correct horse battery staple", "", "pässwörd ünïcødé 🔑", "p" * 200, "$dollar$signs$"]
    encoded = []
    for pw in pw_list:
        encoded.append(("pbkdf2_sha256 low", pw, LowPBKDF2().encode(pw, hashers.PBKDF2PasswordHasher().salt())))
        encoded.append(("pbkdf2_sha1 low", pw, LowPBKDF2SHA1().encode(pw, LowPBKDF2SHA1().salt())))
        encoded.append(("argon2 low", pw, LowArgon2().encode(pw, LowArgon2().salt())))
        encoded.append(("scrypt low", pw, LowScrypt().encode(pw, LowScrypt().salt())))
        encoded.append(("bcrypt_sha256 low", pw, LowBCryptSHA256().encode(pw, LowBCryptSHA256().salt())))
    pw = pw_list[0]
    encoded += [
        ("pbkdf2_sha256 1001 iterations", pw, LowPBKDF2().encode(pw, "abcdefghijklmnopqrstuv", 1001)),
        ("pbkdf2_sha256 short salt", pw, LowPBKDF2().encode(pw, "seasalt12345")),
        ("pbkdf2_sha256 unicode salt", pw, LowPBKDF2().encode(pw, "sälzchen-ünïcødé-22chr")),
        ("pbkdf2_sha1 short salt", pw, LowPBKDF2SHA1().encode(pw, "seasalt")),
        ("argon2 other params", pw, OtherArgon2().encode(pw, OtherArgon2().salt())),
        ("argon2 short salt", pw, LowArgon2().encode(pw, "saltsalt")),
        ("argon2i legacy", pw, argon2i_low(pw, "abcdefghijklmnopqrstuv")),
        ("scrypt other params", pw, LowScrypt().encode(pw, "abcdefghijklmnopqrstuv", 2**5, 4, 2)),
        ("pbkdf2_sha256 Django default", pw, hashers.make_password(pw, hasher="pbkdf2_sha256")),
        ("argon2 Django default", pw, hashers.make_password(pw, hasher="argon2")),
    ]
    rows = []
    for label, pw, enc in encoded:
        full = "default" in label
        verdicts = []
        for name in PREFERRED:
            for attempt, candidate in (("right", pw), ("wrong", pw + "x")):
                # A wrong password under a stronger preferred PBKDF2 or bcrypt
                # runs the missing work (harden_runtime): skip those slow cases.
                if attempt == "wrong" and name in ("pbkdf2_sha256@default", "bcrypt_sha256@default") and enc.startswith(name.split("@")[0] + "$"):
                    continue
                # Full-cost hashes: only under their own algorithm's default.
                if full and not (name.endswith("@default") and enc.startswith(name.split("@")[0] + "$")):
                    continue
                ok, must = hashers.verify_password(candidate, enc, preferred=PREFERRED[name])
                verdicts.append({"preferred": name, "attempt": attempt, "is_correct": ok, "must_update": must})
        rows.append({"label": label, "password": pw, "encoded": enc, "full_cost": full, "verdicts": verdicts})
    # Unusable and unknown hashes: Django answers (False, False).
    for label, enc in (("unusable", hashers.make_password(None)), ("unknown algorithm", "md6$salt$abcdef"),
                       ("empty", ""), ("no dollar", "garbage")):
        ok, must = hashers.verify_password("anything", enc, preferred=PREFERRED["pbkdf2_sha256@1000"])
        rows.append({"label": label, "password": "anything", "encoded": enc, "full_cost": False,
                     "verdicts": [{"preferred": "pbkdf2_sha256@1000", "attempt": "right", "is_correct": ok, "must_update": must}]})
    with open(OUT / "hashes.jsonl", "w", encoding="utf-8") as f:
        for row in rows:
            f.write(json.dumps(row, ensure_ascii=False) + "\n")
    (OUT / "preferred.json").write_text(
        json.dumps({name: preferred_config(name) for name in PREFERRED}, indent=1) + "\n", encoding="utf-8")


# --------------------------------------------------------------------------------
# Rust-made hashes, checked by Django


def rust_hash(cli, password, args):
    proc = subprocess.run([cli, "password", "hash", *args], input=json.dumps({"password": password}) + "\n",
                          capture_output=True, text=True, check=True)
    line = json.loads(proc.stdout.splitlines()[0])
    assert line["ok"], line
    return line["hash"]


def write_rust_made(cli):
    formats = [
        ("django-pbkdf2_sha256", ["--format", "django-pbkdf2_sha256", "--iterations", "1000"], "pbkdf2_sha256@1000"),
        ("django-pbkdf2_sha1", ["--format", "django-pbkdf2_sha1", "--iterations", "1000"], "pbkdf2_sha1@1000"),
        ("django-argon2", ["--format", "django-argon2", "--memory-kib", "64", "--time-cost", "1", "--parallelism", "1"], "argon2@t1m64p1"),
        ("django-scrypt", ["--format", "django-scrypt", "--scrypt-log-n", "4", "--scrypt-r", "8", "--scrypt-p", "1"], "scrypt@n16r8p1"),
        ("django-bcrypt_sha256", ["--format", "django-bcrypt_sha256", "--bcrypt-cost", "4"], "bcrypt_sha256@4"),
        ("django-argon2 default", ["--format", "django-argon2"], "argon2@default"),
        ("django-pbkdf2_sha256 default", ["--format", "django-pbkdf2_sha256"], "pbkdf2_sha256@default"),
    ]
    rows = []
    for label, args, preferred in formats:
        pws = ["correct horse battery staple", "", "pässwörd ünïcødé 🔑"] if "default" not in label else ["correct horse battery staple"]
        for pw in pws:
            enc = rust_hash(cli, pw, args)
            ok, must = hashers.verify_password(pw, enc, preferred=PREFERRED[preferred])
            bad, _ = hashers.verify_password(pw + "x", enc, preferred=PREFERRED[preferred])
            rows.append({"label": label, "password": pw, "encoded": enc, "preferred": preferred,
                         "django_is_correct": ok, "django_must_update": must, "django_wrong_is_correct": bad,
                         "full_cost": "default" in label})
    # Native PHC strings are not a Django format; argon2-cffi (the reference C
    # implementation) reads them.
    for pw in ["correct horse battery staple", "", "pässwörd ünïcødé 🔑"]:
        enc = rust_hash(cli, pw, ["--format", "argon2", "--memory-kib", "64", "--time-cost", "1", "--parallelism", "1"])
        ph = argon2.PasswordHasher(time_cost=1, memory_cost=64, parallelism=1)
        try:
            bad = ph.verify(enc, pw + "x")
        except argon2.exceptions.VerificationError:
            bad = False
        rows.append({"label": "argon2 (PHC)", "password": pw, "encoded": enc, "preferred": None,
                     "argon2_cffi_is_correct": ph.verify(enc, pw), "argon2_cffi_needs_rehash": ph.check_needs_rehash(enc),
                     "argon2_cffi_wrong_is_correct": bad, "full_cost": False})
    with open(OUT / "rust_made.jsonl", "w", encoding="utf-8") as f:
        for row in rows:
            f.write(json.dumps(row, ensure_ascii=False) + "\n")


# --------------------------------------------------------------------------------
# Timings for the bench ratios (not fixtures: machine-dependent)


def best_of(fn, repeat, number):
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        for _ in range(number):
            fn()
        best = min(best, (time.perf_counter() - start) / number)
    return best


def write_timings(corpus, people):
    validators = profiles()["production"]
    user = make_user(people[1])
    bench_corpus = corpus[:200]

    def run_corpus():
        for p in bench_corpus:
            try:
                PV.validate_password(p, user, password_validators=validators)
            except ValidationError:
                pass

    common = validators[2]
    ph = argon2.PasswordHasher(time_cost=2, memory_cost=19456, parallelism=1)
    pbkdf2 = hashers.PBKDF2PasswordHasher()
    timings = {
        "python": sys.version.split()[0],
        "django": django.__version__,
        "argon2_cffi": __import__("importlib.metadata").metadata.version("argon2-cffi"),
        "loadavg_at_start": os.getloadavg(),
        "production_policy_corpus_200_s": best_of(run_corpus, 5, 3),
        "common_lookup_s": best_of(lambda: "p@ssw0rd" in common.passwords, 5, 100000),
        "argon2id_m19456_t2_p1_s": best_of(lambda: ph.hash("correct horse battery staple"), 5, 5),
        "pbkdf2_sha256_1500000_s": best_of(lambda: pbkdf2.encode("correct horse battery staple", "abcdefghijklmnopqrstuv"), 3, 1),
        "loadavg_at_end": os.getloadavg(),
    }
    (OUT / "python_timings.json").write_text(json.dumps(timings, indent=1) + "\n", encoding="utf-8")
    with open(OUT / "bench_corpus.txt", "w", encoding="utf-8") as f:
        json.dump({"user": people[1], "passwords": bench_corpus}, f, ensure_ascii=False)
        f.write("\n")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--cli", help="path to the built portcullis CLI (release build advised)")
    parser.add_argument("--timings", action="store_true")
    parser.add_argument("--only", choices=["cli", "timings"], help="skip the deterministic fixtures")
    args = parser.parse_args()
    rng = random.Random(20211215)
    if args.only is None:
        corpus, people = write_validation_fixtures(rng)
        write_hash_fixtures()
    else:
        corpus, people = passwords(rng), users()
    if args.cli:
        write_rust_made(args.cli)
    if args.timings:
        write_timings(corpus, people)


if __name__ == "__main__":
    main()
