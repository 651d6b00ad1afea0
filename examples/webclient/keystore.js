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

/** KeystoreError.code: "corrupt", "policy", "passphrase", "unlock_failed" or (shares.js) "invalid". */
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

// Passphrase preparation (SPEC.md §2): RFC 8265 OpaqueString, as Go's
// golang.org/x/text/secure/precis applies it. The mapping (non-ASCII spaces
// to U+0020, then NFC) is exact. The refusals are RFC 8264 §9's
// FreeformClass derivation and RFC 5892 Appendix A's context rules, written
// with the engine's Unicode property escapes; "unassigned" is Unicode
// 15.0.0's (x/text's tables for Go 1.26) on any engine of 15.0 or later.
// One gap, a refusal and so never a different key: U+200C and U+200D are
// always refused here (their rules need Canonical_Combining_Class and
// Joining_Type, which JavaScript cannot query), where Go accepts them after
// a virama or between joining letters.
const ZS = /\p{Zs}/gu;
const OLD_HANGUL_JAMO = /[\u1100-\u11ff\ua960-\ua97f\ud7b0-\ud7ff]/u;
const FREEFORM = /[\p{Ll}\p{Lu}\p{Lo}\p{Nd}\p{Lm}\p{Mn}\p{Mc}\p{Lt}\p{Nl}\p{No}\p{Me}\p{Zs}\p{S}\p{P}]/u;
const EXCEPTION_DISALLOWED = /[\u0640\u07fa\u302e\u302f\u3031-\u3035\u303b]/u;
const EXCEPTION_PVALID = /[\u00df\u03c2\u06fd\u06fe\u0f0b\u3007]/u;
const IGNORABLE = /[\p{Default_Ignorable_Code_Point}\p{Noncharacter_Code_Point}]/u;
const JAPANESE = /[\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Han}]/u;
// Code points assigned after Unicode 15.0.0 (x/text's tables for Go 1.26),
// refused as Go refuses them, whatever the engine's Unicode version.
const ASSIGNED_AFTER_UNICODE_15 = /[\u088f\u0897\u0c5c\u0cdc\u1acf-\u1add\u1ae0-\u1aeb\u1b4e-\u1b4f\u1b7f\u1c89-\u1c8a\u20c1\u2427-\u2429\u2b96\u2ffc-\u2fff\u31e4-\u31e5\u31ef\ua7cb-\ua7cf\ua7d2\ua7d4\ua7da-\ua7dc\ua7f1\ufbc3-\ufbd2\ufd90-\ufd91\ufdc8-\ufdce\u{105c0}-\u{105f3}\u{10940}-\u{10959}\u{10d40}-\u{10d65}\u{10d69}-\u{10d85}\u{10d8e}-\u{10d8f}\u{10ec2}-\u{10ec7}\u{10ed0}-\u{10ed8}\u{10efa}-\u{10efc}\u{11380}-\u{11389}\u{1138b}\u{1138e}\u{11390}-\u{113b5}\u{113b7}-\u{113c0}\u{113c2}\u{113c5}\u{113c7}-\u{113ca}\u{113cc}-\u{113d5}\u{113d7}-\u{113d8}\u{113e1}-\u{113e2}\u{116d0}-\u{116e3}\u{11b60}-\u{11b67}\u{11bc0}-\u{11be1}\u{11bf0}-\u{11bf9}\u{11db0}-\u{11ddb}\u{11de0}-\u{11de9}\u{11f5a}\u{13460}-\u{143fa}\u{16100}-\u{16139}\u{16d40}-\u{16d79}\u{16ea0}-\u{16eb8}\u{16ebb}-\u{16ed3}\u{16ff2}-\u{16ff6}\u{187f8}-\u{187ff}\u{18cff}\u{18d09}-\u{18d1e}\u{18d80}-\u{18df2}\u{1cc00}-\u{1ccfc}\u{1cd00}-\u{1ceb3}\u{1ceba}-\u{1ced0}\u{1cee0}-\u{1cef0}\u{1e5d0}-\u{1e5fa}\u{1e5ff}\u{1e6c0}-\u{1e6de}\u{1e6e0}-\u{1e6f5}\u{1e6fe}-\u{1e6ff}\u{1f6d8}\u{1f777}-\u{1f77a}\u{1f8b2}-\u{1f8bb}\u{1f8c0}-\u{1f8c1}\u{1f8d0}-\u{1f8d8}\u{1fa54}-\u{1fa57}\u{1fa89}-\u{1fa8a}\u{1fa8e}-\u{1fa8f}\u{1fabe}\u{1fac6}\u{1fac8}\u{1facd}\u{1fadc}\u{1fadf}\u{1fae9}-\u{1faea}\u{1faef}\u{1fbcb}-\u{1fbef}\u{1fbfa}\u{2b73a}-\u{2b73f}\u{2cea2}-\u{2cead}\u{2ebf0}-\u{2ee5d}\u{323b0}-\u{33479}]/u;
const refusedPassphrase = (why) => new KeystoreError("passphrase", `passphrase refused by RFC 8265 OpaqueString: ${why}`);

// freeformOK is RFC 8264 §9 for one code point c (a string), for the
// FreeformClass: PVALID or FREE_PVAL. Contextual ones are checked apart.
function freeformOK(c) {
  const cp = c.codePointAt(0);
  if (EXCEPTION_PVALID.test(c)) return true;
  if (EXCEPTION_DISALLOWED.test(c)) return false;
  if (/\p{Cn}/u.test(c) || /\p{Cs}/u.test(c) || ASSIGNED_AFTER_UNICODE_15.test(c)) return false; // unassigned, or a lone surrogate
  if (cp >= 0x21 && cp <= 0x7e) return true;
  if (OLD_HANGUL_JAMO.test(c) || IGNORABLE.test(c) || /\p{Cc}/u.test(c)) return false;
  if (c.normalize("NFKC") !== c) return true; // HasCompat
  return FREEFORM.test(c);
}

/**
 * preparePassphrase returns the UTF-8 bytes a passphrase is stretched as
 * (SPEC.md §2: RFC 8265 OpaqueString), or throws
 * KeystoreError("passphrase") for one it refuses.
 */
export function preparePassphrase(passphrase) {
  if (typeof passphrase !== "string") throw refusedPassphrase("not a string");
  const s = passphrase.replace(ZS, " ").normalize("NFC");
  if (s === "") throw refusedPassphrase("empty");
  const cps = Array.from(s);
  const has = (re) => cps.some((c) => re.test(c));
  for (let i = 0; i < cps.length; i++) {
    const c = cps[i];
    const before = cps[i - 1] ?? "";
    const after = cps[i + 1] ?? "";
    let ok;
    switch (c) {
      case "\u200c": // ZERO WIDTH NON-JOINER: see the gap above
      case "\u200d": // ZERO WIDTH JOINER
        ok = false;
        break;
      case "\u00b7": // MIDDLE DOT: between two "l"
        ok = before === "l" && after === "l";
        break;
      case "\u0375": // GREEK LOWER NUMERAL SIGN: before Greek
        ok = /\p{Script=Greek}/u.test(after);
        break;
      case "\u05f3": // HEBREW PUNCTUATION GERESH, GERSHAYIM: after Hebrew
      case "\u05f4":
        ok = /\p{Script=Hebrew}/u.test(before);
        break;
      case "\u30fb": // KATAKANA MIDDLE DOT: with Hiragana, Katakana or Han
        ok = has(JAPANESE);
        break;
      default:
        if (c >= "\u0660" && c <= "\u0669") ok = !has(/[\u06f0-\u06f9]/u);
        else if (c >= "\u06f0" && c <= "\u06f9") ok = !has(/[\u0660-\u0669]/u);
        else ok = freeformOK(c);
    }
    if (!ok) throw refusedPassphrase(`character ${i + 1} is not allowed there`);
  }
  return utf8.encode(s);
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
  const pass = preparePassphrase(passphrase);
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
  const pass = preparePassphrase(passphrase);
  const salt = randomBytes(SALT_SIZE);
  const masterKEK = randomBytes(32);
  const k = await subtle.importKey("raw", pass, "PBKDF2", false, ["deriveBits"]);
  pass.fill(0);
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
