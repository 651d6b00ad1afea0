// Checks testdata/vectors.json with WebCrypto (crypto.subtle) only, as a
// browser client would: HKDF derivations, PKCS#8 import and public keys for
// Ed25519 and P-256, store-message signatures, AES-GCM decryption and
// retrieve proofs. secp256k1 is not in WebCrypto: only its HKDF parts are
// checked here. Run: node storageauth/testdata/webcrypto-check.mjs
// (in a browser, call check(await (await fetch("vectors.json")).json())).
const subtle = globalThis.crypto.subtle;
const enc = new TextEncoder();
const hex = (b) => Array.from(new Uint8Array(b), (x) => x.toString(16).padStart(2, "0")).join("");
const unhex = (s) => new Uint8Array(s.match(/../g)?.map((h) => parseInt(h, 16)) ?? []);
const b64u = (b) => btoa(String.fromCharCode(...new Uint8Array(b))).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
const unb64u = (s) => Uint8Array.from(atob(s.replace(/-/g, "+").replace(/_/g, "/")), (c) => c.charCodeAt(0));
const cat = (...xs) => { const o = new Uint8Array(xs.reduce((n, x) => n + x.length, 0)); let i = 0; for (const x of xs) { o.set(x, i); i += x.length; } return o; };
const u16 = (n) => new Uint8Array([n >> 8, n & 255]);
const u64 = (n) => { const b = new Uint8Array(8); new DataView(b.buffer).setBigUint64(0, BigInt(n)); return b; };
const SALT = enc.encode("sealkit/storageauth/v1");
const P256_N = 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n;
const SECP_N = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;

async function hkdf(ikm, info, len) {
  const k = await subtle.importKey("raw", ikm, "HKDF", false, ["deriveBits"]);
  return new Uint8Array(await subtle.deriveBits({ name: "HKDF", hash: "SHA-256", salt: SALT, info }, k, 8 * len));
}
const bound = (ctx, id) => cat(enc.encode(ctx), new Uint8Array([0]), u16(enc.encode(id).length), enc.encode(id));
async function storeMsg(id, version, ct) {
  return cat(bound("sealkit/storageauth/v1/store", id), u64(version), new Uint8Array(await subtle.digest("SHA-256", ct)));
}
const keyringAD = (id, version) => cat(bound("sealkit/storageauth/v1/keyring", id), u64(version));
const retrieveMsg = (id, ts) => cat(bound("sealkit/storageauth/v1/retrieve", id), u64(ts));
const big = (b) => BigInt("0x" + (hex(b) || "0"));

async function verifyKey(scheme, pubHex) {
  const pub = unhex(pubHex);
  if (scheme === "ed25519") return subtle.importKey("raw", pub, { name: "Ed25519" }, false, ["verify"]);
  return subtle.importKey("raw", pub, { name: "ECDSA", namedCurve: "P-256" }, false, ["verify"]);
}
async function verifySig(scheme, key, msg, sig) {
  if (sig.length !== 64) return false;
  if (scheme === "ed25519") return subtle.verify({ name: "Ed25519" }, key, sig, msg);
  return subtle.verify({ name: "ECDSA", hash: "SHA-256" }, key, sig, msg);
}

export async function check(f) {
  let n = 0;
  const fail = (name, what) => { throw new Error(`${name}: ${what}`); };
  const deriv = Object.fromEntries(f.derivation.map((v) => [v.name, v]));
  for (const v of f.derivation) {
    const input = unhex(v.input);
    let ikm;
    if (v.source === "raw") ikm = input;
    else if (v.source === "seed") ikm = await hkdf(input, enc.encode("raw seed"), 32);
    else if (v.source === "prf") ikm = await hkdf(input, enc.encode("webauthn prf"), 32);
    else if (v.source === "wallet") {
      let s = big(input.slice(32, 64));
      if (s > SECP_N / 2n) s = SECP_N - s;
      ikm = await hkdf(cat(input.slice(0, 32), unhex(s.toString(16).padStart(64, "0"))), enc.encode("eip-191 wallet signature"), 32);
    }
    if (hex(ikm) !== v.ikm) fail(v.name, "ikm");
    const info = unhex(v.info);
    const kek = await hkdf(ikm, cat(enc.encode("key encryption key"), new Uint8Array([0]), info), 32);
    if (hex(kek) !== v.kek) fail(v.name, "kek");
    const okm = await hkdf(ikm, cat(enc.encode("storage authorisation secret key"), new Uint8Array([0]), enc.encode(v.scheme), new Uint8Array([0]), info), v.scheme === "ed25519" ? 32 : 128);
    if (hex(okm) !== v.signing_okm) fail(v.name, "signing_okm");
    let sk = okm;
    if (v.scheme !== "ed25519") {
      const n = v.scheme === "p256" ? P256_N : SECP_N;
      sk = null;
      for (let i = 0; i < 4 && !sk; i++) { const c = okm.slice(32 * i, 32 * i + 32); const x = big(c); if (x >= 1n && x < n) sk = c; }
    }
    if (hex(sk) !== v.signing_key) fail(v.name, "signing_key");
    if (!v.id.startsWith(v.scheme + ":") || v.id.slice(v.scheme.length + 1) !== b64u(unhex(v.public_key))) fail(v.name, "id");
    if (v.scheme !== "secp256k1") {
      // Import the PKCS#8 key, check it holds sk, sign, and verify with the raw public key.
      const alg = v.scheme === "ed25519" ? { name: "Ed25519" } : { name: "ECDSA", namedCurve: "P-256" };
      const priv = await subtle.importKey("pkcs8", unhex(v.pkcs8), alg, true, ["sign"]);
      const jwk = await subtle.exportKey("jwk", priv);
      if (hex(unb64u(jwk.d)) !== v.signing_key) fail(v.name, "pkcs8 d");
      const pubFromJwk = v.scheme === "ed25519" ? unb64u(jwk.x) : cat(new Uint8Array([4]), unb64u(jwk.x), unb64u(jwk.y));
      if (hex(pubFromJwk) !== v.public_key) fail(v.name, "public key");
      const msg = enc.encode("probe");
      const sigAlg = v.scheme === "ed25519" ? { name: "Ed25519" } : { name: "ECDSA", hash: "SHA-256" };
      const sig = new Uint8Array(await subtle.sign(sigAlg, priv, msg));
      if (!(await verifySig(v.scheme, await verifyKey(v.scheme, v.public_key), msg, sig))) fail(v.name, "sign/verify");
    }
    n++;
  }
  // Store requests: a WebCrypto server's outcome, for the cases it can decide
  // statelessly, and the key owner's decryption of every accepted body.
  let stores = 0;
  for (const v of f.store_requests) {
    const scheme = v.path_id.split(":")[0];
    if (scheme === "secp256k1") continue;
    let rec;
    try { rec = JSON.parse(v.body); } catch { if (v.expect !== "malformed") fail(v.name, "unparsable body"); stores++; continue; }
    if (v.expect === "ok") {
      const d = deriv[v.key];
      const ct = unb64u(rec.ciphertext), sig = unb64u(rec.signature);
      const msg = await storeMsg(rec.id, rec.version, ct);
      if (hex(msg) !== v.message) fail(v.name, "store message");
      if (!(await verifySig(d.scheme, await verifyKey(d.scheme, d.public_key), msg, sig))) fail(v.name, "signature");
      const k = await subtle.importKey("raw", unhex(d.kek), "AES-GCM", false, ["decrypt"]);
      const ad = keyringAD(rec.id, rec.version);
      if (hex(ad) !== v.associated_data) fail(v.name, "associated data");
      const pt = await subtle.decrypt({ name: "AES-GCM", iv: ct.slice(0, 12), additionalData: ad }, k, ct.slice(12));
      if (hex(pt) !== (v.keyring ?? "")) fail(v.name, "keyring");
    } else if (v.expect === "invalid_signature") {
      const pubB64 = rec.id.slice(rec.id.indexOf(":") + 1);
      const key = await verifyKey(scheme, hex(unb64u(pubB64)));
      const ct = unb64u(rec.ciphertext);
      if (await verifySig(scheme, key, await storeMsg(rec.id, rec.version, ct), unb64u(rec.signature))) fail(v.name, "forged signature verifies");
    }
    stores++;
  }
  let proofs = 0;
  for (const v of f.retrieve_proofs) {
    const scheme = v.id.split(":")[0];
    if (scheme === "secp256k1") continue;
    if (hex(retrieveMsg(v.id, v.timestamp)) !== v.message) fail(v.name, "retrieve message");
    const key = await verifyKey(scheme, hex(unb64u(v.id.slice(scheme.length + 1))));
    const ok = Math.abs(v.timestamp - v.now) <= 300 && (await verifySig(scheme, key, retrieveMsg(v.id, v.timestamp), unb64u(v.signature)));
    if (ok !== (v.expect === "ok")) fail(v.name, "retrieve outcome");
    proofs++;
  }
  return { derivations: n, stores, proofs };
}

if (typeof process !== "undefined" && process.argv[1]?.endsWith("webcrypto-check.mjs")) {
  const { readFile } = await import("node:fs/promises");
  const f = JSON.parse(await readFile(new URL("./vectors.json", import.meta.url), "utf8"));
  console.log("webcrypto check passed:", JSON.stringify(await check(f)));
}
