// sealkit.js: the sealkit envelope format (envelope/SPEC.md, version 1) in
// WebCrypto, for browsers and Node. It uses only globalThis.crypto.subtle,
// @hpke/core with @hpke/dhkem-x25519 and @hpke/hybridkem-x-wing for HPKE,
// and @noble/hashes for Argon2id (which WebCrypto lacks). No Node-only API.
//
// It is a second, independent implementation of the format: it was written
// from the spec and is checked against the Go package's golden vectors (see
// check-vectors.mjs), and the Go tests open what it seals.
//
// Shape: recipients wrap a file key into stanzas, identities unwrap one;
// seal() and open() work on whole byte arrays, sealStream()/openStream()
// on WHATWG streams for files too large to hold twice.

import { Aes256Gcm, CipherSuite, HkdfSha256 as HpkeHkdfSha256 } from "@hpke/core";
import { DhkemX25519HkdfSha256, HkdfSha256 as X25519Hkdf, X25519 } from "@hpke/dhkem-x25519";
import { XWing } from "@hpke/hybridkem-x-wing";
import { argon2idAsync } from "@noble/hashes/argon2.js";

const subtle = globalThis.crypto.subtle;

// ---------------------------------------------------------------------------
// Format constants (SPEC.md §2, §3, §6).

const HEADER_MAGIC = [0x53, 0x4b, 0x45, 0x56]; // "SKEV"
const RECORD_MAGIC = [0x53, 0x4b, 0x57, 0x4b]; // "SKWK"
const FORMAT_V1 = 1;
const SALT_SIZE = 32;
const MAC_SIZE = 32;
const KEY_SIZE = 32;
const WRAPPED_KEY_SIZE = KEY_SIZE + 8; // AES-KW output for a 32-byte key
const NONCE_SIZE = 12;
const TAG_SIZE = 16;
const HINT_SIZE = 8;
const MAX_TYPE_LEN = 32;
const MAX_HINT_LEN = 255;
const MAX_BODY_LEN = 65535;

/** Payload suites (SPEC.md §4). */
export const SUITE_STREAM = 1;
export const SUITE_RANDOM_NONCE = 2;

/** Limits checked while parsing, before any cryptography. */
export const MAX_HEADER_SIZE = 1 << 20;
export const MAX_STANZAS = 1024;
export const MAX_METADATA_SIZE = 64 << 10;
export const MIN_SEGMENT_SIZE = 64;
export const MAX_SEGMENT_SIZE = 16 << 20;
export const DEFAULT_SEGMENT_SIZE = 64 << 10;
const MAX_RANDOM_NONCE_SEGMENTS = 2 ** 32;

/** PBKDF2 bounds (SPEC.md §3 `pbkdf2`). */
export const DEFAULT_PBKDF2_ITERATIONS = 600000;
export const MIN_PBKDF2_ITERATIONS = 600000;
export const MAX_PBKDF2_ITERATIONS = 10000000;

/** Argon2id default and ceiling (SPEC.md §3 `argon2id`). */
export const DEFAULT_ARGON2ID = Object.freeze({ time: 3, memoryKiB: 64 << 10, threads: 4 });
export const MAX_ARGON2ID = Object.freeze({ time: 10, memoryKiB: 256 << 10, threads: 16 });
const MIN_ARGON2ID_MEMORY = 7 << 10;
const MIN_ARGON2ID_WORK = 35 << 10;

/** RSA modulus bounds. */
export const MIN_RSA_BITS = 2048;
export const MAX_RSA_BITS = 8192;

// Labels: HKDF info strings, HPKE info strings, OAEP label, KDF salt
// prefixes and AEAD associated data, one per purpose.
const LABEL_PAYLOAD = "sealkit/envelope/v1/payload";
const LABEL_HEADER_MAC = "sealkit/envelope/v1/header-mac";
const LABEL_METADATA = "sealkit/envelope/v1/metadata";
const LABEL_RSA = "sealkit/envelope/v1/rsa-oaep-256";
const LABEL_X25519 = "sealkit/envelope/v1/x25519";
const LABEL_HYBRID = "sealkit/envelope/v1/mlkem768x25519";
const LABEL_PBKDF2 = "sealkit/envelope/v1/pbkdf2";
const LABEL_ARGON2ID = "sealkit/envelope/v1/argon2id";
const LABEL_KEK = "sealkit/envelope/v1/kek";
const LABEL_AEAD = "sealkit/envelope/v1/aead";

// Stanza types.
const TYPE_RSA = "rsa-oaep-256";
const TYPE_X25519 = "x25519";
const TYPE_HYBRID = "mlkem768x25519";
const TYPE_PBKDF2 = "pbkdf2";
const TYPE_ARGON2ID = "argon2id";
const TYPE_KEK = "kek";
const TYPE_AEAD = "aead";

const X25519_ENC = 32;
const HYBRID_ENC = 1120;
/** Sizes of an MLKEM768-X25519 public key and of its private seed. */
export const HYBRID_PUBLIC_KEY_SIZE = 1216;
export const HYBRID_SEED_SIZE = 32;

/** Recipient classes for the mixing rule (SPEC.md §7). */
export const CLASSICAL = "classical";
export const POST_QUANTUM = "post-quantum";
export const SYMMETRIC = "symmetric";
export const PASSPHRASE = "passphrase";

// ---------------------------------------------------------------------------
// Errors. `code` is what a caller branches on; messages never hold secrets.

/**
 * SealkitError is every error this module throws on purpose. code is one of
 * "corrupt" (malformed, over a limit, or failed authentication),
 * "unsupported" (unknown version or suite), "no_match" (no identity could
 * unwrap a stanza), "mixed_recipients" (the mixing rule), or "invalid"
 * (a caller's mistake: bad key, bad option).
 */
export class SealkitError extends Error {
  constructor(code, message) {
    super(`sealkit: ${message}`);
    this.name = "SealkitError";
    this.code = code;
  }
}

const corrupt = (where) => new SealkitError("corrupt", `corrupt or tampered: ${where}`);
const invalid = (what) => new SealkitError("invalid", what);

// ---------------------------------------------------------------------------
// Byte helpers.

const utf8 = new TextEncoder();

function concat(...parts) {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}

function u16(n) {
  return new Uint8Array([(n >>> 8) & 0xff, n & 0xff]);
}

function u32(n) {
  return new Uint8Array([(n >>> 24) & 0xff, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff]);
}

function u64(n) {
  const b = new Uint8Array(8);
  new DataView(b.buffer).setBigUint64(0, BigInt(n));
  return b;
}

function readU32(b, off) {
  return new DataView(b.buffer, b.byteOffset, b.byteLength).getUint32(off);
}

function bytesEqual(a, b) {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function randomBytes(n) {
  return globalThis.crypto.getRandomValues(new Uint8Array(n));
}

function toBytes(b, what) {
  if (b instanceof Uint8Array) return b;
  if (b instanceof ArrayBuffer) return new Uint8Array(b);
  if (ArrayBuffer.isView(b)) return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
  throw invalid(`${what} must be bytes`);
}

// buf returns a fresh ArrayBuffer holding b, for APIs that want one.
function buf(b) {
  return b.slice().buffer;
}

async function sha256(b) {
  return new Uint8Array(await subtle.digest("SHA-256", b));
}

// keyHint is SHA-256(public key encoding)[0:8] (SPEC.md §3).
async function keyHint(pub) {
  return (await sha256(pub)).slice(0, HINT_SIZE);
}

function hintMatches(stanza, ours) {
  return stanza.hint.length === 0 || bytesEqual(stanza.hint, ours);
}

// ---------------------------------------------------------------------------
// WebCrypto building blocks.

// hkdf is HKDF-SHA256(ikm, salt, info) to 32 bytes.
async function hkdf(ikm, salt, info) {
  const k = await subtle.importKey("raw", ikm, "HKDF", false, ["deriveBits"]);
  const bits = await subtle.deriveBits({ name: "HKDF", hash: "SHA-256", salt, info: utf8.encode(info) }, k, 256);
  return new Uint8Array(bits);
}

function gcmKey(raw) {
  return subtle.importKey("raw", raw, "AES-GCM", false, ["encrypt", "decrypt"]);
}

function kwKey(raw) {
  return subtle.importKey("raw", raw, "AES-KW", false, ["wrapKey", "unwrapKey"]);
}

// aesKWWrap is RFC 3394 AES key wrap of a 32-byte key under wk.
async function aesKWWrap(wk, fileKey) {
  const kek = await kwKey(wk);
  const k = await subtle.importKey("raw", fileKey, "AES-GCM", true, ["encrypt"]);
  return new Uint8Array(await subtle.wrapKey("raw", k, kek, "AES-KW"));
}

// aesKWUnwrap returns the 32-byte key wrapped in body, or null if the
// integrity check fails.
async function aesKWUnwrap(wk, body) {
  if (body.length !== WRAPPED_KEY_SIZE) return null;
  const kek = await kwKey(wk);
  try {
    const k = await subtle.unwrapKey("raw", body, kek, "AES-KW", "AES-GCM", true, ["encrypt"]);
    return new Uint8Array(await subtle.exportKey("raw", k));
  } catch {
    return null;
  }
}

// ---------------------------------------------------------------------------
// Header and record parsing (SPEC.md §2, §3, §6).

// FieldReader reads fields of a byte array, never past its end nor past
// MAX_HEADER_SIZE bytes in all.
class FieldReader {
  constructor(b) {
    this.b = b;
    this.off = 0;
  }
  bytes(n) {
    if (this.off + n > MAX_HEADER_SIZE) throw corrupt("header over the size limit");
    if (this.off + n > this.b.length) {
      const e = corrupt("truncated header");
      e.truncated = true;
      throw e;
    }
    const out = this.b.subarray(this.off, this.off + n);
    this.off += n;
    return out;
  }
  u8() {
    return this.bytes(1)[0];
  }
  u16() {
    const b = this.bytes(2);
    return (b[0] << 8) | b[1];
  }
  u32() {
    return readU32(this.bytes(4), 0);
  }
  preamble(magic, what) {
    const m = this.bytes(4);
    const version = this.u8();
    if (!bytesEqual(m, new Uint8Array(magic))) throw corrupt(`not a sealkit ${what} (bad magic)`);
    if (version !== FORMAT_V1) throw new SealkitError("unsupported", `${what} version ${version}`);
  }
  stanzas() {
    const n = this.u16();
    if (n > MAX_STANZAS) throw corrupt(`${n} stanzas, more than ${MAX_STANZAS}`);
    const out = [];
    for (let i = 0; i < n; i++) {
      const type = this.bytes(this.u8());
      const hint = this.bytes(this.u8());
      const body = this.bytes(this.u16());
      const t = String.fromCharCode(...type);
      if (!validType(t)) throw corrupt("invalid stanza type");
      out.push({ type: t, hint: hint.slice(), body: body.slice() });
    }
    return out;
  }
}

function validType(t) {
  return t.length >= 1 && t.length <= MAX_TYPE_LEN && /^[a-z0-9-]+$/.test(t);
}

/**
 * parseHeader parses the header at the start of b (which may hold the
 * payload too). Until authenticated by open() its contents are
 * attacker-controlled. Returns {suite, segmentSize, salt, stanzas,
 * metadata (sealed block or null), bytes (the header), length}.
 */
export function parseHeader(b) {
  b = toBytes(b, "envelope");
  const r = new FieldReader(b);
  r.preamble(HEADER_MAGIC, "envelope");
  const suite = r.u8();
  const seg = r.u32();
  const salt = r.bytes(SALT_SIZE).slice();
  if (suite !== SUITE_STREAM && suite !== SUITE_RANDOM_NONCE) {
    throw new SealkitError("unsupported", `payload suite ${suite}`);
  }
  if (seg < MIN_SEGMENT_SIZE || seg > MAX_SEGMENT_SIZE) {
    throw corrupt(`segment size ${seg} outside [${MIN_SEGMENT_SIZE}, ${MAX_SEGMENT_SIZE}]`);
  }
  const stanzas = r.stanzas();
  const mlen = r.u32();
  if (mlen > MAX_METADATA_SIZE) throw corrupt("metadata block over the limit");
  const metadata = mlen > 0 ? r.bytes(mlen).slice() : null;
  r.bytes(MAC_SIZE);
  const bytes = b.slice(0, r.off);
  return { suite, segmentSize: seg, salt, stanzas, metadata, bytes, length: r.off };
}

/** parseWrappedKey returns the stanzas of a wrapped-key record (SPEC.md §6). */
export function parseWrappedKey(record) {
  record = toBytes(record, "record");
  if (record.length > MAX_HEADER_SIZE) throw corrupt("wrapped-key record over the size limit");
  const r = new FieldReader(record);
  r.preamble(RECORD_MAGIC, "wrapped-key record");
  const stanzas = r.stanzas();
  if (r.off !== record.length) throw corrupt("trailing bytes after wrapped-key record");
  if (stanzas.length === 0) throw corrupt("wrapped-key record without stanzas");
  return stanzas;
}

function encodeStanzas(stanzas) {
  if (stanzas.length > MAX_STANZAS) throw invalid(`${stanzas.length} stanzas, more than ${MAX_STANZAS}`);
  const parts = [u16(stanzas.length)];
  for (const s of stanzas) {
    if (!validType(s.type) || s.hint.length > MAX_HINT_LEN || s.body.length > MAX_BODY_LEN) {
      throw invalid(`recipient produced an invalid stanza (type ${JSON.stringify(s.type)})`);
    }
    parts.push(new Uint8Array([s.type.length]), utf8.encode(s.type), new Uint8Array([s.hint.length]), s.hint);
    parts.push(u16(s.body.length), s.body);
  }
  return concat(...parts);
}

// ---------------------------------------------------------------------------
// Keys derived from the file key (SPEC.md §1).

async function deriveKeys(fileKey, salt) {
  const [p, m, md] = await Promise.all([
    hkdf(fileKey, salt, LABEL_PAYLOAD),
    hkdf(fileKey, salt, LABEL_HEADER_MAC),
    hkdf(fileKey, salt, LABEL_METADATA),
  ]);
  const keys = {
    payload: await gcmKey(p),
    mac: await subtle.importKey("raw", m, { name: "HMAC", hash: "SHA-256" }, false, ["sign", "verify"]),
    metadata: await gcmKey(md),
  };
  p.fill(0);
  m.fill(0);
  md.fill(0);
  return keys;
}

function macInput(body, ad) {
  return concat(body, u64(ad.length), ad);
}

// ---------------------------------------------------------------------------
// Metadata (SPEC.md §2 "Metadata"), read exactly as the Go package reads it.

const META_STRINGS = ["name", "type"];
const META_TIMES = ["created", "modified"];
const MAX_METADATA_DEPTH = 32;
const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
// The BOM is kept so that JSON.parse refuses it, as Go does.
const utf8Metadata = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });
const META_TIME = /^([0-9]{4})-([0-9]{2})-([0-9]{2})T([0-9]{2}):([0-9]{2}):([0-9]{2})(?:\.([0-9]{1,9}))?(?:(Z)|([+-])([0-9]{2}):([0-9]{2}))$/;

function daysIn(month, year) {
  if (month === 2) return year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 29 : 28;
  return [4, 6, 9, 11].includes(month) ? 30 : 31;
}

// canonicalTime returns an RFC 3339 string of SPEC.md's profile in the form
// Go writes it back (fraction without trailing zeros, a zero offset as Z),
// or null if s is outside the profile.
function canonicalTime(s) {
  const m = typeof s === "string" ? META_TIME.exec(s) : null;
  if (!m) return null;
  const [, y, mo, d, h, mi, sec, frac = "", z, sign, oh, om] = m;
  if (+mo < 1 || +mo > 12 || +d < 1 || +d > daysIn(+mo, +y) || +h > 23 || +mi > 59 || +sec > 59) return null;
  if (!z && (+oh > 23 || +om > 59)) return null;
  const f = frac.replace(/0+$/, "");
  const off = z || (+oh === 0 && +om === 0) ? "Z" : `${sign}${oh}:${om}`;
  return `${y}-${mo}-${d}T${h}:${mi}:${sec}${f ? "." + f : ""}${off}`;
}

// scanMetadataJSON checks, on text JSON.parse accepted, what JSON.parse
// lets through: an escaped lone surrogate, a member name repeated in any
// object, nesting deeper than MAX_METADATA_DEPTH. It returns the source
// text of each number that is a top-level member's value (JSON.parse would
// round a size beyond 2^53), or null if a check fails.
function scanMetadataJSON(text) {
  const stack = []; // a Set of member names per object, null per array
  const numbers = new Map();
  let member = null; // the last top-level member name
  for (let i = 0; i < text.length; ) {
    const c = text[i];
    if (c === '"') {
      let j = i + 1;
      while (text[j] !== '"') {
        if (text[j] !== "\\") {
          j++;
          continue;
        }
        if (text[j + 1] !== "u") {
          j += 2;
          continue;
        }
        const u = parseInt(text.slice(j + 2, j + 6), 16);
        if (u >= 0xdc00 && u <= 0xdfff) return null;
        if (u >= 0xd800 && u <= 0xdbff) {
          const lo = text.slice(j + 6, j + 8) === "\\u" ? parseInt(text.slice(j + 8, j + 12), 16) : -1;
          if (!(lo >= 0xdc00 && lo <= 0xdfff)) return null;
          j += 6;
        }
        j += 6;
      }
      const raw = text.slice(i, j + 1);
      i = j + 1;
      let k = i;
      while (text[k] === " " || text[k] === "\t" || text[k] === "\r" || text[k] === "\n") k++;
      if (text[k] === ":") {
        const names = stack[stack.length - 1];
        const name = JSON.parse(raw);
        if (names.has(name)) return null;
        names.add(name);
        if (stack.length === 1) member = name;
      }
    } else if (c === "{" || c === "[") {
      stack.push(c === "{" ? new Set() : null);
      if (stack.length > MAX_METADATA_DEPTH) return null;
      i++;
    } else if (c === "}" || c === "]") {
      stack.pop();
      i++;
    } else if (c === "-" || (c >= "0" && c <= "9")) {
      let j = i;
      while (j < text.length && "+-.eE0123456789".includes(text[j])) j++;
      if (stack.length === 1 && member !== null) numbers.set(member, text.slice(i, j));
      i = j;
    } else {
      i++;
    }
  }
  return numbers;
}

// decodeMetadata reads the metadata plaintext as SPEC.md §2 says and
// returns the members present (null ones are absent): name and type
// strings, size a Number (a BigInt beyond 2^53), created and modified in
// canonical form (see canonicalTime), extra an object of strings. Unknown
// members are dropped. Anything else is corrupt.
function decodeMetadata(js) {
  const bad = () => corrupt("metadata is not a JSON object of the documented members");
  let text, m;
  try {
    text = utf8Metadata.decode(js);
    m = JSON.parse(text);
  } catch {
    throw bad();
  }
  const numbers = scanMetadataJSON(text);
  if (numbers === null) throw bad();
  if (m === null) return {};
  if (typeof m !== "object" || Array.isArray(m)) throw bad();
  const out = {};
  const present = (k) => Object.hasOwn(m, k) && m[k] !== null;
  for (const k of META_STRINGS) {
    if (!present(k)) continue;
    if (typeof m[k] !== "string") throw bad();
    out[k] = m[k];
  }
  if (present("size")) {
    const raw = numbers.get("size");
    if (typeof m.size !== "number" || !/^-?(0|[1-9][0-9]*)$/.test(raw)) throw bad();
    const n = BigInt(raw);
    if (n < INT64_MIN || n > INT64_MAX) throw bad();
    out.size = Number.isSafeInteger(Number(n)) ? Number(n) : n;
  }
  for (const k of META_TIMES) {
    if (!present(k)) continue;
    const t = canonicalTime(m[k]);
    if (t === null) throw bad();
    out[k] = t;
  }
  if (present("extra")) {
    const e = m.extra;
    if (typeof e !== "object" || Array.isArray(e)) throw bad();
    for (const v of Object.values(e)) if (typeof v !== "string") throw bad();
    out.extra = Object.fromEntries(Object.entries(e));
  }
  return out;
}

// checkMetadata reports whether m is metadata that seal may write and that
// every reader accepts back.
function checkMetadata(m) {
  if (m === null || typeof m !== "object" || Array.isArray(m)) return false;
  const text = (v) => typeof v === "string" && v.isWellFormed();
  for (const k of META_STRINGS) if (k in m && !text(m[k])) return false;
  for (const k of META_TIMES) if (k in m && canonicalTime(m[k]) === null) return false;
  if ("size" in m && !Number.isSafeInteger(m.size)) return false;
  if ("extra" in m) {
    const e = m.extra;
    if (e === null || typeof e !== "object" || Array.isArray(e)) return false;
    for (const [k, v] of Object.entries(e)) if (!text(k) || !text(v)) return false;
  }
  return true;
}

async function sealMetadata(key, meta) {
  if (meta == null) return null;
  if (!checkMetadata(meta)) throw invalid("metadata must be an object with the members SPEC.md lists");
  // Never write what a reader refuses: checkMetadata looks at the known
  // members only, so an unknown one may still hold a lone surrogate, nest
  // too deeply or not serialise, and the block may be over the limit.
  let js;
  try {
    js = utf8.encode(JSON.stringify(meta));
    decodeMetadata(js);
  } catch {
    throw invalid("metadata must be an object with the members SPEC.md lists, and every reader must accept it back");
  }
  if (NONCE_SIZE + js.length + TAG_SIZE > MAX_METADATA_SIZE) {
    throw invalid(`metadata of ${js.length} bytes over the ${MAX_METADATA_SIZE}-byte block limit`);
  }
  const nonce = randomBytes(NONCE_SIZE);
  const ct = await subtle.encrypt({ name: "AES-GCM", iv: nonce }, key, js);
  return concat(nonce, new Uint8Array(ct));
}

async function openMetadata(key, sealed) {
  if (sealed === null) return null;
  if (sealed.length < NONCE_SIZE + TAG_SIZE) throw corrupt("metadata authentication failed");
  let js;
  try {
    js = await subtle.decrypt({ name: "AES-GCM", iv: sealed.subarray(0, NONCE_SIZE) }, key, sealed.subarray(NONCE_SIZE));
  } catch {
    throw corrupt("metadata authentication failed");
  }
  return decodeMetadata(new Uint8Array(js));
}

// ---------------------------------------------------------------------------
// Payload: STREAM of AES-256-GCM segments (SPEC.md §4).

function position(i, last) {
  const p = new Uint8Array(NONCE_SIZE);
  new DataView(p.buffer).setBigUint64(3, BigInt(i));
  p[11] = last ? 1 : 0;
  return p;
}

function overhead(suite) {
  return suite === SUITE_RANDOM_NONCE ? NONCE_SIZE + TAG_SIZE : TAG_SIZE;
}

async function sealSegment(key, suite, pt, i, last) {
  const pos = position(i, last);
  if (suite === SUITE_RANDOM_NONCE) {
    const n = randomBytes(NONCE_SIZE);
    const ct = await subtle.encrypt({ name: "AES-GCM", iv: n, additionalData: pos }, key, pt);
    return concat(n, new Uint8Array(ct));
  }
  return new Uint8Array(await subtle.encrypt({ name: "AES-GCM", iv: pos }, key, pt));
}

// openSegment returns the plaintext of one sealed segment, or throws corrupt.
async function openSegment(key, suite, segSize, sealed, i, last) {
  const ov = overhead(suite);
  if (sealed.length < ov || sealed.length > segSize + ov) throw payloadCorrupt();
  if (last && i > 0 && sealed.length === ov) throw payloadCorrupt();
  if (suite === SUITE_RANDOM_NONCE && i >= MAX_RANDOM_NONCE_SEGMENTS) throw payloadCorrupt();
  try {
    if (suite === SUITE_RANDOM_NONCE) {
      const pos = position(i, last);
      return new Uint8Array(
        await subtle.decrypt({ name: "AES-GCM", iv: sealed.subarray(0, NONCE_SIZE), additionalData: pos }, key, sealed.subarray(NONCE_SIZE)),
      );
    }
    return new Uint8Array(await subtle.decrypt({ name: "AES-GCM", iv: position(i, last) }, key, sealed));
  } catch {
    throw payloadCorrupt();
  }
}

function payloadCorrupt() {
  return corrupt("payload authentication failed (truncated, reordered, extended or changed)");
}

// plainSize returns [plaintext size, segments] for a payload of n bytes.
function plainSize(n, suite, segSize) {
  const ov = overhead(suite);
  const full = segSize + ov;
  if (n < ov) throw payloadCorrupt();
  const segs = Math.ceil(n / full);
  const lastLen = n - (segs - 1) * full;
  if (lastLen < ov || (lastLen === ov && segs > 1)) throw payloadCorrupt();
  if (suite === SUITE_RANDOM_NONCE && segs > MAX_RANDOM_NONCE_SEGMENTS) throw payloadCorrupt();
  return [n - segs * ov, segs];
}

// How many segments are sealed or opened at once by the one-shot calls.
const BATCH = 32;

async function sealPayload(key, suite, segSize, pt) {
  const segs = pt.length === 0 ? 1 : Math.ceil(pt.length / segSize);
  if (suite === SUITE_RANDOM_NONCE && segs > MAX_RANDOM_NONCE_SEGMENTS) {
    throw invalid("payload too large for the random-nonce suite");
  }
  const out = [];
  for (let lo = 0; lo < segs; lo += BATCH) {
    const batch = [];
    for (let i = lo; i < Math.min(lo + BATCH, segs); i++) {
      batch.push(sealSegment(key, suite, pt.subarray(i * segSize, Math.min((i + 1) * segSize, pt.length)), i, i === segs - 1));
    }
    out.push(...(await Promise.all(batch)));
  }
  return concat(...out);
}

async function openPayload(key, suite, segSize, payload) {
  const [size, segs] = plainSize(payload.length, suite, segSize);
  const full = segSize + overhead(suite);
  const out = new Uint8Array(size);
  for (let lo = 0; lo < segs; lo += BATCH) {
    const batch = [];
    for (let i = lo; i < Math.min(lo + BATCH, segs); i++) {
      const ct = payload.subarray(i * full, Math.min((i + 1) * full, payload.length));
      batch.push(openSegment(key, suite, segSize, ct, i, i === segs - 1));
    }
    let pts;
    try {
      pts = await Promise.all(batch);
    } catch (e) {
      out.fill(0); // release no part of the plaintext
      throw e;
    }
    pts.forEach((p, j) => out.set(p, (lo + j) * segSize));
  }
  return out;
}

// ---------------------------------------------------------------------------
// File keys.

/** generateFileKey returns a fresh random 32-byte file key (DEK). */
export function generateFileKey() {
  return randomBytes(KEY_SIZE);
}

function checkFileKey(k) {
  k = toBytes(k, "file key");
  if (k.length !== KEY_SIZE) throw invalid("a file key is 32 bytes");
  return k;
}

// ---------------------------------------------------------------------------
// Recipients and identities.
//
// A recipient is {class, wrap(fileKey) -> Promise<stanza[]>}. An identity is
// {unwrap(stanzas) -> Promise<Uint8Array | null>}: null means no stanza is
// for it ("no_match"); it throws SealkitError("corrupt") only for a stanza
// of its own type that is malformed or over a work limit. A stanza is
// {type: string, hint: Uint8Array, body: Uint8Array}.

function hpkeSuite(kem) {
  return new CipherSuite({ kem, kdf: new HpkeHkdfSha256(), aead: new Aes256Gcm() });
}

async function hpkeWrap(suite, pub, type, info, hint, fileKey) {
  const { ct, enc } = await suite.seal({ recipientPublicKey: pub, info: buf(utf8.encode(info)) }, buf(fileKey));
  return [{ type, hint, body: concat(new Uint8Array(enc), new Uint8Array(ct)) }];
}

async function hpkeUnwrap(suite, priv, type, info, hint, encLen, stanzas) {
  for (const s of stanzas) {
    if (s.type !== type || !hintMatches(s, hint) || s.body.length !== encLen + KEY_SIZE + TAG_SIZE) continue;
    try {
      const pt = await suite.open(
        { recipientKey: priv, enc: buf(s.body.subarray(0, encLen)), info: buf(utf8.encode(info)) },
        buf(s.body.subarray(encLen)),
      );
      return new Uint8Array(pt);
    } catch {
      continue;
    }
  }
  return null;
}

const x25519Prim = new X25519(new X25519Hkdf());

/** x25519Recipient wraps to a raw 32-byte X25519 public key (HPKE). */
export async function x25519Recipient(publicKey) {
  const raw = toBytes(publicKey, "X25519 public key");
  if (raw.length !== 32) throw invalid("an X25519 public key is 32 bytes");
  const suite = hpkeSuite(new DhkemX25519HkdfSha256());
  const pub = await suite.kem.deserializePublicKey(buf(raw));
  const hint = await keyHint(raw);
  return {
    type: TYPE_X25519,
    class: CLASSICAL,
    publicKey: raw.slice(),
    wrap: (fileKey) => hpkeWrap(suite, pub, TYPE_X25519, LABEL_X25519, hint, checkFileKey(fileKey)),
  };
}

/** x25519Identity unwraps with a raw 32-byte X25519 private key. */
export async function x25519Identity(privateKey) {
  const raw = toBytes(privateKey, "X25519 private key");
  if (raw.length !== 32) throw invalid("an X25519 private key is 32 bytes");
  const suite = hpkeSuite(new DhkemX25519HkdfSha256());
  const priv = await suite.kem.importKey("raw", buf(raw), false);
  const pubRaw = new Uint8Array(await x25519Prim.serializePublicKey(await x25519Prim.derivePublicKey(priv)));
  const hint = await keyHint(pubRaw);
  return {
    type: TYPE_X25519,
    publicKey: pubRaw,
    recipient: () => x25519Recipient(pubRaw),
    unwrap: (stanzas) => hpkeUnwrap(suite, priv, TYPE_X25519, LABEL_X25519, hint, X25519_ENC, stanzas),
  };
}

/** generateX25519 returns {privateKey, publicKey}, raw 32 bytes each. */
export async function generateX25519() {
  const privateKey = randomBytes(32);
  const id = await x25519Identity(privateKey);
  return { privateKey, publicKey: id.publicKey };
}

/** hybridRecipient wraps to a 1216-byte MLKEM768-X25519 (X-Wing) public key. */
export async function hybridRecipient(publicKey) {
  const raw = toBytes(publicKey, "MLKEM768-X25519 public key");
  if (raw.length !== HYBRID_PUBLIC_KEY_SIZE) throw invalid(`an MLKEM768-X25519 public key is ${HYBRID_PUBLIC_KEY_SIZE} bytes`);
  const suite = hpkeSuite(new XWing());
  const pub = await suite.kem.deserializePublicKey(buf(raw));
  const hint = await keyHint(raw);
  return {
    type: TYPE_HYBRID,
    class: POST_QUANTUM,
    publicKey: raw.slice(),
    wrap: (fileKey) => hpkeWrap(suite, pub, TYPE_HYBRID, LABEL_HYBRID, hint, checkFileKey(fileKey)),
  };
}

/** hybridIdentity unwraps with a 32-byte MLKEM768-X25519 seed. */
export async function hybridIdentity(seed) {
  const raw = toBytes(seed, "MLKEM768-X25519 seed");
  if (raw.length !== HYBRID_SEED_SIZE) throw invalid("an MLKEM768-X25519 private key is a 32-byte seed");
  const kem = new XWing();
  const suite = hpkeSuite(kem);
  const pair = await kem.generateKeyPairDerand(raw.slice());
  const pubRaw = new Uint8Array(await kem.serializePublicKey(pair.publicKey));
  const hint = await keyHint(pubRaw);
  return {
    type: TYPE_HYBRID,
    publicKey: pubRaw,
    recipient: () => hybridRecipient(pubRaw),
    unwrap: (stanzas) => hpkeUnwrap(suite, pair.privateKey, TYPE_HYBRID, LABEL_HYBRID, hint, HYBRID_ENC, stanzas),
  };
}

/** generateHybrid returns {privateKey (32-byte seed), publicKey (1216 bytes)}. */
export async function generateHybrid() {
  const privateKey = randomBytes(HYBRID_SEED_SIZE);
  const id = await hybridIdentity(privateKey);
  return { privateKey, publicKey: id.publicKey };
}

const RSA_OAEP = { name: "RSA-OAEP", hash: "SHA-256" };

function checkRSABits(bits) {
  if (bits < MIN_RSA_BITS || bits > MAX_RSA_BITS) {
    throw invalid(`RSA key of ${bits} bits outside [${MIN_RSA_BITS}, ${MAX_RSA_BITS}]`);
  }
}

/** rsaRecipient wraps with RSA-OAEP-SHA256 to an SPKI DER public key. */
export async function rsaRecipient(spki) {
  const der = toBytes(spki, "SPKI");
  let pub;
  try {
    pub = await subtle.importKey("spki", der, RSA_OAEP, false, ["encrypt"]);
  } catch {
    throw invalid("not an RSA SPKI public key");
  }
  checkRSABits(pub.algorithm.modulusLength);
  const hint = await keyHint(der);
  return {
    type: TYPE_RSA,
    class: CLASSICAL,
    publicKey: der.slice(),
    wrap: async (fileKey) => {
      const ct = await subtle.encrypt({ name: "RSA-OAEP", label: utf8.encode(LABEL_RSA) }, pub, checkFileKey(fileKey));
      return [{ type: TYPE_RSA, hint, body: new Uint8Array(ct) }];
    },
  };
}

/** rsaIdentity unwraps with a PKCS#8 DER RSA private key. */
export async function rsaIdentity(pkcs8) {
  const der = toBytes(pkcs8, "PKCS#8");
  let jwk;
  try {
    const k = await subtle.importKey("pkcs8", der, RSA_OAEP, true, ["decrypt"]);
    jwk = await subtle.exportKey("jwk", k);
  } catch {
    throw invalid("not an RSA PKCS#8 private key");
  }
  const priv = await subtle.importKey("jwk", jwk, RSA_OAEP, false, ["decrypt"]);
  const pub = await subtle.importKey("jwk", { kty: "RSA", n: jwk.n, e: jwk.e, alg: jwk.alg, ext: true }, RSA_OAEP, true, ["encrypt"]);
  const spki = new Uint8Array(await subtle.exportKey("spki", pub));
  const bits = priv.algorithm.modulusLength;
  checkRSABits(bits);
  const size = Math.ceil(bits / 8);
  const hint = await keyHint(spki);
  return {
    type: TYPE_RSA,
    publicKey: spki,
    recipient: () => rsaRecipient(spki),
    unwrap: async (stanzas) => {
      for (const s of stanzas) {
        if (s.type !== TYPE_RSA || !hintMatches(s, hint) || s.body.length !== size) continue;
        try {
          const fk = new Uint8Array(await subtle.decrypt({ name: "RSA-OAEP", label: utf8.encode(LABEL_RSA) }, priv, s.body));
          if (fk.length === KEY_SIZE) return fk;
        } catch {
          // not ours: try the next stanza
        }
      }
      return null;
    },
  };
}

/** generateRSA returns {privateKey (PKCS#8 DER), publicKey (SPKI DER)}. */
export async function generateRSA(bits = 3072) {
  checkRSABits(bits);
  const kp = await subtle.generateKey({ ...RSA_OAEP, modulusLength: bits, publicExponent: new Uint8Array([1, 0, 1]) }, true, [
    "encrypt",
    "decrypt",
  ]);
  return {
    privateKey: new Uint8Array(await subtle.exportKey("pkcs8", kp.privateKey)),
    publicKey: new Uint8Array(await subtle.exportKey("spki", kp.publicKey)),
  };
}

/**
 * kek returns a recipient and identity for a 32-byte key-encryption key.
 * id (at most 255 bytes, not secret) is the stanza hint; stanzas match only
 * when their hint equals it exactly.
 */
export async function kek(id, key) {
  const raw = toBytes(key, "KEK");
  if (raw.length !== 32) throw invalid("a KEK is 32 bytes");
  const idBytes = utf8.encode(id);
  if (idBytes.length > MAX_HINT_LEN) throw invalid("KEK id longer than 255 bytes");
  const wk = await hkdf(raw, new Uint8Array(0), LABEL_KEK);
  return {
    type: TYPE_KEK,
    class: SYMMETRIC,
    wrap: async (fileKey) => [{ type: TYPE_KEK, hint: idBytes.slice(), body: await aesKWWrap(wk, checkFileKey(fileKey)) }],
    unwrap: async (stanzas) => {
      for (const s of stanzas) {
        if (s.type !== TYPE_KEK || !bytesEqual(s.hint, idBytes) || s.body.length !== WRAPPED_KEY_SIZE) continue;
        const fk = await aesKWUnwrap(wk, s.body);
        if (fk) return fk;
      }
      return null;
    },
  };
}

/**
 * aeadKey adapts an external AEAD (a KMS, an HSM) with async
 * encrypt(plaintext, ad) and decrypt(ciphertext, ad) into a recipient and
 * identity. keyId (at most 255 bytes) names the key in the clear; stanzas
 * match only when their hint equals it exactly.
 */
export function aeadKey(keyId, aead) {
  const idBytes = utf8.encode(keyId);
  if (idBytes.length > MAX_HINT_LEN) throw invalid("AEAD key ID longer than 255 bytes");
  const ad = concat(utf8.encode(LABEL_AEAD), idBytes);
  return {
    type: TYPE_AEAD,
    class: SYMMETRIC,
    wrap: async (fileKey) => {
      const ct = toBytes(await aead.encrypt(checkFileKey(fileKey), ad), "AEAD output");
      if (ct.length > MAX_BODY_LEN) throw invalid("AEAD output too large for a stanza");
      return [{ type: TYPE_AEAD, hint: idBytes.slice(), body: ct }];
    },
    unwrap: async (stanzas) => {
      for (const s of stanzas) {
        if (s.type !== TYPE_AEAD || !bytesEqual(s.hint, idBytes)) continue;
        try {
          const fk = toBytes(await aead.decrypt(s.body, ad), "AEAD output");
          if (fk.length === KEY_SIZE) return fk;
        } catch {
          // a KMS refusal or a wrong key: let the next stanza or identity try
        }
      }
      return null;
    },
  };
}

/**
 * aesGcmAead is an external AEAD for aeadKey built on a raw 32-byte
 * AES-256-GCM key: output nonce(12) || ciphertext || tag, the layout the
 * golden vectors' "aes-gcm-aead" keys use.
 */
export async function aesGcmAead(rawKey) {
  const raw = toBytes(rawKey, "AES key");
  if (raw.length !== 32) throw invalid("an AES-256 key is 32 bytes");
  const key = await gcmKey(raw);
  return {
    encrypt: async (pt, ad) => {
      const n = randomBytes(NONCE_SIZE);
      return concat(n, new Uint8Array(await subtle.encrypt({ name: "AES-GCM", iv: n, additionalData: ad }, key, pt)));
    },
    decrypt: async (ct, ad) => {
      if (ct.length < NONCE_SIZE + TAG_SIZE) throw new Error("AEAD ciphertext too short");
      return new Uint8Array(
        await subtle.decrypt({ name: "AES-GCM", iv: ct.subarray(0, NONCE_SIZE), additionalData: ad }, key, ct.subarray(NONCE_SIZE)),
      );
    },
  };
}

function passBytes(passphrase) {
  if (typeof passphrase !== "string" || passphrase === "") throw invalid("empty passphrase");
  return utf8.encode(passphrase);
}

function checkIterations(n, ceiling) {
  if (!Number.isInteger(n) || n < MIN_PBKDF2_ITERATIONS || n > ceiling) {
    return `${n} PBKDF2 iterations outside [${MIN_PBKDF2_ITERATIONS}, ${ceiling}]`;
  }
  return null;
}

function checkArgon2id(p, ceiling) {
  if (p.time === 0 || p.threads === 0 || p.memoryKiB < MIN_ARGON2ID_MEMORY || p.memoryKiB * p.time < MIN_ARGON2ID_WORK) {
    return "Argon2id parameters below the OWASP minimum";
  }
  if (p.memoryKiB < 8 * p.threads) return "Argon2id memory below 8 KiB per thread";
  if (p.time > ceiling.time || p.memoryKiB > ceiling.memoryKiB || p.threads > ceiling.threads) {
    return "Argon2id parameters above the limit";
  }
  return null;
}

async function pbkdf2(pass, salt, iterations) {
  const k = await subtle.importKey("raw", pass, "PBKDF2", false, ["deriveBits"]);
  const bits = await subtle.deriveBits({ name: "PBKDF2", hash: "SHA-256", salt: concat(utf8.encode(LABEL_PBKDF2), salt), iterations }, k, 256);
  return new Uint8Array(bits);
}

function argon2id(pass, salt, p) {
  return argon2idAsync(pass, concat(utf8.encode(LABEL_ARGON2ID), salt), { t: p.time, m: p.memoryKiB, p: p.threads, dkLen: 32, version: 0x13, asyncTick: 50 });
}

/** pbkdf2Recipient wraps under a passphrase with PBKDF2-HMAC-SHA256. */
export function pbkdf2Recipient(passphrase, { iterations = DEFAULT_PBKDF2_ITERATIONS } = {}) {
  const pass = passBytes(passphrase);
  const bad = checkIterations(iterations, MAX_PBKDF2_ITERATIONS);
  if (bad) throw invalid(bad);
  return {
    type: TYPE_PBKDF2,
    class: PASSPHRASE,
    wrap: async (fileKey) => {
      const salt = randomBytes(SALT_SIZE);
      const wk = await pbkdf2(pass, salt, iterations);
      const wrapped = await aesKWWrap(wk, checkFileKey(fileKey));
      wk.fill(0);
      return [{ type: TYPE_PBKDF2, hint: new Uint8Array(0), body: concat(salt, u32(iterations), wrapped) }];
    },
  };
}

/** argon2idRecipient wraps under a passphrase with Argon2id (pure JS, slow). */
export function argon2idRecipient(passphrase, params = DEFAULT_ARGON2ID) {
  const pass = passBytes(passphrase);
  const bad = checkArgon2id(params, MAX_ARGON2ID);
  if (bad) throw invalid(bad);
  return {
    type: TYPE_ARGON2ID,
    class: PASSPHRASE,
    wrap: async (fileKey) => {
      const salt = randomBytes(SALT_SIZE);
      const wk = await argon2id(pass, salt, params);
      const wrapped = await aesKWWrap(wk, checkFileKey(fileKey));
      wk.fill(0);
      const body = concat(salt, u32(params.time), u32(params.memoryKiB), new Uint8Array([params.threads]), wrapped);
      return [{ type: TYPE_ARGON2ID, hint: new Uint8Array(0), body }];
    },
  };
}

/**
 * passphraseIdentity unwraps pbkdf2 and argon2id stanzas. It refuses, with
 * a "corrupt" error and before running the KDF, a stanza whose cost is
 * below the floors or above maxIterations / maxArgon2id.
 */
export function passphraseIdentity(passphrase, { maxIterations = MAX_PBKDF2_ITERATIONS, maxArgon2id = MAX_ARGON2ID } = {}) {
  const pass = passBytes(passphrase);
  return {
    type: PASSPHRASE,
    unwrap: async (stanzas) => {
      // A passphrase stanza must stand alone: refusing it beside others,
      // before any KDF, bounds a hostile header to one KDF run.
      if (stanzas.length !== 1 && stanzas.some((s) => s.type === TYPE_PBKDF2 || s.type === TYPE_ARGON2ID)) {
        throw corrupt("a passphrase stanza must be the only stanza");
      }
      for (const s of stanzas) {
        let wk, wrapped;
        if (s.type === TYPE_PBKDF2) {
          if (s.body.length !== SALT_SIZE + 4 + WRAPPED_KEY_SIZE) throw corrupt("malformed pbkdf2 stanza");
          const iter = readU32(s.body, SALT_SIZE);
          const bad = checkIterations(iter, maxIterations);
          if (bad) throw corrupt(bad);
          wk = await pbkdf2(pass, s.body.subarray(0, SALT_SIZE), iter);
          wrapped = s.body.subarray(SALT_SIZE + 4);
        } else if (s.type === TYPE_ARGON2ID) {
          if (s.body.length !== SALT_SIZE + 9 + WRAPPED_KEY_SIZE) throw corrupt("malformed argon2id stanza");
          const p = { time: readU32(s.body, SALT_SIZE), memoryKiB: readU32(s.body, SALT_SIZE + 4), threads: s.body[SALT_SIZE + 8] };
          const bad = checkArgon2id(p, maxArgon2id);
          if (bad) throw corrupt(bad);
          wk = await argon2id(pass, s.body.subarray(0, SALT_SIZE), p);
          wrapped = s.body.subarray(SALT_SIZE + 9);
        } else {
          continue;
        }
        const fk = await aesKWUnwrap(wk, wrapped);
        wk.fill(0);
        if (fk) return fk;
      }
      return null;
    },
  };
}

/**
 * checkRecipients enforces the mixing rule (SPEC.md §7): a passphrase
 * recipient stands alone, and post-quantum and classical public-key
 * recipients do not mix. Symmetric recipients mix with anything.
 */
export function checkRecipients(recipients) {
  let pq = 0,
    classical = 0,
    pass = 0;
  for (const r of recipients) {
    if (!r || typeof r.wrap !== "function") throw invalid("not a recipient");
    const c = r.class ?? CLASSICAL;
    if (c === POST_QUANTUM) pq++;
    else if (c === CLASSICAL) classical++;
    else if (c === PASSPHRASE) pass++;
  }
  if (pass > 0 && recipients.length > 1) {
    throw new SealkitError("mixed_recipients", "a passphrase recipient must be the only recipient");
  }
  if (pq > 0 && classical > 0) {
    throw new SealkitError("mixed_recipients", `${pq} post-quantum and ${classical} classical public-key recipients`);
  }
}

async function wrapAll(fileKey, recipients) {
  const stanzas = [];
  for (const r of recipients) stanzas.push(...(await r.wrap(fileKey)));
  return stanzas;
}

// unwrapStanzas returns the file key from the first identity that unwraps.
// A passphrase stanza beside any other stanza is refused first, whatever
// the identities (SPEC.md §3, §7).
async function unwrapStanzas(stanzas, identities) {
  if (stanzas.length > 1 && stanzas.some((s) => s.type === TYPE_PBKDF2 || s.type === TYPE_ARGON2ID)) {
    throw corrupt("a passphrase stanza must be the only stanza");
  }
  for (const id of identities) {
    const copies = stanzas.map((s) => ({ type: s.type, hint: s.hint.slice(), body: s.body.slice() }));
    const fk = await id.unwrap(copies);
    if (fk == null) continue;
    if (fk.length !== KEY_SIZE) throw corrupt("unwrapped file key of the wrong size");
    return fk;
  }
  const types = stanzas.map((s) => s.type).join(", ");
  throw new SealkitError(
    "no_match",
    stanzas.length === 0
      ? "no identity matched: the envelope has no recipient stanzas (its key is kept detached)"
      : `no identity matched any of the recipient stanzas (${types})`,
  );
}

// ---------------------------------------------------------------------------
// Sealing and opening.

async function buildHeader(suite, seg, salt, stanzas, sealedMeta, keys, ad) {
  const meta = sealedMeta ?? new Uint8Array(0);
  const body = concat(
    new Uint8Array(HEADER_MAGIC),
    new Uint8Array([FORMAT_V1, suite]),
    u32(seg),
    salt,
    encodeStanzas(stanzas),
    u32(meta.length),
    meta,
  );
  const mac = new Uint8Array(await subtle.sign("HMAC", keys.mac, macInput(body, ad)));
  const h = concat(body, mac);
  if (h.length > MAX_HEADER_SIZE) throw invalid(`header of ${h.length} bytes over the ${MAX_HEADER_SIZE} limit`);
  return h;
}

async function newSealer(recipients, opts) {
  const { key, associatedData, metadata, segmentSize = DEFAULT_SEGMENT_SIZE, suite = SUITE_STREAM } = opts;
  if (key == null && recipients.length === 0) throw invalid("no recipients and no detached key: nobody could open it");
  checkRecipients(recipients);
  if (suite !== SUITE_STREAM && suite !== SUITE_RANDOM_NONCE) throw invalid(`unknown suite ${suite}`);
  if (!Number.isInteger(segmentSize) || segmentSize < MIN_SEGMENT_SIZE || segmentSize > MAX_SEGMENT_SIZE) {
    throw invalid(`segment size ${segmentSize} outside [${MIN_SEGMENT_SIZE}, ${MAX_SEGMENT_SIZE}]`);
  }
  const ad = associatedData == null ? new Uint8Array(0) : toBytes(associatedData, "associated data");
  const fileKey = key == null ? generateFileKey() : checkFileKey(key);
  const stanzas = await wrapAll(fileKey, recipients);
  const salt = randomBytes(SALT_SIZE);
  const keys = await deriveKeys(fileKey, salt);
  if (key == null) fileKey.fill(0);
  const sealedMeta = await sealMetadata(keys.metadata, metadata);
  const header = await buildHeader(suite, segmentSize, salt, stanzas, sealedMeta, keys, ad);
  return { header, keys, suite, segmentSize };
}

/**
 * seal encrypts plaintext to the recipients and returns the envelope.
 * Options: key (a 32-byte detached file key; then recipients may be
 * empty), associatedData (bytes bound by the header MAC but not stored),
 * metadata (an object: name, type, size, created, modified, extra),
 * segmentSize (default 64 KiB), suite (SUITE_STREAM, the default, or
 * SUITE_RANDOM_NONCE).
 */
export async function seal(plaintext, recipients = [], opts = {}) {
  const pt = toBytes(plaintext, "plaintext");
  const s = await newSealer(recipients, opts);
  return concat(s.header, await sealPayload(s.keys.payload, s.suite, s.segmentSize, pt));
}

// openHeader authenticates a parsed header and returns its derived keys.
async function openHeader(h, identities, opts) {
  const ad = opts.associatedData == null ? new Uint8Array(0) : toBytes(opts.associatedData, "associated data");
  const fileKey = opts.key != null ? checkFileKey(opts.key) : await unwrapStanzas(h.stanzas, identities);
  const keys = await deriveKeys(fileKey, h.salt);
  if (opts.key == null) fileKey.fill(0);
  const body = h.bytes.subarray(0, h.length - MAC_SIZE);
  const mac = h.bytes.subarray(h.length - MAC_SIZE);
  // WebCrypto's HMAC verify compares in constant time.
  if (!(await subtle.verify("HMAC", keys.mac, mac, macInput(body, ad)))) {
    throw corrupt("header authentication failed (changed header, wrong associated data, or wrong key)");
  }
  const metadata = await openMetadata(keys.metadata, h.metadata);
  return { keys, metadata };
}

/**
 * open decrypts an envelope with the first identity that matches (or
 * opts.key, a detached file key) and opts.associatedData. It returns
 * {plaintext, metadata (null if none), header} or throws a SealkitError;
 * never a part of the plaintext.
 */
export async function open(envelope, identities = [], opts = {}) {
  const env = toBytes(envelope, "envelope");
  const h = parseHeader(env);
  const { keys, metadata } = await openHeader(h, identities, opts);
  const plaintext = await openPayload(keys.payload, h.suite, h.segmentSize, env.subarray(h.length));
  return { plaintext, metadata, header: h };
}

/**
 * openHeaderOnly authenticates an envelope header on its own (a detached
 * header, as share keeps in its item records) with opts.key or the
 * identities and opts.associatedData, and returns {metadata, header}. It
 * refuses bytes after the header.
 */
export async function openHeaderOnly(header, identities = [], opts = {}) {
  const b = toBytes(header, "header");
  const h = parseHeader(b);
  if (h.length !== b.length) throw corrupt("bytes after the header");
  const { metadata } = await openHeader(h, identities, opts);
  return { metadata, header: h };
}

// ---------------------------------------------------------------------------
// Streaming.

/**
 * sealStream returns a ReadableStream of the envelope of the byte chunks
 * read from source (a ReadableStream of Uint8Array), holding about one
 * segment in memory. Options as for seal().
 */
export async function sealStream(source, recipients = [], opts = {}) {
  const s = await newSealer(recipients, opts);
  const reader = source.getReader();
  let pending = new Uint8Array(0);
  let index = 0;
  let done = false;
  let headerSent = false;
  return new ReadableStream({
    async pull(controller) {
      if (!headerSent) {
        headerSent = true;
        controller.enqueue(s.header);
        return;
      }
      // Read until more than one segment is buffered, so the last one is known.
      while (!done && pending.length <= s.segmentSize) {
        const r = await reader.read();
        if (r.done) done = true;
        else pending = concat(pending, toBytes(r.value, "chunk"));
      }
      if (pending.length > s.segmentSize) {
        controller.enqueue(await sealSegment(s.keys.payload, s.suite, pending.subarray(0, s.segmentSize), index++, false));
        pending = pending.slice(s.segmentSize);
        return;
      }
      if (s.suite === SUITE_RANDOM_NONCE && index >= MAX_RANDOM_NONCE_SEGMENTS) {
        controller.error(invalid("payload too large for the random-nonce suite"));
        return;
      }
      controller.enqueue(await sealSegment(s.keys.payload, s.suite, pending, index, true));
      controller.close();
    },
    cancel(reason) {
      return reader.cancel(reason);
    },
  });
}

/**
 * openStream reads an envelope from source (a ReadableStream of
 * Uint8Array), authenticates its header, and returns {metadata, header,
 * plaintext}: plaintext is a ReadableStream that releases each segment only
 * after its tag verified, and errors (never ends early) on a cut,
 * reordered or extended payload.
 */
export async function openStream(source, identities = [], opts = {}) {
  const reader = source.getReader();
  let pending = new Uint8Array(0);
  let done = false;
  const fill = async (n) => {
    while (!done && pending.length < n) {
      const r = await reader.read();
      if (r.done) done = true;
      else pending = concat(pending, toBytes(r.value, "chunk"));
    }
  };
  // Read until the header parses; cap it at MAX_HEADER_SIZE.
  let h;
  for (;;) {
    try {
      h = parseHeader(pending);
      break;
    } catch (e) {
      if (!e.truncated || done) {
        await reader.cancel().catch(() => {});
        throw e;
      }
      await fill(Math.min(Math.max(2 * pending.length, 4096), MAX_HEADER_SIZE + 1));
    }
  }
  pending = pending.slice(h.length);
  const { keys, metadata } = await openHeader(h, identities, opts);
  const full = h.segmentSize + overhead(h.suite);
  let index = 0;
  const plaintext = new ReadableStream({
    async pull(controller) {
      try {
        await fill(full + 1); // one byte ahead tells whether this segment is the last
        const last = pending.length <= full;
        const ct = pending.subarray(0, Math.min(full, pending.length));
        const pt = await openSegment(keys.payload, h.suite, h.segmentSize, ct, index, last);
        pending = pending.slice(ct.length);
        index++;
        if (pt.length > 0) controller.enqueue(pt);
        if (last) controller.close();
      } catch (e) {
        await reader.cancel().catch(() => {});
        controller.error(e);
      }
    },
    cancel(reason) {
      return reader.cancel(reason);
    },
  });
  return { metadata, header: h, plaintext };
}

// ---------------------------------------------------------------------------
// Detached wrapped keys (SPEC.md §6).

/** wrapKey wraps a 32-byte file key for the recipients as a wrapped-key record. */
export async function wrapKey(fileKey, recipients) {
  if (!recipients || recipients.length === 0) throw invalid("wrapKey needs a recipient");
  checkRecipients(recipients);
  const stanzas = await wrapAll(checkFileKey(fileKey), recipients);
  return concat(new Uint8Array(RECORD_MAGIC), new Uint8Array([FORMAT_V1]), encodeStanzas(stanzas));
}

/**
 * unwrapKey returns the file key in a wrapped-key record from the first
 * identity that matches. It is authentic to the wrapping only: open() with
 * {key} checks it is the key the envelope's sender committed to.
 */
export async function unwrapKey(record, identities) {
  return unwrapStanzas(parseWrappedKey(record), identities);
}
