// bundle.js reads and verifies sealkit key bundles and computes safety
// numbers with WebCrypto (Ed25519 and ECDSA P-256 verify, SHA-256,
// SHA-512), as identity/SPEC.md ("Key bundles", "Safety numbers") says.

import { readFile } from "node:fs/promises";

import { concat, importPublicKey, IdentityError } from "./identity.js";

const subtle = globalThis.crypto.subtle;
const utf8 = new TextEncoder();

const BUNDLE_LABEL = "sealkit identity key-bundle v1";
const KEY_CHANGE_LABEL = "sealkit identity key-change v1";
const BUNDLE_HASH_LABEL = "sealkit identity key-bundle hash v1";
const SAFETY_NUMBER_LABEL = "sealkit identity safety-number v1";
const SAFETY_NUMBER_ITERATIONS = 5200;

export const MAX_BUNDLE_BYTES = 48 << 10;
export const MAX_BUNDLE_KEYS = 16;
export const MAX_PUBLISHED_KEY_BYTES = 2048;
export const MAX_KEY_TYPE_LENGTH = 32;
export const MAX_KEY_PURPOSE_LENGTH = 64;
export const MAX_USER_ID_LENGTH = 255;
const MAX_INT64 = (1n << 63n) - 1n;

/** BundleError.code is the vectors' outcome: "malformed", "bad_signature", "wrong_user", "rollback", "chain", "identity_changed". */
export class BundleError extends Error {
  constructor(code, message) {
    super(`identity: key bundle: ${message}`);
    this.name = "BundleError";
    this.code = code;
  }
}

const malformed = (why) => new BundleError("malformed", why);

const sameBytes = (a, b) => a.length === b.length && a.every((x, i) => x === b[i]);

// userIdOk: 1-255 bytes of UTF-8 without C0, DEL or C1 controls.
function userIdText(bytes) {
  if (bytes.length === 0 || bytes.length > MAX_USER_ID_LENGTH) return null;
  let s;
  try {
    s = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true }).decode(bytes);
  } catch {
    return null;
  }
  for (const ch of s) {
    const c = ch.codePointAt(0);
    if (c < 0x20 || (c >= 0x7f && c < 0xa0)) return null;
  }
  return s;
}

const keyNameOk = (s, max) => s.length >= 1 && s.length <= max && /^[a-z0-9-]+$/.test(s);

class Reader {
  constructor(b) {
    this.b = b;
    this.off = 0;
  }
  take(n) {
    if (this.off + n > this.b.length) throw malformed("truncated");
    const v = this.b.subarray(this.off, this.off + n);
    this.off += n;
    return v;
  }
  u8() {
    return this.take(1)[0];
  }
  u16() {
    const v = this.take(2);
    return (v[0] << 8) | v[1];
  }
  u64() {
    return new DataView(this.take(8).slice().buffer).getBigUint64(0);
  }
  str8() {
    return this.take(this.u8());
  }
}

async function readKey(r, optional) {
  const alg = new TextDecoder().decode(r.str8());
  if (alg === "" && optional) return null;
  const raw = r.str8().slice();
  if (alg !== "ed25519" && alg !== "ecdsa-p256-sha256") throw malformed(`unknown key algorithm ${JSON.stringify(alg)}`);
  // WebCrypto would also take a compressed P-256 point; the format has only the uncompressed one.
  if (alg === "ecdsa-p256-sha256" && (raw.length !== 65 || raw[0] !== 4)) throw malformed("P-256 key is not a 65-byte uncompressed point");
  try {
    return { ...(await importPublicKey(alg, raw)), raw };
  } catch (e) {
    if (e instanceof IdentityError || e.name === "DataError") throw malformed("invalid identity key");
    throw e;
  }
}

const sameKey = (a, b) => a != null && b != null && a.alg === b.alg && sameBytes(a.raw, b.raw);

/**
 * parseBundle decodes an encoded bundle strictly (identity/SPEC.md, "Key
 * bundles"); it checks no signature. Throws BundleError("malformed").
 */
export async function parseBundle(bytes) {
  if (bytes.length > MAX_BUNDLE_BYTES) throw malformed("over the size cap");
  const r = new Reader(bytes);
  if (bytes.length === 0 || r.u8() !== 1) throw malformed("unknown format");
  const userId = userIdText(r.str8());
  if (userId === null) throw malformed("user ID");
  const version = r.u64();
  const created = r.u64();
  if (version === 0n) throw malformed("version 0");
  if (created === 0n || created > MAX_INT64) throw malformed("created out of range");
  const identityKey = await readKey(r, false);
  const previous = r.str8().slice();
  if (version === 1n ? previous.length !== 0 : previous.length !== 32) throw malformed("previous bundle hash");
  const previousIdentityKey = await readKey(r, true);
  if (previousIdentityKey && version === 1n) throw malformed("key change at version 1");
  if (sameKey(previousIdentityKey, identityKey)) throw malformed("key change to the same key");
  const n = r.u8();
  if (n > MAX_BUNDLE_KEYS) throw malformed("too many keys");
  const keys = [];
  for (let i = 0; i < n; i++) {
    const type = new TextDecoder().decode(r.str8());
    const purpose = new TextDecoder().decode(r.str8());
    const size = r.u16();
    if (size === 0 || size > MAX_PUBLISHED_KEY_BYTES) throw malformed("published key size");
    const data = r.take(size).slice();
    if (!keyNameOk(type, MAX_KEY_TYPE_LENGTH) || !keyNameOk(purpose, MAX_KEY_PURPOSE_LENGTH)) throw malformed("published key type or purpose");
    const prev = keys[keys.length - 1];
    if (prev && !(prev.type < type || (prev.type === type && prev.purpose < purpose))) throw malformed("keys not sorted or repeated");
    keys.push({ type, purpose, data });
  }
  const body = bytes.slice(0, r.off);
  const signature = r.str8().slice();
  if (signature.length !== 64) throw malformed("identity signature size");
  let keyChangeSignature = null;
  if (previousIdentityKey) {
    keyChangeSignature = r.str8().slice();
    if (keyChangeSignature.length !== 64) throw malformed("key change signature size");
  }
  if (r.off !== bytes.length) throw malformed("trailing bytes");
  return { userId, version, created, identityKey, previous, previousIdentityKey, keys, body, signature, keyChangeSignature };
}

const labelled = (label, body) => concat(utf8.encode(label), new Uint8Array([0]), body);

/** bundleHash is SHA-256(label || 0x00 || body): what the next version names as previous. */
export async function bundleHash(b) {
  return new Uint8Array(await subtle.digest("SHA-256", labelled(BUNDLE_HASH_LABEL, b.body)));
}

function verifySig(k, sig, data) {
  if (k.alg === "ed25519") return subtle.verify({ name: "Ed25519" }, k.key, sig, data);
  return subtle.verify({ name: "ECDSA", hash: "SHA-256" }, k.key, sig, data);
}

/**
 * verifyBundle checks a parsed bundle against pin {userId, key (an
 * importPublicKey result with raw, or null), version (BigInt), hash
 * (Uint8Array or null)} in SPEC.md's order. Throws BundleError.
 */
export async function verifyBundle(b, pin) {
  if (!(await verifySig(b.identityKey, b.signature, labelled(BUNDLE_LABEL, b.body)))) throw new BundleError("bad_signature", "identity signature");
  if (b.previousIdentityKey && !(await verifySig(b.previousIdentityKey, b.keyChangeSignature, labelled(KEY_CHANGE_LABEL, b.body)))) {
    throw new BundleError("bad_signature", "key change signature");
  }
  if (b.userId !== pin.userId) throw new BundleError("wrong_user", "another user's bundle");
  if (b.version < pin.version) throw new BundleError("rollback", "older than pinned");
  if (b.version === pin.version && pin.version !== 0n) {
    if (!pin.hash || !sameBytes(await bundleHash(b), pin.hash)) throw new BundleError("rollback", "another bundle at the pinned version");
  } else if (pin.hash) {
    if (b.version !== pin.version + 1n) throw new BundleError("chain", "versions skipped");
    if (!sameBytes(b.previous, pin.hash)) throw new BundleError("chain", "previous hash");
  }
  if (pin.key == null || sameKey(pin.key, b.identityKey) || sameKey(pin.key, b.previousIdentityKey)) return;
  throw new BundleError("identity_changed", "identity key is not the pinned one");
}

// safetySide is one user's 30 digits.
async function safetySide(userId, alg, raw) {
  const id = utf8.encode(userId);
  if (userIdText(id) === null) throw malformed("user ID");
  const a = utf8.encode(alg);
  let h = concat(utf8.encode(SAFETY_NUMBER_LABEL), new Uint8Array([0, a.length]), a, new Uint8Array([raw.length]), raw, new Uint8Array([id.length]), id);
  for (let i = 0; i < SAFETY_NUMBER_ITERATIONS; i++) h = new Uint8Array(await subtle.digest("SHA-512", concat(h, raw)));
  let out = "";
  for (let i = 0; i < 30; i += 5) {
    let n = 0n;
    for (let j = 0; j < 5; j++) n = (n << 8n) | BigInt(h[i + j]);
    out += String(n % 100000n).padStart(5, "0");
  }
  return out;
}

/** safetyNumber returns the 60-digit number for {userId, alg, raw} pairs a and b (either order), in 12 groups of 5. */
export async function safetyNumber(a, b) {
  let [x, y] = [await safetySide(a.userId, a.alg, a.raw), await safetySide(b.userId, b.alg, b.raw)];
  if (y < x) [x, y] = [y, x];
  return (x + y).match(/.{5}/g).join(" ");
}

/**
 * checkBundleVectors checks identity/testdata/bundles.json: every bundle
 * through parseBundle, bundleHash and verifyBundle, and every safety
 * number (one pair is in the file in both orders).
 */
export async function checkBundleVectors(file, tally) {
  let f;
  try {
    f = JSON.parse(await readFile(file, "utf8"));
  } catch (e) {
    tally.fail("identity bundle vectors", `${file}: ${e.message}`);
    return;
  }
  const unhex = (s) => Uint8Array.from(s.match(/../g) ?? [], (x) => parseInt(x, 16));
  const tohex = (b) => Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
  const keyOf = async (name) => (name ? { ...(await importPublicKey(f.keys[name].alg, unhex(f.keys[name].public))), raw: unhex(f.keys[name].public) } : null);
  for (const v of f.bundles) {
    let got = "ok";
    try {
      const b = await parseBundle(unhex(v.bundle));
      if (tohex(await bundleHash(b)) !== v.hash) throw new Error("bundle hash differs");
      const pin = { userId: v.pin.user_id, key: await keyOf(v.pin.key), version: BigInt(v.pin.version), hash: v.pin.hash ? unhex(v.pin.hash) : null };
      await verifyBundle(b, pin);
    } catch (e) {
      got = e instanceof BundleError ? e.code : `error: ${e.message}`;
    }
    if (got === v.expect) tally.pass();
    else tally.fail(`identity bundle ${v.name}`, `got ${got}, want ${v.expect}`);
  }
  for (const v of f.safety_numbers) {
    const side = (s) => ({ userId: s.user_id, alg: f.keys[s.key].alg, raw: unhex(f.keys[s.key].public) });
    let got = "ok";
    let ab = "";
    try {
      ab = await safetyNumber(side(v.a), side(v.b));
    } catch (e) {
      got = e instanceof BundleError ? e.code : `error: ${e.message}`;
    }
    if (got !== v.expect) tally.fail(`identity safety number ${v.name}`, `got ${got}, want ${v.expect}`);
    else if (got === "ok" && ab !== v.number) tally.fail(`identity safety number ${v.name}`, `got ${ab}`);
    else tally.pass();
  }
  console.log(`identity bundle vectors: ${f.bundles.length} bundles, ${f.safety_numbers.length} safety numbers checked`);
}
