#!/usr/bin/env python3
"""Independent verifier for an evcat custody log (encoding version 1).

Written from the specification in ARCHITECTURE.md ("Custody encoding"), with
nothing but the Python standard library: it shares no code with evcat, so a
catalog it accepts is verified by a second implementation. Ed25519 is the
reference implementation from RFC 8032, section 6 (slow, but exact).

    python3 tools/verify_chain.py CATALOG_DIR [--head SEQ:HASH]
    python3 tools/verify_chain.py --example      # print the spec's worked example

Exit codes: 0 chain verified, 1 problems found, 2 usage or unreadable catalog.
"""

import hashlib
import json
import os
import sqlite3
import struct
import sys

# --- RFC 8032 section 6 reference Ed25519 (verification and signing) -------

p = 2**255 - 19
L = 2**252 + 27742317777372353535851937790883648493


def modp_inv(x):
    return pow(x, p - 2, p)


d = -121665 * modp_inv(121666) % p
modp_sqrt_m1 = pow(2, (p - 1) // 4, p)


def sha512(s):
    return hashlib.sha512(s).digest()


def point_add(P, Q):
    A, B = (P[1] - P[0]) * (Q[1] - Q[0]) % p, (P[1] + P[0]) * (Q[1] + Q[0]) % p
    C, D = 2 * P[3] * Q[3] * d % p, 2 * P[2] * Q[2] % p
    E, F, G, H = B - A, D - C, D + C, B + A
    return (E * F, G * H, F * G, E * H)


def point_mul(s, P):
    Q = (0, 1, 1, 0)
    while s > 0:
        if s & 1:
            Q = point_add(Q, P)
        P = point_add(P, P)
        s >>= 1
    return Q


def point_equal(P, Q):
    if (P[0] * Q[2] - Q[0] * P[2]) % p != 0:
        return False
    if (P[1] * Q[2] - Q[1] * P[2]) % p != 0:
        return False
    return True


def recover_x(y, sign):
    if y >= p:
        return None
    x2 = (y * y - 1) * modp_inv(d * y * y + 1)
    if x2 == 0:
        return None if sign else 0
    x = pow(x2, (p + 3) // 8, p)
    if (x * x - x2) % p != 0:
        x = x * modp_sqrt_m1 % p
    if (x * x - x2) % p != 0:
        return None
    if (x & 1) != sign:
        x = p - x
    return x


g_y = 4 * modp_inv(5) % p
g_x = recover_x(g_y, 0)
G = (g_x, g_y, 1, g_x * g_y % p)


def point_compress(P):
    zinv = modp_inv(P[2])
    x = P[0] * zinv % p
    y = P[1] * zinv % p
    return int.to_bytes(y | ((x & 1) << 255), 32, "little")


def point_decompress(s):
    if len(s) != 32:
        return None
    y = int.from_bytes(s, "little")
    sign = y >> 255
    y &= (1 << 255) - 1
    x = recover_x(y, sign)
    if x is None:
        return None
    return (x, y, 1, x * y % p)


def secret_expand(secret):
    h = sha512(secret)
    a = int.from_bytes(h[:32], "little")
    a &= (1 << 254) - 8
    a |= 1 << 254
    return (a, h[32:])


def secret_to_public(secret):
    a, _ = secret_expand(secret)
    return point_compress(point_mul(a, G))


def sha512_modq(s):
    return int.from_bytes(sha512(s), "little") % L


def ed25519_sign(secret, msg):
    a, prefix = secret_expand(secret)
    A = point_compress(point_mul(a, G))
    r = sha512_modq(prefix + msg)
    Rs = point_compress(point_mul(r, G))
    h = sha512_modq(Rs + A + msg)
    s = (r + h * a) % L
    return Rs + int.to_bytes(s, 32, "little")


def ed25519_verify(public, msg, signature):
    if len(public) != 32 or len(signature) != 64:
        return False
    A = point_decompress(public)
    if not A:
        return False
    Rs = signature[:32]
    R = point_decompress(Rs)
    if not R:
        return False
    s = int.from_bytes(signature[32:], "little")
    if s >= L:
        return False
    h = sha512_modq(Rs + public + msg)
    return point_equal(point_mul(s, G), point_add(R, point_mul(h, A)))


# --- evcat custody encoding, version 1 ------------------------------------

MAGIC = b"evcat-event"
VERSION = 1
GENESIS = bytes(32)


class NotCanonical(Exception):
    pass


def check_no_floats(v):
    if isinstance(v, float):
        raise NotCanonical("details contain a non-integer number")
    if isinstance(v, list):
        for x in v:
            check_no_floats(x)
    if isinstance(v, dict):
        for x in v.values():
            check_no_floats(x)


def canonical_json(v):
    # Python's escaping (ensure_ascii=False) is exactly the spec's: \" \\ \b \f
    # \n \r \t, other controls as lowercase \u00xx, everything else literal.
    # Sorting str keys by code point equals sorting by UTF-8 bytes.
    check_no_floats(v)
    return json.dumps(v, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def put_str(s):
    b = s.encode("utf-8")
    return struct.pack(">I", len(b)) + b


def put_opt_str(s):
    return b"\x00" if s is None else b"\x01" + put_str(s)


def encode(ev):
    out = MAGIC + bytes([VERSION])
    out += struct.pack(">Q", ev["seq"])
    out += put_str(ev["subject_type"])
    out += b"\x00" if ev["subject_id"] is None else b"\x01" + struct.pack(">q", ev["subject_id"])
    out += put_str(ev["action"])
    out += put_str(ev["actor"])
    out += put_str(ev["at"])
    out += put_str(ev["host"])
    out += put_opt_str(ev["location"])
    out += put_opt_str(ev["reason"])
    out += put_str(canonical_json(ev["details"]))
    out += ev["prev_hash"]
    return out


def key_id(public):
    return hashlib.sha256(public).hexdigest()[:16]


# --- verification ----------------------------------------------------------


def verify_catalog(path, head=None):
    db = os.path.join(path, "catalog.sqlite") if os.path.isdir(path) else path
    if not os.path.exists(db):
        print(f"verify_chain: no catalog at {db}", file=sys.stderr)
        return 2
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    keys = {}
    for kid, pub in con.execute("SELECT key_id, public_key FROM actor"):
        pub_b = bytes.fromhex(pub)
        if key_id(pub_b) != kid:
            print(f"actor key {kid}: key id does not match its public key")
        keys[kid] = pub_b
    problems = []
    prev_seq, prev_hash = 0, GENESIS
    count = 0
    hashes = {}
    rows = con.execute(
        "SELECT seq, subject_type, subject_id, action, actor, at, host, location, reason,"
        " details, prev_hash, hash, key_id, signature FROM custody_event ORDER BY seq"
    )
    for (seq, st, sid, action, actor, at, host, loc, reason, details, prevh, h, kid, sig) in rows:
        count += 1
        if seq != prev_seq + 1:
            problems.append(f"event #{seq}: sequence gap (expected #{prev_seq + 1})")
        if bytes.fromhex(prevh) != prev_hash:
            problems.append(f"event #{seq}: prev_hash does not match the previous event's hash")
        ev = dict(seq=seq, subject_type=st, subject_id=sid, action=action, actor=actor, at=at,
                  host=host, location=loc, reason=reason, details=json.loads(details),
                  prev_hash=bytes.fromhex(prevh))
        try:
            computed = hashlib.sha256(encode(ev)).digest()
        except NotCanonical as e:
            problems.append(f"event #{seq}: {e}")
            computed = None
        if computed is not None and computed.hex() != h:
            problems.append(f"event #{seq}: hash mismatch (recomputed {computed.hex()}, stored {h})")
        pub = keys.get(kid)
        if pub is None:
            problems.append(f"event #{seq}: signed by unknown key {kid}")
        elif not ed25519_verify(pub, bytes.fromhex(h), bytes.fromhex(sig)):
            problems.append(f"event #{seq}: bad signature")
        hashes[seq] = h
        prev_seq, prev_hash = seq, bytes.fromhex(h)
    if head is not None:
        hseq, hhash = head.split(":", 1)
        got = hashes.get(int(hseq))
        if got is None:
            problems.append(f"published head #{hseq} is not in the log")
        elif got != hhash.lower():
            problems.append(f"event #{hseq}: differs from the published head (log rewritten)")
    for pr in problems:
        print(pr)
    if problems:
        print(f"FAILED: {len(problems)} problem(s) in {count} events")
        return 1
    print(f"OK: {count} events verified, head {prev_seq}:{prev_hash.hex()}")
    return 0


def example():
    """The worked example in ARCHITECTURE.md."""
    secret = bytes([7] * 32)
    public = secret_to_public(secret)
    ev = dict(seq=1, subject_type="catalog", subject_id=None, action="created", actor="alice",
              at="2026-03-14T05:06:07.089Z", host="desk-1", location="newsroom", reason=None,
              details={"version": 1, "catalog_id": "c1"}, prev_hash=GENESIS)
    enc = encode(ev)
    h = hashlib.sha256(enc).digest()
    sig = ed25519_sign(secret, h)
    print("public_key", public.hex())
    print("key_id    ", key_id(public))
    print("encoding  ", enc.hex())
    print("hash      ", h.hex())
    print("signature ", sig.hex())
    return 0


def main(argv):
    if argv[1:] == ["--example"]:
        return example()
    if len(argv) == 2:
        return verify_catalog(argv[1])
    if len(argv) == 4 and argv[2] == "--head":
        return verify_catalog(argv[1], argv[3])
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
