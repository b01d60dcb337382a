#!/usr/bin/env python3
"""Independent verifier for an evcat custody log (encoding version 1).

Written from the specification in ARCHITECTURE.md ("Custody encoding",
"Merkle tree"), with nothing but the Python standard library: it shares no
code with evcat, so a catalog it accepts is verified by a second
implementation. Ed25519 is the reference implementation from RFC 8032,
section 6 (slow, but exact); the Merkle tree follows RFC 9162's recursive
definitions and its proof verification algorithms.

    python3 tools/verify_chain.py CATALOG_DIR [--head SEQ:HASH[:ROOT]] [--tsa-trust ROOTS.pem]
    python3 tools/verify_chain.py --proof PROOF.json [--head SEQ:HASH:ROOT]
    python3 tools/verify_chain.py --example      # print the spec's worked examples

CATALOG_DIR may also be a catalog.sqlite, or the custody.sqlite of a bag (its
proofs.json beside it is then checked too).

Exit codes: 0 verified, 1 problems found, 2 usage or unreadable input.
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


# --- Merkle tree, RFC 9162 section 2.1 --------------------------------------


def leaf_hash(data):
    return hashlib.sha256(b"\x00" + data).digest()


def node_hash(left, right):
    return hashlib.sha256(b"\x01" + left + right).digest()


def largest_pow2_below(n):
    k = 1
    while k * 2 < n:
        k *= 2
    return k


def mth(leaves, lo, hi):
    """MTH(D[lo:hi]) over leaf hashes, by the RFC's recursive definition."""
    n = hi - lo
    if n == 0:
        return hashlib.sha256(b"").digest()
    if n == 1:
        return leaves[lo]
    k = largest_pow2_below(n)
    return node_hash(mth(leaves, lo, lo + k), mth(leaves, lo + k, hi))


def inclusion_path(leaves, m, lo, hi):
    """PATH(m, D[lo:hi]), leaf level first."""
    n = hi - lo
    if n <= 1:
        return []
    k = largest_pow2_below(n)
    if m < k:
        return inclusion_path(leaves, m, lo, lo + k) + [mth(leaves, lo + k, hi)]
    return inclusion_path(leaves, m - k, lo + k, hi) + [mth(leaves, lo, lo + k)]


def verify_inclusion(index, size, leaf, path, root):
    """RFC 9162 2.1.3.2; returns None or the reason it fails."""
    if index >= size:
        return f"leaf {index} is not in a tree of {size}"
    fn, sn, r = index, size - 1, leaf
    for p in path:
        if sn == 0:
            return "the proof is too long"
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        return "the proof is too short"
    return None if r == root else f"the proof leads to root {r.hex()}, not {root.hex()}"


def verify_consistency(first, second, first_root, second_root, path):
    """RFC 9162 2.1.4.2; returns None or the reason it fails."""
    if first > second:
        return "the first tree is larger than the second"
    if first == second or first == 0:
        if path:
            return "the proof should be empty"
        if first == second and first_root != second_root:
            return "same size, different roots"
        return None
    if not path:
        return "empty proof"
    path = list(path)
    if first & (first - 1) == 0:
        path.insert(0, first_root)
    fn, sn = first - 1, second - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            return "the proof is too long"
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        return "the proof is too short"
    if fr != first_root:
        return "the proof does not lead back to the first root"
    if sr != second_root:
        return "the proof does not lead to the second root"
    return None


def parse_head(text):
    parts = text.strip().split(":")
    if len(parts) not in (2, 3):
        raise ValueError(f"{text!r} is not a head")
    root = bytes.fromhex(parts[2]) if len(parts) == 3 else None
    return int(parts[0]), bytes.fromhex(parts[1]), root


def head_digest(seq, chain_hash, root):
    """What timestamps and witnesses sign for a head (ARCHITECTURE.md "Heads")."""
    return hashlib.sha256(b"evcat-head\x01" + struct.pack(">Q", seq) + chain_hash + root).digest()


def event_of_json(e):
    return dict(seq=e["seq"], subject_type=e["subject_type"], subject_id=e["subject_id"], action=e["action"],
                actor=e["actor"], at=e["at"], host=e["host"], location=e["location"], reason=e["reason"],
                details=e["details"], prev_hash=bytes.fromhex(e["prev_hash"]))


def verify_proof_doc(doc, trusted=None):
    """Check a proof document of `evcat log --proof/--consistency`; returns problems."""
    kind = doc.get("proof")
    if kind == "inclusion":
        seq, chash, root = parse_head(doc["head"])
        if root is None:
            return ["the head has no tree root"]
        problems = []
        ehash = bytes.fromhex(doc["event_hash"])
        if doc.get("event") is not None:
            computed = hashlib.sha256(encode(event_of_json(doc["event"]))).digest()
            if computed != ehash or doc["event"]["hash"] != doc["event_hash"]:
                problems.append(f"the event does not hash to {doc['event_hash']} (recomputed {computed.hex()})")
        if doc["seq"] == seq and ehash != chash:
            problems.append("the head's own event differs from the head's chain hash")
        why = verify_inclusion(doc["seq"] - 1, seq, leaf_hash(ehash), [bytes.fromhex(p) for p in doc["path"]], root)
        if why:
            problems.append(f"inclusion of event #{doc['seq']}: {why}")
        anchor = (seq, chash, root)
    elif kind == "consistency":
        s1, h1, r1 = parse_head(doc["first"])
        s2, h2, r2 = parse_head(doc["second"])
        if r1 is None or r2 is None:
            return ["a head has no tree root"]
        problems = []
        why = verify_consistency(s1, s2, r1, r2, [bytes.fromhex(p) for p in doc["path"]])
        if why:
            problems.append(f"consistency {s1} -> {s2}: {why}")
        anchor = (s1, h1, r1)
    else:
        return [f"not a proof document (proof = {kind!r})"]
    if trusted is not None:
        t = parse_head(trusted)
        if t[0] != anchor[0] or t[1] != anchor[1] or (t[2] is not None and t[2] != anchor[2]):
            problems.append("the proof is not about the trusted head")
    return problems


def verify_proof_file(path, trusted=None):
    with open(path, encoding="utf-8") as f:
        doc = json.load(f)
    problems = verify_proof_doc(doc, trusted)
    for pr in problems:
        print(pr)
    if problems:
        print(f"FAILED: {len(problems)} problem(s)")
        return 1
    print(f"OK: {doc['proof']} proof verified")
    return 0


def verify_bag_proofs(path, hashes, proven_heads):
    """A bag's proofs.json: every event in the bag is in the tree of the bag's
    head, and each earlier head the bag names is consistent with it (those
    are added to proven_heads)."""
    with open(path, encoding="utf-8") as f:
        doc = json.load(f)
    problems = []
    seq, chash, root = parse_head(doc["head"])
    if root is None:
        return ["proofs.json: the head has no tree root"]
    proven_heads.add(doc["head"])
    if hashes.get(seq) != chash.hex():
        problems.append(f"proofs.json: the head #{seq} is not the bag's head event")
    if doc.get("complete"):
        # The bag holds the whole log: recompute the root instead of paths.
        if sorted(hashes) != list(range(1, seq + 1)):
            return problems + ["proofs.json says the bag holds the whole log, but events are missing"]
        leaves = [leaf_hash(bytes.fromhex(hashes[q])) for q in range(1, seq + 1)]
        if mth(leaves, 0, seq) != root:
            problems.append("the tree of the bag's events has another root than its head")
        hashes = {}
    proven = {}
    for p in doc.get("inclusion", []):
        proven[p["seq"]] = [bytes.fromhex(x) for x in p["path"]]
    for q, h in sorted(hashes.items()):
        if q not in proven:
            problems.append(f"event #{q}: no inclusion proof in proofs.json")
            continue
        why = verify_inclusion(q - 1, seq, leaf_hash(bytes.fromhex(h)), proven[q], root)
        if why:
            problems.append(f"event #{q}: not in the tree of the bag's head: {why}")
    for c in doc.get("consistency", []):
        s1, _, r1 = parse_head(c["from"])
        why = verify_consistency(s1, seq, r1, root, [bytes.fromhex(x) for x in c["path"]])
        if why:
            problems.append(f"head {c['from']}: the bag's head does not extend it: {why}")
        else:
            proven_heads.add(c["from"])
    if not problems and hashes:
        withheld = seq - len(hashes)
        print(f"proofs: {len(hashes)} events proven in the tree of head #{seq}; {withheld} events withheld")
    elif not problems:
        print(f"proofs: the bag holds all {seq} events of head #{seq}; the root recomputes")
    return problems


# --- time-stamps: RFC 3161 imprints (openssl CLI for the CMS signature) -----


def der_read(buf, pos):
    """One DER element at pos: (tag, content, next position)."""
    tag = buf[pos]
    n = buf[pos + 1]
    pos += 2
    if n & 0x80:
        k = n & 0x7F
        if k == 0 or k > 4:
            raise ValueError("unsupported DER length")
        n = int.from_bytes(buf[pos:pos + k], "big")
        pos += k
    if pos + n > len(buf):
        raise ValueError("truncated DER")
    return tag, buf[pos:pos + n], pos + n


def der_children(content):
    out, pos = [], 0
    while pos < len(content):
        tag, c, pos = der_read(content, pos)
        out.append((tag, c))
    return out


SHA256_OID = bytes.fromhex("608648016503040201")


def token_imprint(token):
    """The SHA-256 message imprint of an RFC 3161 token (ContentInfo ->
    SignedData -> encapContentInfo -> TSTInfo -> messageImprint)."""
    _, ci, _ = der_read(token, 0)
    signed = der_children(der_children(ci)[1][1])[0][1]  # [0] EXPLICIT SignedData
    encap = der_children(signed)[2][1]
    econtent = der_children(der_children(encap)[1][1])[0][1]  # [0] EXPLICIT OCTET STRING
    _, tst, _ = der_read(econtent, 0)
    imprint = der_children(tst)[2][1]
    alg, digest = der_children(imprint)
    oid = der_children(alg[1])[0][1]
    if oid != SHA256_OID:
        raise ValueError("the imprint is not SHA-256")
    return digest[1]


def verify_timestamps(con, hashes, leaves, trust, proven_heads):
    """Every `timestamped` event: its imprint is the stamped head's statement
    digest (the head being this log's) or the stamped file's SHA-256; with a
    trust store, `openssl ts -verify` checks the token's signature and chain."""
    import subprocess
    import tempfile
    problems, checked = [], 0
    files = {}
    try:
        files = dict(con.execute("SELECT id, sha256 FROM file"))
    except sqlite3.Error:
        pass  # a bag's custody.sqlite has no file table
    rows = con.execute("SELECT seq, subject_type, subject_id, details FROM custody_event"
                       " WHERE action = 'timestamped' ORDER BY seq")
    for seq, st, sid, details in rows:
        d = json.loads(details)
        checked += 1
        if "head" in d:
            hseq, hhash, hroot = parse_head(d["head"])
            if hroot is None:
                problems.append(f"event #{seq}: the stamped head has no tree root")
                continue
            want = head_digest(hseq, hhash, hroot)
            in_log = hashes.get(hseq) == hhash.hex() and leaves is not None and hseq <= len(leaves) \
                and mth(leaves, 0, hseq) == hroot
            if not in_log and d["head"] not in proven_heads:
                problems.append(f"event #{seq}: the stamped head #{hseq} is not a head of this log")
        elif "sha256" in d:
            want = bytes.fromhex(d["sha256"])
            if st == "file" and sid in files and files[sid] != d["sha256"]:
                problems.append(f"event #{seq}: file {sid} no longer has the stamped SHA-256")
        else:
            problems.append(f"event #{seq}: a time-stamp of nothing known")
            continue
        try:
            if d.get("kind") == "rfc3161":
                token = bytes.fromhex(d["token"])
                got = token_imprint(token)
            else:
                ots = bytes.fromhex(d["ots"])
                got = ots[33:65] if ots[32:33] == b"\x08" else None
        except (ValueError, IndexError, KeyError) as e:
            problems.append(f"event #{seq}: unreadable time-stamp ({e})")
            continue
        if got != want:
            problems.append(f"event #{seq}: the time-stamp is for another imprint ({got.hex() if got else '?'})")
            continue
        if trust and d.get("kind") == "rfc3161":
            with tempfile.NamedTemporaryFile(suffix=".tst") as f:
                f.write(token)
                f.flush()
                r = subprocess.run(["openssl", "ts", "-verify", "-token_in", "-in", f.name, "-digest",
                                    want.hex(), "-CAfile", trust], capture_output=True, text=True)
                if r.returncode != 0:
                    problems.append(f"event #{seq}: openssl ts -verify rejects the token: "
                                    f"{(r.stdout + r.stderr).strip().splitlines()[-1:]}")
    return checked, problems


# --- keys: rotation and revocation (ARCHITECTURE.md "Keys") ----------------

KEY_AUTHORITY_ROLES = ("admin", "editor")


def key_history(con):
    """Keys the log introduces (actor-added rows, key-rotated changes), with
    the position each stops being valid at; problems of rotations and
    revocations themselves."""
    keys, names, roles, problems = {}, {}, {}, []
    rows = con.execute("SELECT seq, subject_id, action, actor, details, key_id, reason FROM custody_event"
                       " WHERE subject_type = 'actor' ORDER BY seq")
    revocations = []
    for seq, sid, action, actor, details, signer, reason in rows:
        d = json.loads(details)
        if action == "actor-added" and isinstance(d.get("row"), dict):
            r = d["row"]
            names[sid] = r.get("name")
            roles[r.get("name")] = r.get("role")
            keys.setdefault(r.get("key_id"), dict(pub=r.get("public_key"), actor=r.get("name"),
                                                  introduced=seq, retired=None, revoked=None))
        elif action == "key-rotated":
            ch = d.get("changes", {})
            old, new = ch.get("key_id", {}), ch.get("public_key", {})
            name = names.get(sid)
            if signer != old.get("before"):
                problems.append(f"event #{seq}: key rotation of {name} not signed by the old key")
            else:
                msg = hashlib.sha256(b"evcat-key-rotation-v1" + struct.pack(">I", len(name.encode())) + name.encode()
                                     + bytes.fromhex(new["before"]) + bytes.fromhex(new["after"])).digest()
                if not ed25519_verify(bytes.fromhex(new["after"]), msg, bytes.fromhex(d.get("new_key_proof", "00" * 64))):
                    problems.append(f"event #{seq}: key rotation of {name}: the new key's proof does not verify")
            if old.get("before") in keys:
                keys[old["before"]]["retired"] = keys[old["before"]]["retired"] or seq
            keys.setdefault(old.get("after"), dict(pub=new.get("after"), actor=name, introduced=seq,
                                                   retired=None, revoked=None))
        elif action == "key-revoked":
            revocations.append((seq, actor, d.get("key_id"), d.get("from_seq"), reason))
    for seq, actor, kid, frm, reason in revocations:
        k = keys.get(kid)
        if k is None or roles.get(actor) not in KEY_AUTHORITY_ROLES or k["actor"] == actor:
            problems.append(f"event #{seq}: revocation by {actor} without the authority to revoke; no effect")
            continue
        if k["revoked"] is None or frm < k["revoked"][0]:
            k["revoked"] = (frm, reason, actor)
    return keys, problems


def key_problem(keys, seq, actor, kid):
    k = keys.get(kid)
    if k is None:
        return None
    if k["actor"] != actor:
        return f"event #{seq}: signed by key {kid} of {k['actor']}, not of {actor}"
    if k["revoked"] is not None and seq > k["revoked"][0]:
        return f"event #{seq}: signed by key {kid}, revoked from #{k['revoked'][0]} by {k['revoked'][2]}: {k['revoked'][1]}"
    if k["retired"] is not None and seq > k["retired"]:
        return f"event #{seq}: signed by key {kid}, retired by rotation #{k['retired']}"
    return None


# --- verification ----------------------------------------------------------


def verify_catalog(path, head=None, trust=None):
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
    history, problems = key_history(con)
    for kid, k in history.items():
        if kid not in keys and k["pub"]:
            keys[kid] = bytes.fromhex(k["pub"])
    prev_seq, prev_hash = 0, GENESIS
    count = 0
    hashes = {}
    order = []
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
        else:
            kp = key_problem(history, seq, actor, kid)
            if kp:
                problems.append(kp)
        hashes[seq] = h
        order.append(seq)
        prev_seq, prev_hash = seq, bytes.fromhex(h)
    # The tree over the log, when the log is whole (a partial bag's events are
    # checked against its proofs instead, below).
    whole = order == list(range(1, len(order) + 1))
    leaves = [leaf_hash(bytes.fromhex(hashes[q])) for q in order] if whole else None
    if head is not None:
        hseq, hhash, hroot = parse_head(head)
        got = hashes.get(hseq)
        if got is None:
            problems.append(f"published head #{hseq} is not in the log")
        elif got != hhash.hex():
            problems.append(f"event #{hseq}: differs from the published head (log rewritten)")
        elif hroot is not None and leaves is not None and mth(leaves, 0, hseq) != hroot:
            problems.append(f"the tree of events #1..#{hseq} has another root than the published head")
    proven_heads = set()
    proofs = os.path.join(os.path.dirname(db), "proofs.json")
    if os.path.exists(proofs):
        problems += verify_bag_proofs(proofs, hashes, proven_heads)
    stamps, stamp_problems = verify_timestamps(con, hashes, leaves, trust, proven_heads)
    problems += stamp_problems
    if stamps:
        print(f"time-stamps: {stamps} checked" + (" (signatures with openssl)" if trust else " (imprints)"))
    for pr in problems:
        print(pr)
    if problems:
        print(f"FAILED: {len(problems)} problem(s) in {count} events")
        return 1
    root = f":{mth(leaves, 0, len(leaves)).hex()}" if leaves else ""
    print(f"OK: {count} events verified, head {prev_seq}:{prev_hash.hex()}{root}")
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
    # The tree example: this event, then two events whose hashes are 32 bytes
    # of 0x02 and of 0x03.
    leaves = [leaf_hash(x) for x in (h, bytes([2] * 32), bytes([3] * 32))]
    for i, x in enumerate(leaves):
        print(f"leaf {i}    ", x.hex())
    print("root 2    ", mth(leaves, 0, 2).hex())
    root = mth(leaves, 0, 3)
    print("root 3    ", root.hex())
    print("path 1 / 3", " ".join(x.hex() for x in inclusion_path(leaves, 1, 0, 3)))
    print("head 3 statement digest", head_digest(3, bytes([3] * 32), root).hex())
    return 0


def main(argv):
    if argv[1:] == ["--example"]:
        return example()
    args = argv[1:]
    if args and args[0] not in ("--proof", "--example"):
        opts = dict(zip(args[1::2], args[2::2]))
        if len(args) % 2 == 1 and set(opts) <= {"--head", "--tsa-trust"}:
            return verify_catalog(args[0], opts.get("--head"), opts.get("--tsa-trust"))
    if len(argv) in (3, 5) and argv[1] == "--proof":
        return verify_proof_file(argv[2], argv[4] if len(argv) == 5 and argv[3] == "--head" else None)
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
