#!/usr/bin/env node
// keylog-vectors.mjs checks sealkit's key transparency log vectors
// (keylog/testdata/vectors.json, described in keylog/SPEC.md) with
// WebCrypto alone — SHA-256 and Ed25519 from crypto.subtle, as a browser
// has them — so a web client can verify what the Go log signs and proves:
// leaf hashing, tree heads, RFC 9162 inclusion and consistency proofs,
// signed-note checkpoints and the client's fork and rollback rules.
//
// Usage: node keylog-vectors.mjs [FILE]
// Exit status: 0 if every vector matched its expected outcome, 1 otherwise.

import { readFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
const defaultFile = path.resolve(here, "..", "..", "keylog", "testdata", "vectors.json");

// The limits of keylog/SPEC.md.
const MAX_USER = 255;
const MAX_DATA = 65536;
const MAX_CHECKPOINT_BYTES = 16 << 10;
const MAX_ORIGIN = 255;
const MAX_SIZE = (1n << 53n) - 1n;
const MAX_PROOF_HASHES = 64;
const MAX_NOTE_SIGNATURES = 100;
const HASH_SIZE = 32;
const ENTRY_LABEL = new TextEncoder().encode("sealkit keylog entry v1");
const SIG_PREFIX = "\u2014 ";

// Failure is an outcome a check ends with: one of the vectors' expect codes.
class Failure extends Error {
  constructor(code, detail) {
    super(`${code}: ${detail}`);
    this.code = code;
  }
}
const fail = (code, detail) => {
  throw new Failure(code, detail);
};

const hex = {
  decode: (s) => {
    if (s.length % 2 !== 0 || !/^[0-9a-f]*$/.test(s)) throw new Error(`bad hex in the vector file: ${s.slice(0, 20)}`);
    const b = new Uint8Array(s.length / 2);
    for (let i = 0; i < b.length; i++) b[i] = parseInt(s.slice(2 * i, 2 * i + 2), 16);
    return b;
  },
  encode: (b) => Array.from(b, (x) => x.toString(16).padStart(2, "0")).join(""),
};

// b64decode is standard base64 with padding (Go's base64.StdEncoding);
// null if s is not that.
function b64decode(s) {
  if (!/^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/.test(s)) return null;
  return Uint8Array.from(atob(s), (c) => c.charCodeAt(0));
}
const b64encode = (b) => btoa(String.fromCharCode(...b));

const concat = (...parts) => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let i = 0;
  for (const p of parts) {
    out.set(p, i);
    i += p.length;
  }
  return out;
};
const equal = (a, b) => a.length === b.length && a.every((x, i) => x === b[i]);
const sha256 = async (b) => new Uint8Array(await crypto.subtle.digest("SHA-256", b));

// RFC 6962 hashing.
const hashLeaf = (leaf) => sha256(concat(Uint8Array.of(0), leaf));
const hashChildren = (l, r) => sha256(concat(Uint8Array.of(1), l, r));
export const EMPTY_ROOT = await sha256(new Uint8Array(0));

// validLabel is keylog's rule for user labels and origins: UTF-8 without
// control characters (Go's unicode.IsControl: C0, DEL and C1).
function validLabel(bytes, max) {
  if (bytes.length < 1 || bytes.length > max) return false;
  let s;
  try {
    s = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true }).decode(bytes);
  } catch {
    return false;
  }
  return !/[\u0000-\u001f\u007f-\u009f]/.test(s);
}

// checkEntry is Entry.Check.
function checkEntry(user, data) {
  if (!validLabel(user, MAX_USER)) fail("malformed", "user label");
  if (data.length > MAX_DATA) fail("malformed", "entry data over 64 KiB");
}

// entryLeaf is Entry.Leaf: label || 0 || u8(len(user)) || user || data.
function entryLeaf(user, data) {
  checkEntry(user, data);
  return concat(ENTRY_LABEL, Uint8Array.of(0, user.length), user, data);
}

// parseLeaf is ParseLeaf.
function parseLeaf(b) {
  const n = ENTRY_LABEL.length + 2;
  if (b.length < n || !equal(b.subarray(0, ENTRY_LABEL.length), ENTRY_LABEL) || b[ENTRY_LABEL.length] !== 0) {
    fail("malformed", "no entry label");
  }
  const ul = b[n - 1];
  if (b.length < n + ul) fail("malformed", "leaf shorter than its user label");
  const user = b.subarray(n, n + ul);
  const data = b.subarray(n + ul);
  checkEntry(user, data);
  return { user, data };
}

// treeRoot is RFC 6962's MTH of leaf hashes.
async function treeRoot(leaves) {
  if (leaves.length === 0) return EMPTY_ROOT;
  if (leaves.length === 1) return leaves[0];
  let k = 1;
  while (k * 2 < leaves.length) k *= 2;
  return hashChildren(await treeRoot(leaves.slice(0, k)), await treeRoot(leaves.slice(k)));
}

function checkHashes(hs) {
  if (hs.length > MAX_PROOF_HASHES) fail("malformed", `${hs.length} proof hashes`);
  for (const h of hs) if (h.length !== HASH_SIZE) fail("malformed", `proof hash of ${h.length} bytes`);
}

// verifyInclusion is RFC 9162 §2.1.3.2, with Verifier.VerifyInclusion's
// checks before it.
async function verifyInclusion(index, size, leafHash, hs, root) {
  if (size > MAX_SIZE || index >= size) fail("malformed", `index ${index} in size ${size}`);
  checkHashes(hs);
  let fn = index;
  let sn = size - 1n;
  let r = leafHash;
  for (const p of hs) {
    if (sn === 0n) fail("bad_proof", "inclusion proof too long");
    if ((fn & 1n) === 1n || fn === sn) {
      r = await hashChildren(p, r);
      while ((fn & 1n) === 0n && fn !== 0n) {
        fn >>= 1n;
        sn >>= 1n;
      }
    } else {
      r = await hashChildren(r, p);
    }
    fn >>= 1n;
    sn >>= 1n;
  }
  if (sn !== 0n) fail("bad_proof", "inclusion proof too short");
  if (!equal(r, root)) fail("bad_proof", "inclusion proof leads to another root");
}

// verifyConsistency is RFC 9162 §2.1.4.2, with Verifier.VerifyConsistency's
// checks before it and transparency-dev/merkle's rules for equal sizes and
// size 0 (only an empty proof).
async function verifyConsistency(oldSize, newSize, hs, oldRoot, newRoot) {
  if (newSize > MAX_SIZE || oldSize > newSize) fail("malformed", `consistency from ${oldSize} to ${newSize}`);
  checkHashes(hs);
  if (oldSize === newSize) {
    if (hs.length !== 0) fail("bad_proof", "equal sizes with a non-empty proof");
    if (!equal(oldRoot, newRoot)) fail("bad_proof", "equal sizes with different roots");
    return;
  }
  if (oldSize === 0n) {
    if (hs.length !== 0) fail("bad_proof", "from size 0 with a non-empty proof");
    return;
  }
  if (hs.length === 0) fail("bad_proof", "empty consistency proof");
  let path = hs;
  if ((oldSize & (oldSize - 1n)) === 0n) path = [oldRoot, ...hs];
  let fn = oldSize - 1n;
  let sn = newSize - 1n;
  while ((fn & 1n) === 1n) {
    fn >>= 1n;
    sn >>= 1n;
  }
  let fr = path[0];
  let sr = path[0];
  for (const c of path.slice(1)) {
    if (sn === 0n) fail("bad_proof", "consistency proof too long");
    if ((fn & 1n) === 1n || fn === sn) {
      fr = await hashChildren(c, fr);
      sr = await hashChildren(c, sr);
      while ((fn & 1n) === 0n && fn !== 0n) {
        fn >>= 1n;
        sn >>= 1n;
      }
    } else {
      sr = await hashChildren(sr, c);
    }
    fn >>= 1n;
    sn >>= 1n;
  }
  if (sn !== 0n) fail("bad_proof", "consistency proof too short");
  if (!equal(fr, oldRoot)) fail("bad_proof", "consistency proof leads to another old root");
  if (!equal(sr, newRoot)) fail("bad_proof", "consistency proof leads to another new root");
}

// parseVerifierKey reads a signed-note verifier key, name+hash+base64(1 ||
// Ed25519 public key), checking its key hash.
async function parseVerifierKey(vkey) {
  const [name, hashHex, ...rest] = vkey.split("+");
  const key = rest.length ? b64decode(rest.join("+")) : null;
  if (!key || key.length !== 33 || key[0] !== 1 || !/^[0-9a-f]{8}$/.test(hashHex)) {
    throw new Error(`bad verifier key ${vkey}`);
  }
  const hash = await keyHash(name, key);
  if (hash !== parseInt(hashHex, 16)) throw new Error(`verifier key ${vkey}: wrong key hash`);
  const pub = await crypto.subtle.importKey("raw", key.subarray(1), { name: "Ed25519" }, false, ["verify"]);
  return { name, hash, pub };
}

// keyHash is the first 4 bytes of SHA-256(name || "\n" || key), big-endian.
async function keyHash(name, key) {
  const h = await sha256(concat(new TextEncoder().encode(name + "\n"), key));
  return new DataView(h.buffer).getUint32(0);
}

// validNoteName is note's rule: non-empty, no Unicode space (Go's
// unicode.IsSpace), no "+".
const validNoteName = (name) =>
  name !== "" && !name.includes("+") && !/[\t\n\v\f\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]/.test(name);

// openNote is golang.org/x/mod/sumdb/note's Open with one known key: it
// returns the note's text if the key signed it.
async function openNote(msg, key) {
  let s;
  try {
    s = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true }).decode(msg);
  } catch {
    fail("malformed", "note is not UTF-8");
  }
  if (/[\u0000-\u0009\u000b-\u001f]/.test(s)) fail("malformed", "control character in the note");
  const split = s.lastIndexOf("\n\n");
  if (split < 0) fail("malformed", "no signature block");
  const text = s.slice(0, split + 1);
  let sigs = s.slice(split + 2);
  if (sigs === "" || !sigs.endsWith("\n")) fail("malformed", "signature block does not end in a newline");
  let numSig = 0;
  let verified = false;
  let seen = false;
  while (sigs.length > 0) {
    const i = sigs.indexOf("\n");
    let line = sigs.slice(0, i);
    sigs = sigs.slice(i + 1);
    if (!line.startsWith(SIG_PREFIX)) fail("malformed", "signature line without its prefix");
    line = line.slice(SIG_PREFIX.length);
    const sp = line.indexOf(" ");
    const name = sp < 0 ? line : line.slice(0, sp);
    const b64 = sp < 0 ? "" : line.slice(sp + 1);
    const sig = b64decode(b64);
    if (!sig || !validNoteName(name) || b64 === "" || sig.length < 5) fail("malformed", "bad signature line");
    const hash = new DataView(sig.buffer).getUint32(0);
    if (++numSig > MAX_NOTE_SIGNATURES) fail("malformed", "too many signatures");
    if (name !== key.name || hash !== key.hash) continue; // another key's (a cosignature): kept, unchecked
    if (seen) continue; // note skips a repeated line of a known key
    seen = true;
    const ok = await crypto.subtle.verify({ name: "Ed25519" }, key.pub, sig.subarray(4), new TextEncoder().encode(text));
    if (!ok) fail("bad_signature", "the log's signature does not verify");
    verified = true;
  }
  if (!verified) fail("bad_signature", "no signature by the log's key");
  return text;
}

// parseCheckpoint is Verifier.ParseCheckpoint.
export async function parseCheckpoint(note, key, origin) {
  const msg = new TextEncoder().encode(note);
  if (msg.length > MAX_CHECKPOINT_BYTES) fail("malformed", "checkpoint over 16 KiB");
  const text = await openNote(msg, key);
  const m = /^([^\n]*)\n([^\n]*)\n([^\n]*)\n$/.exec(text);
  if (!m) fail("malformed", "checkpoint is not three lines");
  const [, cpOrigin, sizeText, rootText] = m;
  if (!/^(0|[1-9][0-9]*)$/.test(sizeText)) fail("malformed", "size is not canonical decimal");
  const size = BigInt(sizeText);
  const root = b64decode(rootText);
  if (!root || b64encode(root) !== rootText) fail("malformed", "root is not canonical base64");
  if (root.length !== HASH_SIZE) fail("malformed", `root of ${root.length} bytes`);
  if (size > MAX_SIZE) fail("malformed", "size over 2^53-1");
  if (size === 0n && !equal(root, EMPTY_ROOT)) fail("malformed", "size 0 with another root than the empty tree's");
  if (!validLabel(new TextEncoder().encode(cpOrigin), MAX_ORIGIN)) fail("malformed", "origin");
  if (cpOrigin !== origin) fail("wrong_origin", `origin ${cpOrigin}`);
  return { origin: cpOrigin, size, root };
}

// accept is Client.Accept: may a client that accepted old take next, shown
// with proof (null for none)?
async function accept(old, next, proof) {
  if (next.size < old.size) fail("rollback", `size ${next.size} after ${old.size}`);
  if (next.size === old.size) {
    if (!equal(next.root, old.root)) fail("fork", "same size, another root");
    return;
  }
  if (!proof || proof.old !== old.size || proof.new !== next.size) fail("bad_proof", "no consistency proof between the sizes");
  try {
    await verifyConsistency(proof.old, proof.new, proof.hashes, old.root, next.root);
  } catch (e) {
    if (e instanceof Failure) fail(`fork_${e.code}`, e.message);
    throw e;
  }
}

class Tally {
  passed = 0;
  failed = 0;
  async check(section, name, expect, fn) {
    let got = "ok";
    let detail = "";
    try {
      await fn();
    } catch (e) {
      if (!(e instanceof Failure)) throw e;
      got = e.code;
      detail = e.message;
    }
    if (got === expect) {
      this.passed++;
    } else {
      this.failed++;
      console.log(`FAIL ${section}/${name}: want ${expect}, got ${got}${detail ? ` (${detail})` : ""}`);
    }
  }
}

async function main() {
  const file = process.argv[2] ?? defaultFile;
  const vs = JSON.parse(await readFile(file, "utf8"));
  for (const s of ["entries", "bad_entries", "leaves", "tree_heads", "inclusion", "consistency", "checkpoints", "client"]) {
    if (!Array.isArray(vs[s]) || vs[s].length === 0) throw new Error(`${file}: section ${s} is missing or empty`);
  }
  const t = new Tally();
  const key = await parseVerifierKey(vs.log_key);
  const enc = new TextEncoder();

  const leafHashes = [];
  for (const e of vs.entries) {
    const user = enc.encode(e.user);
    const data = hex.decode(e.data);
    let leafHash = null;
    await t.check("entries", e.name, "ok", async () => {
      const leaf = entryLeaf(user, data);
      if (hex.encode(leaf) !== e.leaf) fail("leaf", "another leaf");
      leafHash = await hashLeaf(leaf);
      if (hex.encode(leafHash) !== e.leaf_hash) fail("leaf_hash", "another leaf hash");
      const back = parseLeaf(leaf);
      if (!equal(back.user, user) || !equal(back.data, data)) fail("parse_leaf", "ParseLeaf does not give the entry back");
    });
    leafHashes.push(leafHash ?? new Uint8Array(HASH_SIZE));
  }
  for (const b of vs.bad_entries) {
    await t.check("bad_entries", b.name, b.expect, async () => checkEntry(hex.decode(b.user_hex), new Uint8Array(b.data_len)));
  }
  for (const l of vs.leaves) {
    await t.check("leaves", l.name, l.expect, async () => {
      parseLeaf(concat(hex.decode(l.leaf), new Uint8Array(l.zeros ?? 0)));
    });
  }
  for (const h of vs.tree_heads) {
    await t.check("tree_heads", `size-${h.size}`, "ok", async () => {
      if (hex.encode(await treeRoot(leafHashes.slice(0, h.size))) !== h.root) fail("root", "another root");
    });
  }
  for (const v of vs.inclusion) {
    await t.check("inclusion", v.name, v.expect, async () => {
      const e = vs.entries[v.entry];
      const leafHash = await hashLeaf(entryLeaf(enc.encode(e.user), hex.decode(e.data)));
      await verifyInclusion(BigInt(v.index), BigInt(v.size), leafHash, v.hashes.map(hex.decode), hex.decode(v.root));
    });
  }
  for (const v of vs.consistency) {
    await t.check("consistency", v.name, v.expect, async () => {
      await verifyConsistency(BigInt(v.old), BigInt(v.new), v.hashes.map(hex.decode), hex.decode(v.old_root), hex.decode(v.new_root));
    });
  }
  for (const v of vs.checkpoints) {
    await t.check("checkpoints", v.name, v.expect, async () => {
      const cp = await parseCheckpoint(v.note, key, vs.origin);
      if (cp.size !== BigInt(v.size ?? 0) || hex.encode(cp.root) !== v.root) fail("contents", `size ${cp.size} root ${hex.encode(cp.root)}`);
    });
  }
  for (const v of vs.client) {
    await t.check("client", v.name, v.expect, async () => {
      const old = await parseCheckpoint(v.accepted, key, vs.origin);
      const next = await parseCheckpoint(v.next, key, vs.origin);
      const proof = v.proof && { old: BigInt(v.proof.old), new: BigInt(v.proof.new), hashes: v.proof.hashes.map(hex.decode) };
      await accept(old, next, proof);
    });
  }
  console.log(`keylog vectors: ${t.passed} passed, ${t.failed} failed (${file})`);
  process.exit(t.failed === 0 ? 0 : 1);
}

await main();
