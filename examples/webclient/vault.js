// vault.js: a client of the reference vault server (examples/vaultserver,
// API.md) in WebCrypto, on sealkit.js, keystore.js and identity.js. Every
// key is made and used here; the server receives sealed key records, public
// keys, wrapped keys, encrypted headers and ciphertext, never a plaintext
// or a key that opens one. No DOM and no Node-only API: app.js is the page.
//
// The account is PBKDF2-SHA256 (keystore's BrowserPolicy), with the same
// two key records the Go client keeps ("signing", Ed25519; "encryption",
// MLKEM768-X25519), so the Go CLI can log in to it too.

import * as sealkit from "./sealkit.js";
import * as keystore from "./keystore.js";
import * as identity from "./identity.js";
import { verifyResponse } from "./httpsig.js";

const subtle = globalThis.crypto.subtle;
const utf8 = new TextEncoder();

// Names and labels shared with the Go side (vaultclient, share SPEC.md).
const KEY_SIGNING = "signing";
const KEY_ENCRYPTION = "encryption";
const KIND_ED25519 = "ed25519";
const KIND_HYBRID = "mlkem768x25519";
const REGISTER_PURPOSE = "sealkit-vault-register";
const LABEL_ITEM_AD = "sealkit/share item v1";
const LABEL_AUDIT_EVENT = "sealkit/share audit event v1";
const LABEL_LINK_KEK = "sealkit/share link kek v1";
const LABEL_LINK_VERIFIER = "sealkit/share link verifier v1";
const LINK_KEK_ID = "link";
const CONTENT_JSON = "application/json";

/** PBKDF2 work: accounts (keystore's BrowserPolicy) and links (share's floor). */
export const ACCOUNT_ITERATIONS = 600000;
export const LINK_ITERATIONS = 600000;
const MAX_LINK_ITERATIONS = 10000000;
const MAX_FRAME_RECORD = 2 << 20;
const LIST_PAGE = 100;

/** VaultError.code is the server's error code ("not_found", …) or a local one. */
export class VaultError extends Error {
  constructor(code, message, status = 0) {
    super(`vault: ${message}`);
    this.name = "VaultError";
    this.code = code;
    this.status = status;
  }
}

// ---------------------------------------------------------------------------
// Encodings.

/** b64 is standard base64 with padding, as Go's encoding/json writes []byte. */
export const b64 = {
  encode(b) {
    let s = "";
    for (let i = 0; i < b.length; i += 0x8000) s += String.fromCharCode(...b.subarray(i, i + 0x8000));
    return btoa(s);
  },
  decode(s) {
    if (typeof s !== "string") throw new VaultError("corrupt", "bytes field is not a string");
    return Uint8Array.from(atob(s), (c) => c.charCodeAt(0));
  },
};

function concat(...parts) {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}

const u32be = (n) => new Uint8Array([n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255]);
const u64be = (n) => {
  const b = new Uint8Array(8);
  new DataView(b.buffer).setBigUint64(0, BigInt(n));
  return b;
};
const lp = (b) => concat(u32be(b.length), b);

/** sha256hex returns the hex SHA-256 of bytes. */
export async function sha256hex(bytes) {
  const d = new Uint8Array(await subtle.digest("SHA-256", bytes));
  return Array.from(d, (x) => x.toString(16).padStart(2, "0")).join("");
}

const BASE32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/** newID returns 26 random base32 characters (130 bits), like share's NewID. */
export function newID() {
  const b = globalThis.crypto.getRandomValues(new Uint8Array(26));
  return Array.from(b, (x) => BASE32[x & 31]).join("");
}

/** itemAD is share's ItemAD: label || lp(id) || lp(owner) || u64be(version). */
export function itemAD(id, owner, version) {
  return concat(utf8.encode(LABEL_ITEM_AD), lp(utf8.encode(id)), lp(utf8.encode(owner)), u64be(version));
}

function eqBytes(a, b) {
  if (a.length !== b.length) return false;
  let d = 0;
  for (let i = 0; i < a.length; i++) d |= a[i] ^ b[i];
  return d === 0;
}

// ---------------------------------------------------------------------------
// HTTP.

// Every answer of the vault server is signed with its response key
// (API.md, "Signed responses"); send refuses any other. Answer is what it
// hands back: the status, the headers and the verified body.
class Answer {
  constructor(status, headers, body) {
    this.status = status;
    this.ok = status >= 200 && status < 300;
    this.headers = headers;
    this.body = body;
  }
  json() {
    return JSON.parse(new TextDecoder().decode(this.body));
  }
  arrayBuffer() {
    return this.body.buffer.slice(this.body.byteOffset, this.body.byteOffset + this.body.length);
  }
}

function apiError(answer) {
  let code = "http_" + answer.status;
  try {
    const e = answer.json();
    if (typeof e.error === "string") code = e.error;
  } catch {
    // not JSON: keep the status
  }
  return new VaultError(code, `${answer.status} ${code}`, answer.status);
}

// payloadAnswer reports whether a 200 answer to request is streamed
// ciphertext, signed without a digest: download and link access.
function payloadAnswer(status, { method, url }) {
  const path = new URL(url).pathname;
  return status === 200 && method === "POST" && path.startsWith("/api/v1/") && (path.endsWith("/download") || path.endsWith("/access"));
}

/**
 * send fetches url and checks the answer against the server's response key
 * (fetchServerKey's result): an answer that is unsigned, signed by another
 * key or over too little, stale, or altered is VaultError
 * "unverified_response" (with the status it claimed, which is not to be
 * trusted either); a verified error answer is VaultError with its code.
 */
async function send(url, init, responseKey) {
  if (!responseKey) throw new VaultError("unverified_response", "no server response key to check answers against");
  const resp = await fetch(url, { ...init, credentials: "omit", cache: "no-store", referrerPolicy: "no-referrer" });
  const body = new Uint8Array(await resp.arrayBuffer());
  const request = { method: (init.method ?? "GET").toUpperCase(), url, headers: Object.entries(init.headers ?? {}) };
  try {
    await verifyResponse({ status: resp.status, headers: [...resp.headers], body }, request, responseKey, Math.floor(Date.now() / 1000), {
      payload: payloadAnswer(resp.status, request),
    });
  } catch (e) {
    if (!(e instanceof identity.IdentityError)) throw e;
    throw new VaultError("unverified_response", `refused a ${resp.status} answer not signed by the server's key: ${e.message}`, resp.status);
  }
  const answer = new Answer(resp.status, resp.headers, body);
  if (!answer.ok) throw apiError(answer);
  return answer;
}

async function postJSON(url, body, responseKey, headers = {}) {
  const resp = await send(url, { method: "POST", headers: { "Content-Type": CONTENT_JSON, ...headers }, body: JSON.stringify(body) }, responseKey);
  return resp.status === 204 ? null : resp.json();
}

/**
 * importServerKey imports a pinned response key: the raw 32-byte Ed25519
 * key, checked against keyId (its RFC 7638 thumbprint) when given.
 */
export async function importServerKey(raw, keyId) {
  const k = await identity.importPublicKey("ed25519", raw);
  if (keyId !== undefined && k.keyId !== keyId) throw new VaultError("unverified_response", "pinned server key does not match its key ID");
  return { ...k, raw: raw.slice() };
}

/**
 * fetchServerKey fetches the server's response key from GET
 * /api/v1/server-key, trusting it on first use (API.md, "Getting and
 * pinning the key"): the answer must be signed by the key it carries,
 * whose thumbprint must be its key_id. Pin the result (its raw and keyId)
 * and pass it to register, login and openLink from then on, so that
 * answers under any other key are refused.
 */
export async function fetchServerKey(base) {
  const url = `${base}/api/v1/server-key`;
  const resp = await fetch(url, { credentials: "omit", cache: "no-store", referrerPolicy: "no-referrer" });
  const body = new Uint8Array(await resp.arrayBuffer());
  let sk;
  try {
    sk = JSON.parse(new TextDecoder().decode(body));
  } catch {
    sk = null;
  }
  if (resp.status !== 200 || !sk || sk.alg !== "ed25519" || typeof sk.public_key !== "string" || typeof sk.key_id !== "string") {
    throw new VaultError("unverified_response", `no usable server key (a ${resp.status} answer)`, resp.status);
  }
  const key = await importServerKey(b64.decode(sk.public_key), sk.key_id);
  try {
    await verifyResponse({ status: resp.status, headers: [...resp.headers], body }, { method: "GET", url, headers: [] }, key, Math.floor(Date.now() / 1000));
  } catch (e) {
    if (!(e instanceof identity.IdentityError)) throw e;
    throw new VaultError("unverified_response", `the server key's answer is not signed by that key: ${e.message}`, resp.status);
  }
  return key;
}

// readFrame splits u32be(len) || json || rest, capping the record.
function readFrame(b) {
  if (b.length < 4) throw new VaultError("corrupt", "short frame");
  const n = new DataView(b.buffer, b.byteOffset, 4).getUint32(0);
  if (n > MAX_FRAME_RECORD || 4 + n > b.length) throw new VaultError("corrupt", "framed record too large or short");
  return { record: JSON.parse(new TextDecoder().decode(b.subarray(4, 4 + n))), rest: b.subarray(4 + n) };
}

// ---------------------------------------------------------------------------
// Sessions.

async function ed25519KeyId(pub) {
  return (await identity.importPublicKey("ed25519", pub)).keyId;
}

/**
 * register creates user's account on the server at base (the origin) and
 * returns a logged-in Session. Everything is made here: the account record
 * (PBKDF2, iterations ≥ 600,000), the Ed25519 signing key and the
 * MLKEM768-X25519 encryption key, sealed as key records under the master
 * KEK; the server gets those records, the auth key, the public keys and a
 * signed proof that this client holds the signing key. responseKey is the
 * server's pinned response key (fetchServerKey, importServerKey); without
 * one it is fetched and trusted on first use.
 */
export async function register(base, user, passphrase, { iterations = ACCOUNT_ITERATIONS, responseKey } = {}) {
  responseKey ??= await fetchServerKey(base);
  const acct = await keystore.createAccount(user, passphrase, { iterations });
  const signing = await subtle.generateKey({ name: "Ed25519" }, true, ["sign", "verify"]);
  const sigPub = new Uint8Array(await subtle.exportKey("raw", signing.publicKey));
  const sigPriv = new Uint8Array(await subtle.exportKey("pkcs8", signing.privateKey));
  const hybrid = await sealkit.generateHybrid();
  const records = [
    await keystore.sealKeyRecord({ owner: user, name: KEY_SIGNING, kind: KIND_ED25519, public: sigPub, private: sigPriv }, acct.masterKEK),
    await keystore.sealKeyRecord({ owner: user, name: KEY_ENCRYPTION, kind: KIND_HYBRID, public: hybrid.publicKey, private: hybrid.privateKey }, acct.masterKEK),
  ];
  sigPriv.fill(0);
  acct.masterKEK.fill(0);
  const keyId = await ed25519KeyId(sigPub);
  const proof = await identity.signMessage(signing.privateKey, keyId, REGISTER_PURPOSE, utf8.encode(user));
  await postJSON(`${base}/api/v1/register`, {
    user,
    account: b64.encode(acct.record),
    auth_key: b64.encode(acct.authKey),
    key_records: records.map((r) => b64.encode(r)),
    signing_key: b64.encode(sigPub),
    directory: { id: user, keys: [{ kind: KIND_HYBRID, bytes: b64.encode(hybrid.publicKey) }], signing_key: b64.encode(sigPub) },
    proof: b64.encode(utf8.encode(proof)),
  }, responseKey);
  const s = new Session(base, user, signing.privateKey, keyId, await sealkit.hybridIdentity(hybrid.privateKey), responseKey);
  hybrid.privateKey.fill(0);
  await s.refreshToken();
  return s;
}

/**
 * login fetches user's account record, stretches the passphrase here (a
 * wrong one fails here, after the full KDF), presents the auth key for the
 * sealed key records, opens them and exchanges a signed request for a
 * session token. responseKey is as for register.
 */
export async function login(base, user, passphrase, { responseKey } = {}) {
  responseKey ??= await fetchServerKey(base);
  const start = await postJSON(`${base}/api/v1/login/start`, { user }, responseKey);
  const acct = keystore.parseAccount(b64.decode(start.account));
  if (acct.owner !== user) throw new VaultError("corrupt", "account record of another user");
  const keys = await keystore.unlock(acct, passphrase);
  const resp = await postJSON(`${base}/api/v1/login`, { user, auth_key: b64.encode(keys.authKey) }, responseKey);
  const latest = new Map();
  for (const r of resp.key_records ?? []) {
    const k = await keystore.openKeyRecord(b64.decode(r), user, keys.masterKEK);
    const cur = latest.get(k.name);
    if (!cur || k.keyVersion > cur.keyVersion) latest.set(k.name, k);
  }
  keys.masterKEK.fill(0);
  const sig = latest.get(KEY_SIGNING);
  const enc = latest.get(KEY_ENCRYPTION);
  if (!sig || sig.kind !== KIND_ED25519 || !enc || enc.kind !== KIND_HYBRID) {
    throw new VaultError("corrupt", "the account lacks its signing or encryption key");
  }
  const signKey = await subtle.importKey("pkcs8", sig.private, { name: "Ed25519" }, false, ["sign"]);
  sig.private.fill(0);
  const hy = await sealkit.hybridIdentity(enc.private);
  enc.private.fill(0);
  if (!eqBytes(hy.publicKey, enc.public)) throw new VaultError("corrupt", "encryption key record's public key does not match");
  const s = new Session(base, user, signKey, await ed25519KeyId(sig.public), hy, responseKey);
  await s.refreshToken();
  return s;
}

/**
 * Session is a logged-in user: its signing key (a non-extractable
 * CryptoKey), its hybrid identity, a bearer token, and the server's
 * response key every answer is checked against (responseKey: pin its raw
 * and keyId).
 */
export class Session {
  constructor(base, user, signKey, keyId, hybrid, responseKey) {
    this.base = base;
    this.user = user;
    this.keyId = keyId;
    this.token = "";
    this.responseKey = responseKey;
    this.#signKey = signKey;
    this.#hybrid = hybrid;
  }

  #signKey;
  #hybrid;

  /** refreshToken exchanges a signed POST /api/v1/token for a token. */
  async refreshToken() {
    const url = `${this.base}/api/v1/token`;
    const body = utf8.encode("{}");
    const headers = await identity.signRequest({ method: "POST", url, body, contentType: CONTENT_JSON }, this.#signKey, this.keyId);
    const resp = await send(url, { method: "POST", headers, body }, this.responseKey);
    this.token = (await resp.json()).token;
  }

  async #fetch(path, init = {}) {
    const headers = { Authorization: `Bearer ${this.token}`, ...(init.headers ?? {}) };
    return send(`${this.base}${path}`, { ...init, headers }, this.responseKey);
  }

  async #get(path) {
    return (await this.#fetch(path)).json();
  }

  async #post(path, body) {
    const resp = await this.#fetch(path, { method: "POST", headers: { "Content-Type": CONTENT_JSON }, body: JSON.stringify(body) });
    return resp;
  }

  // event signs an audit event (share SPEC.md §7) as this user.
  async #event(action, item, subject = "") {
    const ms = Date.now();
    const nonce = globalThis.crypto.getRandomValues(new Uint8Array(16));
    const signed = concat(
      utf8.encode(LABEL_AUDIT_EVENT),
      lp(utf8.encode(action)),
      lp(utf8.encode(this.user)),
      lp(utf8.encode(item)),
      lp(utf8.encode(subject)),
      u64be(BigInt(ms) * 1000000n),
      lp(nonce),
    );
    const sig = new Uint8Array(await subtle.sign({ name: "Ed25519" }, this.#signKey, signed));
    const ev = { action, actor: this.user, item, time: new Date(ms).toISOString(), nonce: b64.encode(nonce), signature: b64.encode(sig) };
    if (subject) ev.subject = subject;
    return ev;
  }

  /**
   * upload seals bytes under a fresh DEK (metadata: name, type, size,
   * created, all encrypted), wraps the DEK to this user's own key, and
   * uploads header, wrapped key and ciphertext. The server's SHA-256 of the
   * ciphertext must equal ours. Returns the item record.
   */
  async upload(name, type, bytes) {
    const id = newID();
    const dek = sealkit.generateFileKey();
    try {
      const meta = { name, size: bytes.length, created: new Date().toISOString() };
      if (type) meta.type = type;
      // Suite 2 (random nonces): what Go seals with, and all Go opens, under
      // FIPS 140-only mode; the cost is 12 bytes per 64 KiB segment.
      const env = await sealkit.seal(bytes, [], { key: dek, associatedData: itemAD(id, this.user, 1), metadata: meta, suite: sealkit.SUITE_RANDOM_NONCE });
      const hlen = sealkit.parseHeader(env).length;
      const header = env.subarray(0, hlen);
      const payload = env.subarray(hlen);
      const own = await sealkit.wrapKey(dek, [await this.#hybrid.recipient()]);
      const record = utf8.encode(
        JSON.stringify({
          item: { id, owner: this.user, version: 1, header: b64.encode(header), size: 0 },
          keys: [{ item: id, recipient: this.user, version: 1, record: b64.encode(own) }],
        }),
      );
      const resp = await this.#fetch("/api/v1/items", { method: "POST", headers: { "Content-Type": "application/octet-stream" }, body: concat(u32be(record.length), record, payload) });
      const item = await resp.json();
      const want = new Uint8Array(await subtle.digest("SHA-256", payload));
      if (item.id !== id || !eqBytes(b64.decode(item.sha256 ?? ""), want)) throw new VaultError("corrupt", "the server stored other bytes than were sent");
      return item;
    } finally {
      dek.fill(0);
    }
  }

  // itemKey returns the DEK of item for this user, checked against the
  // item's header and associated data, and the header's metadata.
  async #itemKey(item) {
    const wk = await this.#get(`/api/v1/items/${encodeURIComponent(item.id)}/key`);
    if (wk.item !== item.id || wk.version !== item.version || wk.space) throw new VaultError("corrupt", "wrapped key for another item or version");
    let dek;
    try {
      dek = await sealkit.unwrapKey(b64.decode(wk.record), [this.#hybrid]);
    } catch (e) {
      throw new VaultError("corrupt", `cannot unwrap the item key: ${e.message}`);
    }
    const { metadata } = await sealkit.openHeaderOnly(b64.decode(item.header), [], { key: dek, associatedData: itemAD(item.id, item.owner, item.version) });
    return { dek, metadata };
  }

  async #describe(item) {
    const { dek, metadata } = await this.#itemKey(item);
    dek.fill(0);
    const m = metadata ?? {};
    return { id: item.id, owner: item.owner, name: m.name ?? "", type: m.type ?? "", size: m.size ?? 0, stored: item.size, created: item.created };
  }

  /** list returns this user's own files, oldest first, names decrypted here. */
  async list() {
    const out = [];
    for (let after = ""; ; ) {
      const page = await this.#get(`/api/v1/items?sort=created&limit=${LIST_PAGE}&after=${encodeURIComponent(after)}`);
      for (const it of page.items) out.push(await this.#describe(it));
      if (!page.next || page.items.length === 0) return out;
      after = page.next;
    }
  }

  /** received returns the files others shared with this user. */
  async received() {
    const out = [];
    for (const sh of await this.#get("/api/v1/shares/received")) {
      out.push({ ...(await this.#describe(await this.#get(`/api/v1/items/${encodeURIComponent(sh.item)}`))), sharedBy: sh.owner });
    }
    return out;
  }

  /**
   * download fetches item id (own or received), signs the download event,
   * and decrypts it; every segment is authenticated before anything is
   * returned. Returns {plaintext, metadata}.
   */
  async download(id) {
    const item = await this.#get(`/api/v1/items/${encodeURIComponent(id)}`);
    const { dek } = await this.#itemKey(item);
    try {
      const resp = await this.#post(`/api/v1/items/${encodeURIComponent(id)}/download`, await this.#event("download", id));
      const payload = new Uint8Array(await resp.arrayBuffer());
      const r = await sealkit.open(concat(b64.decode(item.header), payload), [], { key: dek, associatedData: itemAD(item.id, item.owner, item.version) });
      return { plaintext: r.plaintext, metadata: r.metadata ?? {} };
    } finally {
      dek.fill(0);
    }
  }

  /**
   * share gives recipient access to item id: their published key is looked
   * up (hybrid, else RSA-OAEP, else X25519, as share prefers), the DEK is
   * wrapped to it here, and the share is posted with a signed event.
   */
  async share(id, recipient) {
    if (recipient === this.user) throw new VaultError("self_share", "sharing with yourself");
    const item = await this.#get(`/api/v1/items/${encodeURIComponent(id)}`);
    const user = await this.#get(`/api/v1/users/${encodeURIComponent(recipient)}`);
    const r = await recipientFor(user.keys ?? []);
    const { dek } = await this.#itemKey(item);
    let record;
    try {
      record = await sealkit.wrapKey(dek, [r]);
    } finally {
      dek.fill(0);
    }
    await this.#post("/api/v1/shares", {
      share: { id: newID(), item: id, owner: this.user, recipient, mode: "direct" },
      key: { item: id, recipient, version: item.version, record: b64.encode(record) },
      event: await this.#event("share", id, recipient),
    });
  }

  /**
   * createLink makes a public password link to item id (share SPEC.md §5):
   * a 128-bit secret, PBKDF2 + HKDF to a share KEK and a verifier, the DEK
   * wrapped under the KEK; the server gets the salt, the wrapped key and
   * SHA-256 of the verifier. Returns the URL, the secret in its fragment.
   */
  async createLink(id, { ttlSeconds = 86400, maxDownloads = 10 } = {}) {
    const item = await this.#get(`/api/v1/items/${encodeURIComponent(id)}`);
    const { dek } = await this.#itemKey(item);
    const secret = identity.b64u.encode(globalThis.crypto.getRandomValues(new Uint8Array(16)));
    const salt = globalThis.crypto.getRandomValues(new Uint8Array(16));
    const lk = await linkKeys(secret, salt, LINK_ITERATIONS);
    let wrapped;
    try {
      wrapped = await sealkit.wrapKey(dek, [await sealkit.kek(LINK_KEK_ID, lk.kek)]);
    } finally {
      dek.fill(0);
      lk.kek.fill(0);
    }
    const linkID = newID();
    await this.#post("/api/v1/links", {
      link: {
        id: linkID,
        item: id,
        owner: this.user,
        version: item.version,
        salt: b64.encode(salt),
        iterations: LINK_ITERATIONS,
        wrapped_key: b64.encode(wrapped),
        verifier_hash: b64.encode(new Uint8Array(await subtle.digest("SHA-256", lk.verifier))),
        expires: new Date(Date.now() + ttlSeconds * 1000).toISOString(),
        max_downloads: maxDownloads,
        remaining: maxDownloads,
      },
      event: await this.#event("share", id, linkID),
    });
    return `${this.base}/l/${linkID}#${secret}`;
  }
}

async function recipientFor(keys) {
  for (const kind of [KIND_HYBRID, "rsa-oaep-256", "x25519"]) {
    const k = keys.find((k) => k.kind === kind);
    if (!k) continue;
    const raw = b64.decode(k.bytes);
    if (kind === KIND_HYBRID) return sealkit.hybridRecipient(raw);
    if (kind === "rsa-oaep-256") return sealkit.rsaRecipient(raw);
    return sealkit.x25519Recipient(raw);
  }
  throw new VaultError("invalid", "the recipient publishes no usable key");
}

// linkKeys stretches a link secret (share SPEC.md §5).
async function linkKeys(secret, salt, iterations) {
  const pk = await subtle.importKey("raw", utf8.encode(secret), "PBKDF2", false, ["deriveBits"]);
  const s = await subtle.deriveBits({ name: "PBKDF2", hash: "SHA-256", salt, iterations }, pk, 256);
  const hk = await subtle.importKey("raw", s, "HKDF", false, ["deriveBits"]);
  const derive = async (label) => new Uint8Array(await subtle.deriveBits({ name: "HKDF", hash: "SHA-256", salt, info: utf8.encode(label) }, hk, 256));
  return { kek: await derive(LABEL_LINK_KEK), verifier: await derive(LABEL_LINK_VERIFIER) };
}

/**
 * parseLinkURL returns {id, secret} of a link URL (<base>/l/<id>#<secret>)
 * or null if url is not one.
 */
export function parseLinkURL(url) {
  const u = new URL(url);
  const m = /^\/l\/([A-Za-z0-9_@-][A-Za-z0-9._@-]{0,63})$/.exec(u.pathname);
  const secret = u.hash.slice(1);
  if (!m || !/^[A-Za-z0-9_-]{16,}$/.test(secret)) return null;
  return { id: m[1], secret };
}

/**
 * openLink opens a public link anonymously: it refuses KDF parameters
 * below the floor (a server lowering them would make the secret cheap to
 * guess from the proof) or above the ceiling, proves knowledge of the
 * secret with the verifier, unwraps the DEK with the share KEK, checks the
 * header against the item and decrypts. Returns {plaintext, metadata,
 * remaining}. responseKey is as for register.
 */
export async function openLink(base, id, secret, { responseKey } = {}) {
  responseKey ??= await fetchServerKey(base);
  const p = await (await send(`${base}/api/v1/links/${encodeURIComponent(id)}`, {}, responseKey)).json();
  if (!Number.isInteger(p.iterations) || p.iterations < LINK_ITERATIONS || p.iterations > MAX_LINK_ITERATIONS) {
    throw new VaultError("invalid", "link KDF iterations outside the floor and ceiling");
  }
  const salt = b64.decode(p.salt);
  if (salt.length !== 16) throw new VaultError("invalid", "link salt is not 16 bytes");
  const lk = await linkKeys(secret, salt, p.iterations);
  const resp = await send(`${base}/api/v1/links/${encodeURIComponent(id)}/access`, {
    method: "POST",
    headers: { "Content-Type": CONTENT_JSON },
    body: JSON.stringify({ proof: b64.encode(lk.verifier) }),
  }, responseKey);
  const { record: g, rest: payload } = readFrame(new Uint8Array(await resp.arrayBuffer()));
  let dek;
  try {
    dek = await sealkit.unwrapKey(b64.decode(g.wrapped_key), [await sealkit.kek(LINK_KEK_ID, lk.kek)]);
  } catch (e) {
    throw new VaultError("corrupt", `cannot unwrap the link key: ${e.message}`);
  } finally {
    lk.kek.fill(0);
  }
  try {
    const it = g.item;
    const header = b64.decode(it.header);
    if (sealkit.parseHeader(header).length !== header.length) throw new VaultError("corrupt", "bytes after the header");
    const r = await sealkit.open(concat(header, payload), [], { key: dek, associatedData: itemAD(it.id, it.owner, it.version) });
    return { plaintext: r.plaintext, metadata: r.metadata ?? {}, remaining: g.remaining };
  } finally {
    dek.fill(0);
  }
}
