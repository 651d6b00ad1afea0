// keystore.js: the client side of sealkit's keystore format (keystore/SPEC.md
// v1) in WebCrypto: parse an account record, stretch the passphrase
// (PBKDF2 in WebCrypto, Argon2id with @noble/hashes), derive the auth and
// unlock keys, unwrap the master KEK, open key records. No Node-only API.

import { argon2idAsync } from "@noble/hashes/argon2.js";

const subtle = globalThis.crypto.subtle;
const utf8 = new TextEncoder();

// Derivation labels (SPEC.md §2, §4, §6), one per purpose.
const LABEL_AUTH = "sealkit/keystore/v1/auth";
const LABEL_UNLOCK = "sealkit/keystore/v1/unlock";
const LABEL_RECOVERY = "sealkit/keystore/v1/recovery";
const LABEL_PRIVATE_KEY = "sealkit/keystore/v1/private-key";
const LABEL_DEK = "sealkit/keystore/v1/dek";
const LABEL_RECOVERY_CHECKSUM = "sealkit/keystore/v1/recovery-checksum";
const LABEL_VERIFIER = "sealkit/keystore/v1/verifier";
const LABEL_KEY_RECORD_AD = "sealkit/keystore/v1/key-record";

const ACCOUNT_MAGIC = "SKAC";
const KEY_RECORD_MAGIC = "SKKR";
const KDF_ARGON2ID = 1;
const KDF_PBKDF2 = 2;
const SALT_SIZE = 32;
const WRAPPED_SIZE = 40;

// Caps (checked while parsing) and floors (checked before the KDF).
const CAPS = { argon2Time: 16, argon2MaxMemory: 1 << 20, argon2Threads: 16, pbkdf2Iterations: 10000000 };
const FLOORS = { argon2Memory: 7 << 10, argon2Work: 35 << 10, pbkdf2Iterations: 600000 };

/** KeystoreError.code: "corrupt", "policy", "unlock_failed" or (shares.js) "invalid". */
export class KeystoreError extends Error {
  constructor(code, message) {
    super(`keystore: ${message}`);
    this.name = "KeystoreError";
    this.code = code;
  }
}

const corrupt = (what) => new KeystoreError("corrupt", what);

function concat(...parts) {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}

class Fields {
  constructor(b) {
    this.b = b;
    this.off = 0;
    this.view = new DataView(b.buffer, b.byteOffset, b.byteLength);
  }
  bytes(n) {
    if (this.off + n > this.b.length) throw corrupt("truncated record");
    const out = this.b.slice(this.off, this.off + n);
    this.off += n;
    return out;
  }
  u8() {
    return this.bytes(1)[0];
  }
  u16() {
    this.bytes(2);
    return this.view.getUint16(this.off - 2);
  }
  u32() {
    this.bytes(4);
    return this.view.getUint32(this.off - 4);
  }
  end() {
    if (this.off !== this.b.length) throw corrupt("trailing bytes after record");
  }
  preamble(magic) {
    if (String.fromCharCode(...this.bytes(4)) !== magic) throw corrupt("bad magic");
    if (this.u8() !== 1) throw corrupt("unknown version");
  }
}

/** hkdf is HKDF-SHA256(ikm, salt = "", info = label), 32 bytes. */
export async function hkdf(ikm, label) {
  const k = await subtle.importKey("raw", ikm, "HKDF", false, ["deriveBits"]);
  return new Uint8Array(await subtle.deriveBits({ name: "HKDF", hash: "SHA-256", salt: new Uint8Array(0), info: utf8.encode(label) }, k, 256));
}

/** parseAccount parses an account record (SPEC.md §3), checking the caps. */
export function parseAccount(record) {
  const f = new Fields(record);
  f.preamble(ACCOUNT_MAGIC);
  const ownerLen = f.u8();
  if (ownerLen === 0) throw corrupt("empty owner");
  const owner = new TextDecoder().decode(f.bytes(ownerLen));
  const kdf = f.u8();
  let params;
  if (kdf === KDF_ARGON2ID) {
    params = { time: f.u32(), memoryKiB: f.u32(), threads: f.u8() };
  } else if (kdf === KDF_PBKDF2) {
    params = { iterations: f.u32() };
  } else {
    throw corrupt(`unknown KDF ${kdf}`);
  }
  const salt = f.bytes(SALT_SIZE);
  const wrappedKEK = f.bytes(WRAPPED_SIZE);
  const recLen = f.u8();
  if (recLen !== 0 && recLen !== WRAPPED_SIZE) throw corrupt("recovery block of the wrong size");
  const recovery = recLen ? f.bytes(recLen) : null;
  f.end();
  if (kdf === KDF_ARGON2ID) {
    const { time, memoryKiB, threads } = params;
    if (time < 1 || time > CAPS.argon2Time || threads < 1 || threads > CAPS.argon2Threads || memoryKiB < 8 * threads || memoryKiB > CAPS.argon2MaxMemory) {
      throw new KeystoreError("policy", "Argon2id parameters beyond the caps");
    }
  } else if (params.iterations < 1 || params.iterations > CAPS.pbkdf2Iterations) {
    throw new KeystoreError("policy", "PBKDF2 iterations beyond the caps");
  }
  return { owner, kdf: kdf === KDF_ARGON2ID ? "argon2id" : "pbkdf2", params, salt, wrappedKEK, recovery };
}

function checkFloors(acct) {
  const p = acct.params;
  if (acct.kdf === "pbkdf2" ? p.iterations < FLOORS.pbkdf2Iterations : p.memoryKiB < FLOORS.argon2Memory || p.memoryKiB * p.time < FLOORS.argon2Work) {
    throw new KeystoreError("policy", "KDF parameters below the floors");
  }
}

/**
 * unlock stretches passphrase per the account record and returns
 * {stretched, authKey, unlockKey, masterKEK}; a wrong passphrase throws
 * KeystoreError("unlock_failed") after the full KDF.
 */
export async function unlock(acct, passphrase) {
  checkFloors(acct);
  const pass = utf8.encode(passphrase);
  let stretched;
  if (acct.kdf === "pbkdf2") {
    const k = await subtle.importKey("raw", pass, "PBKDF2", false, ["deriveBits"]);
    stretched = new Uint8Array(await subtle.deriveBits({ name: "PBKDF2", hash: "SHA-256", salt: acct.salt, iterations: acct.params.iterations }, k, 256));
  } else {
    const p = acct.params;
    stretched = await argon2idAsync(pass, acct.salt, { t: p.time, m: p.memoryKiB, p: p.threads, dkLen: 32, version: 0x13, asyncTick: 50 });
  }
  const authKey = await hkdf(stretched, LABEL_AUTH);
  const unlockKey = await hkdf(stretched, LABEL_UNLOCK);
  const masterKEK = await kwUnwrap(unlockKey, acct.wrappedKEK);
  if (!masterKEK) throw new KeystoreError("unlock_failed", "wrong passphrase or damaged record");
  return { stretched, authKey, unlockKey, masterKEK };
}

/** unlockWithRecovery unwraps the master KEK with a 32-byte recovery key. */
export async function unlockWithRecovery(acct, recoveryKey) {
  if (!acct.recovery) throw new KeystoreError("unlock_failed", "no recovery key on this account");
  const wrap = await hkdf(recoveryKey, LABEL_RECOVERY);
  const kek = await kwUnwrap(wrap, acct.recovery);
  if (!kek) throw new KeystoreError("unlock_failed", "wrong recovery key");
  return { recoveryWrapKey: wrap, masterKEK: kek };
}

async function kwUnwrap(wk, wrapped) {
  const k = await subtle.importKey("raw", wk, "AES-KW", false, ["unwrapKey"]);
  try {
    const key = await subtle.unwrapKey("raw", wrapped, k, "AES-KW", "AES-GCM", true, ["encrypt"]);
    return new Uint8Array(await subtle.exportKey("raw", key));
  } catch {
    return null;
  }
}

const CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/** recoveryPhrase prints a 32-byte recovery key as SPEC.md §6 says. */
export async function recoveryPhrase(key) {
  const sum = (await hkdf(key, LABEL_RECOVERY_CHECKSUM)).slice(0, 3);
  const b = concat(key, sum);
  let bits = 0n;
  for (const x of b) bits = (bits << 8n) | BigInt(x);
  const n = Math.ceil((b.length * 8) / 5);
  bits <<= BigInt(n * 5 - b.length * 8);
  let s = "";
  for (let i = n - 1; i >= 0; i--) s += CROCKFORD[Number((bits >> BigInt(5 * i)) & 31n)];
  return s.match(/.{1,4}/g).join("-");
}

/** verifierValue is what a server stores for an auth key (SPEC.md §2). */
export async function verifierValue(pepper, owner, authKey) {
  const o = utf8.encode(owner);
  const k = await subtle.importKey("raw", pepper, { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  const mac = await subtle.sign("HMAC", k, concat(utf8.encode(LABEL_VERIFIER), new Uint8Array([o.length]), o, authKey));
  return concat(new Uint8Array([1]), new Uint8Array(mac));
}

/**
 * openKeyRecord parses and opens a key record (SPEC.md §4) for owner with
 * the master KEK; returns {name, kind, keyVersion, public, private,
 * sealingKey, associatedData}. Any mismatch is KeystoreError("corrupt").
 */
export async function openKeyRecord(record, owner, masterKEK) {
  const f = new Fields(record);
  f.preamble(KEY_RECORD_MAGIC);
  const ownerB = f.bytes(f.u8());
  const nameB = f.bytes(f.u8());
  const kindB = f.bytes(f.u8());
  const keyVersion = f.u32();
  const pub = f.bytes(f.u16());
  const sealed = f.bytes(f.u16());
  f.end();
  const dec = new TextDecoder();
  if (dec.decode(ownerB) !== owner) throw corrupt("record of another owner");
  const name = dec.decode(nameB);
  if (!/^[A-Za-z0-9._-]{1,128}$/.test(name)) throw corrupt("invalid key name");
  if (keyVersion < 1) throw corrupt("key version 0");
  if (sealed.length < 29 || sealed.length > 4096) throw corrupt("sealed key of the wrong size");
  const kind = dec.decode(kindB);
  const ad = keyRecordAD(ownerB, nameB, kindB, keyVersion, pub);
  const sealingKey = await hkdf(masterKEK, kind === "dek" ? LABEL_DEK : LABEL_PRIVATE_KEY);
  const k = await subtle.importKey("raw", sealingKey, "AES-GCM", false, ["decrypt"]);
  let priv;
  try {
    priv = new Uint8Array(await subtle.decrypt({ name: "AES-GCM", iv: sealed.subarray(0, 12), additionalData: ad }, k, sealed.subarray(12)));
  } catch {
    throw corrupt("key record authentication failed");
  }
  return { name, kind, keyVersion, public: pub, private: priv, sealingKey, associatedData: ad };
}

// keyRecordAD is the associated data a key record's sealed key is bound to
// (SPEC.md §4).
function keyRecordAD(ownerB, nameB, kindB, keyVersion, pub) {
  return concat(
    utf8.encode(LABEL_KEY_RECORD_AD),
    new Uint8Array([ownerB.length]),
    ownerB,
    new Uint8Array([nameB.length]),
    nameB,
    new Uint8Array([kindB.length]),
    kindB,
    new Uint8Array([keyVersion >>> 24, (keyVersion >>> 16) & 255, (keyVersion >>> 8) & 255, keyVersion & 255]),
    new Uint8Array([pub.length >>> 8, pub.length & 255]),
    pub,
  );
}

const randomBytes = (n) => globalThis.crypto.getRandomValues(new Uint8Array(n));
const u32be = (n) => new Uint8Array([n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255]);

/**
 * createAccount makes a PBKDF2-SHA256 account (SPEC.md §3; browsers lack a
 * fast Argon2id) for owner: a fresh master KEK wrapped under the stretched
 * passphrase, no recovery block. It returns {record, authKey, masterKEK}:
 * the record and auth key go to the server, the master KEK stays here.
 * iterations below the floor are refused unless allowWeak (tests only).
 */
export async function createAccount(owner, passphrase, { iterations = FLOORS.pbkdf2Iterations, allowWeak = false } = {}) {
  const ownerB = utf8.encode(owner);
  if (ownerB.length < 1 || ownerB.length > 255) throw new KeystoreError("corrupt", "owner is 1 to 255 bytes");
  if (!Number.isInteger(iterations) || iterations < 1 || iterations > CAPS.pbkdf2Iterations || (!allowWeak && iterations < FLOORS.pbkdf2Iterations)) {
    throw new KeystoreError("policy", "PBKDF2 iterations outside the floor and cap");
  }
  const salt = randomBytes(SALT_SIZE);
  const masterKEK = randomBytes(32);
  const k = await subtle.importKey("raw", utf8.encode(passphrase), "PBKDF2", false, ["deriveBits"]);
  const stretched = new Uint8Array(await subtle.deriveBits({ name: "PBKDF2", hash: "SHA-256", salt, iterations }, k, 256));
  const authKey = await hkdf(stretched, LABEL_AUTH);
  const unlockKey = await hkdf(stretched, LABEL_UNLOCK);
  stretched.fill(0);
  const wk = await subtle.importKey("raw", unlockKey, "AES-KW", false, ["wrapKey"]);
  unlockKey.fill(0);
  const kek = await subtle.importKey("raw", masterKEK, "AES-GCM", true, ["encrypt"]);
  const wrappedKEK = new Uint8Array(await subtle.wrapKey("raw", kek, wk, "AES-KW"));
  const record = concat(utf8.encode(ACCOUNT_MAGIC), new Uint8Array([1, ownerB.length]), ownerB, new Uint8Array([KDF_PBKDF2]), u32be(iterations), salt, wrappedKEK, new Uint8Array([0]));
  return { record, authKey, masterKEK };
}

/**
 * sealKeyRecord seals a private key (its bytes as the table of SPEC.md §4
 * says: PKCS#8, or the 32-byte seed of mlkem768x25519) under the master
 * KEK as a key record of owner, with its public key in the clear.
 */
export async function sealKeyRecord({ owner, name, kind, keyVersion = 1, public: pub, private: priv }, masterKEK) {
  const ownerB = utf8.encode(owner);
  const nameB = utf8.encode(name);
  const kindB = utf8.encode(kind);
  if (ownerB.length < 1 || ownerB.length > 255 || !/^[A-Za-z0-9._-]{1,128}$/.test(name) || kindB.length < 1 || kindB.length > 255) {
    throw new KeystoreError("corrupt", "invalid owner, name or kind");
  }
  if (!Number.isInteger(keyVersion) || keyVersion < 1 || keyVersion > 0xffffffff || pub.length > 0xffff) throw new KeystoreError("corrupt", "invalid version or public key");
  const ad = keyRecordAD(ownerB, nameB, kindB, keyVersion, pub);
  const sealingKey = await hkdf(masterKEK, kind === "dek" ? LABEL_DEK : LABEL_PRIVATE_KEY);
  const k = await subtle.importKey("raw", sealingKey, "AES-GCM", false, ["encrypt"]);
  sealingKey.fill(0);
  const nonce = randomBytes(12);
  const sealed = concat(nonce, new Uint8Array(await subtle.encrypt({ name: "AES-GCM", iv: nonce, additionalData: ad }, k, priv)));
  if (sealed.length > 4096) throw new KeystoreError("corrupt", "private key too large for a key record");
  return concat(
    utf8.encode(KEY_RECORD_MAGIC),
    new Uint8Array([1, ownerB.length]),
    ownerB,
    new Uint8Array([nameB.length]),
    nameB,
    new Uint8Array([kindB.length]),
    kindB,
    u32be(keyVersion),
    new Uint8Array([pub.length >>> 8, pub.length & 255]),
    pub,
    new Uint8Array([sealed.length >>> 8, sealed.length & 255]),
    sealed,
  );
}
