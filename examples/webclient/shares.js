// shares.js: combining recovery shares (keystore/SPEC.md §6) in the
// browser: Shamir over the Ristretto255 scalar field with BigInt, HKDF
// with WebCrypto. Combining mirrors keystore.CombineRecoveryShares; every
// refusal is KeystoreError("invalid"). BigInt arithmetic is not constant
// time: this is for checking vectors and for a trustee's own machine, not
// for a server. No Node-only API.

import { hkdf, KeystoreError, recoveryPhrase } from "./keystore.js";

const LABEL_RECOVERY_CHECKSUM = "sealkit/keystore/v1/recovery-checksum";
const LABEL_SHARE_CHECK = "sealkit/keystore/v1/recovery-share-check";
const CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/** L is the order of the Ristretto255 / edwards25519 scalar field. */
export const L = (1n << 252n) + 27742317777372353535851937790883648493n;

const SHARE_VERSION = 1;
const SHARE_CHECK = 4;
const SHARE_HEADER = 3 + SHARE_CHECK;
const SCALAR_SIZE = 32;
const SHARE_PAYLOAD = SHARE_HEADER + 2 * SCALAR_SIZE; // 71
const SHARE_SUM = 4;
const SHARE_CHARS = ((SHARE_PAYLOAD + SHARE_SUM) * 8) / 5; // 120
const HALF = 16;
const MAX_SHARES = 255;

const invalid = (why) => new KeystoreError("invalid", why);

/**
 * parseGroups decodes Crockford base32 as a person typed it (case, '-',
 * ' ' forgiven, I/L read as 1, O as 0) into exactly chars/8*5 bytes, or
 * returns null.
 */
export function parseGroups(s, chars) {
  let norm = "";
  for (const ch of s) {
    if (ch === "-" || ch === " ") continue;
    let c = ch >= "a" && ch <= "z" ? ch.toUpperCase() : ch;
    if (c === "I" || c === "L") c = "1";
    else if (c === "O") c = "0";
    if (norm.length === chars) return null;
    norm += c;
  }
  if (norm.length !== chars) return null;
  let bits = 0n;
  for (const c of norm) {
    const v = CROCKFORD.indexOf(c);
    if (v < 0) return null;
    bits = (bits << 5n) | BigInt(v);
  }
  const out = new Uint8Array((chars * 5) / 8);
  for (let i = out.length - 1; i >= 0; i--) {
    out[i] = Number(bits & 0xffn);
    bits >>= 8n;
  }
  return out;
}

const leToBig = (b) => b.reduceRight((acc, x) => (acc << 8n) | BigInt(x), 0n);
const mod = (a) => ((a % L) + L) % L;

function bigToLE(n, size) {
  const out = new Uint8Array(size);
  for (let i = 0; i < size; i++) {
    out[i] = Number(n & 0xffn);
    n >>= 8n;
  }
  return out;
}

// inverse is a^(L−2) mod L (L is prime).
function inverse(a) {
  let r = 1n;
  let b = mod(a);
  for (let e = L - 2n; e > 0n; e >>= 1n) {
    if (e & 1n) r = (r * b) % L;
    b = (b * b) % L;
  }
  return r;
}

// lagrangeAtZero interpolates the points [x, y] at x = 0.
function lagrangeAtZero(points) {
  let secret = 0n;
  for (const [xi, yi] of points) {
    let num = 1n;
    let den = 1n;
    for (const [xj] of points) {
      if (xj === xi) continue;
      num = (num * xj) % L;
      den = mod(den * (xj - xi));
    }
    secret = (secret + yi * num * inverse(den)) % L;
  }
  return secret;
}

const sameBytes = (a, b) => a.length === b.length && a.every((x, i) => x === b[i]);

/**
 * combineRecoveryShares recovers the 32-byte recovery key from at least m
 * shares of one split and returns {key, phrase}. Too few shares, a typo, a
 * duplicate trustee, shares of different splits, a non-canonical y, or a
 * result that is not the split key are KeystoreError("invalid").
 */
export async function combineRecoveryShares(shares) {
  if (shares.length === 0 || shares.length > MAX_SHARES) throw invalid(`${shares.length} shares`);
  let m = 0;
  let check = null;
  const seen = new Set();
  const ys = [[], []];
  for (const [i, s] of shares.entries()) {
    const b = parseGroups(s, SHARE_CHARS);
    if (!b || !sameBytes((await hkdf(b.subarray(0, SHARE_PAYLOAD), LABEL_RECOVERY_CHECKSUM)).subarray(0, SHARE_SUM), b.subarray(SHARE_PAYLOAD))) {
      throw invalid(`share ${i + 1} does not decode (a typo?)`);
    }
    if (b[0] !== SHARE_VERSION || b[1] < 2 || b[2] === 0) throw invalid(`share ${i + 1} is malformed`);
    if (check === null) {
      m = b[1];
      check = b.slice(3, SHARE_HEADER);
    } else if (m !== b[1] || !sameBytes(check, b.subarray(3, SHARE_HEADER))) {
      throw invalid(`share ${i + 1} is from another split`);
    }
    if (seen.has(b[2])) throw invalid(`share ${i + 1} repeats trustee ${b[2]}`);
    seen.add(b[2]);
    for (const h of [0, 1]) {
      const off = SHARE_HEADER + h * SCALAR_SIZE;
      const y = leToBig(b.subarray(off, off + SCALAR_SIZE));
      if (y >= L) throw invalid(`share ${i + 1} is malformed`); // scalars are canonical
      ys[h].push([BigInt(b[2]), y]);
    }
  }
  if (shares.length < m) throw invalid(`${shares.length} shares, ${m} needed`);
  const key = new Uint8Array(32);
  for (const h of [0, 1]) {
    const secret = lagrangeAtZero(ys[h].slice(0, m));
    // A half is below 2^128: anything else means inconsistent shares.
    if (secret >> 128n !== 0n) throw invalid("shares do not combine to the key they were split from");
    key.set(bigToLE(secret, HALF), h * HALF);
  }
  if (!sameBytes((await hkdf(key, LABEL_SHARE_CHECK)).subarray(0, SHARE_CHECK), check)) {
    throw invalid("shares do not combine to the key they were split from");
  }
  return { key, phrase: await recoveryPhrase(key) };
}
