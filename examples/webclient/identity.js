// identity.js: the WebCrypto side of sealkit's identity formats
// (identity/SPEC.md): key IDs (RFC 7638 thumbprints), signed messages and
// EdDSA session tokens. No Node-only API.

const subtle = globalThis.crypto.subtle;
const utf8 = new TextEncoder();

const MESSAGE_CONTEXT = "sealkit identity signed-message v1";
const ALG_ED25519 = "ed25519";
const ALG_P256 = "ecdsa-p256-sha256";
const MESSAGE_MEMBERS = ["alg", "created", "nonce", "payload", "public_key_id", "purpose", "signature"];
const MAX_PAYLOAD = 1 << 20;
const MAX_MESSAGE_JSON = Math.floor(((1 << 20) * 4) / 3) + 4096;
const MAX_TOKEN = 4096;
/** Freshness defaults: MaxAge, MaxSkew / token leeway, in seconds. */
export const MAX_AGE = 300;
export const MAX_SKEW = 30;

/** IdentityError.code is the vectors' reason, e.g. "bad_signature", "stale". */
export class IdentityError extends Error {
  constructor(code, message) {
    super(`identity: ${message}`);
    this.name = "IdentityError";
    this.code = code;
  }
}

export const b64u = {
  encode: (b) => btoa(String.fromCharCode(...b)).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, ""),
  decode: (s) => {
    if (typeof s !== "string" || !/^[A-Za-z0-9_-]*$/.test(s) || s.length % 4 === 1) throw new Error("not base64url");
    return Uint8Array.from(atob(s.replace(/-/g, "+").replace(/_/g, "/")), (c) => c.charCodeAt(0));
  },
};

/** concat joins byte arrays (bundle.js uses it too). */
export function concat(...parts) {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}

const be = (n, size) => {
  const b = new Uint8Array(size);
  const v = new DataView(b.buffer);
  if (size === 2) v.setUint16(0, n);
  else if (size === 4) v.setUint32(0, n);
  else v.setBigUint64(0, BigInt(n));
  return b;
};

// Ed25519 public key checks (identity/SPEC.md, "Keys and key IDs"): what
// libsodium refuses to verify with, and Go's identity package refuses too.
const ED_P = (1n << 255n) - 19n;
const ED_D = (((-121665n * modPow(121666n, ED_P - 2n, ED_P)) % ED_P) + ED_P) % ED_P;
// y of the small-order points: the identity, (0, -1), the two of order 4
// (y = 0) and the four of order 8 (two y values, both x signs).
const ED_SMALL_ORDER_Y = new Set([1n, ED_P - 1n, 0n,
  0x05fc536d880238b13933c6d305acdfd5f098eff289f4c345b027b2c28f95e826n,
  0x7a03ac9277fdc74ec6cc392cfa53202a0f67100d760b3cba4fd84d3d706a17c7n]);

function modPow(b, e, m) {
  let r = 1n;
  b %= m;
  for (; e > 0n; e >>= 1n, b = (b * b) % m) if (e & 1n) r = (r * b) % m;
  return r;
}

// checkEd25519PublicKey throws unless raw is the canonical encoding of a
// curve point that is not of small order.
function checkEd25519PublicKey(raw) {
  if (!(raw instanceof Uint8Array) || raw.length !== 32) throw new IdentityError("invalid_key", "Ed25519 public key must be 32 bytes");
  let y = 0n;
  for (let i = 31; i >= 0; i--) y = (y << 8n) | BigInt(i === 31 ? raw[i] & 0x7f : raw[i]);
  const sign = raw[31] >> 7;
  if (y >= ED_P) throw new IdentityError("invalid_key", "Ed25519 public key is not canonically encoded");
  // x² = (y² - 1) / (d·y² + 1); a point iff that is a square mod p.
  const u = (y * y - 1n + ED_P) % ED_P;
  const v = (ED_D * y * y + 1n) % ED_P;
  const x2 = (u * modPow(v, ED_P - 2n, ED_P)) % ED_P;
  if (x2 !== 0n && modPow(x2, (ED_P - 1n) / 2n, ED_P) !== 1n) throw new IdentityError("invalid_key", "Ed25519 public key is not a curve point");
  if (x2 === 0n && sign) throw new IdentityError("invalid_key", "Ed25519 public key is not canonically encoded");
  if (ED_SMALL_ORDER_Y.has(y)) throw new IdentityError("invalid_key", "Ed25519 public key has small order");
}

const AT_REST_LABEL = "sealkit identity at-rest key v1";
const X25519_PKCS8_PREFIX = Uint8Array.from([0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x6e, 0x04, 0x22, 0x04, 0x20]);

/**
 * deriveClientKey is Go's identity.DeriveClientKey (SPEC.md, "Ed25519 →
 * X25519 and identity-derived keys"): the client's Ed25519 seed as an X25519
 * key (clamp(SHA-512(seed)[0:32])), ECDH with the server's 32-byte X25519
 * public key, then HKDF-SHA256(salt, info = label || 0x00 || clientX ||
 * serverX || namespace), 32 bytes. Returns {clientX, key}. A low-order
 * server key (all-zero ECDH result) throws.
 */
export async function deriveClientKey(seed, serverX, salt, namespace) {
  const h = new Uint8Array(await subtle.digest("SHA-512", seed));
  const scalar = h.slice(0, 32);
  h.fill(0);
  scalar[0] &= 248;
  scalar[31] &= 127;
  scalar[31] |= 64;
  const priv = await subtle.importKey("pkcs8", concat(X25519_PKCS8_PREFIX, scalar), { name: "X25519" }, true, ["deriveBits"]);
  scalar.fill(0);
  const clientX = b64u.decode((await subtle.exportKey("jwk", priv)).x);
  const peer = await subtle.importKey("raw", serverX, { name: "X25519" }, false, []);
  const shared = new Uint8Array(await subtle.deriveBits({ name: "X25519", public: peer }, priv, 256));
  if (shared.every((x) => x === 0)) throw new IdentityError("invalid_key", "low-order X25519 public key");
  const ikm = await subtle.importKey("raw", shared, "HKDF", false, ["deriveBits"]);
  shared.fill(0);
  const info = concat(utf8.encode(AT_REST_LABEL), new Uint8Array([0]), clientX, serverX, utf8.encode(namespace));
  const key = new Uint8Array(await subtle.deriveBits({ name: "HKDF", hash: "SHA-256", salt, info }, ikm, 256));
  return { clientX, key };
}

/**
 * importPublicKey imports a raw public key (Ed25519 32 bytes, P-256 65-byte
 * uncompressed point) and returns {alg, key, keyId}. An Ed25519 key that is
 * not a point, not canonical or of small order is IdentityError("invalid_key").
 */
export async function importPublicKey(alg, raw) {
  let key, jwk;
  if (alg === ALG_ED25519) {
    checkEd25519PublicKey(raw);
    key = await subtle.importKey("raw", raw, { name: "Ed25519" }, true, ["verify"]);
    jwk = `{"crv":"Ed25519","kty":"OKP","x":"${b64u.encode(raw)}"}`;
  } else if (alg === ALG_P256) {
    key = await subtle.importKey("raw", raw, { name: "ECDSA", namedCurve: "P-256" }, true, ["verify"]);
    jwk = `{"crv":"P-256","kty":"EC","x":"${b64u.encode(raw.slice(1, 33))}","y":"${b64u.encode(raw.slice(33, 65))}"}`;
  } else {
    throw new IdentityError("unknown_algorithm", `algorithm ${alg}`);
  }
  const keyId = b64u.encode(new Uint8Array(await subtle.digest("SHA-256", utf8.encode(jwk))));
  return { alg, key, keyId };
}

function verifySig(k, sig, data) {
  if (k.alg === ALG_ED25519) return subtle.verify({ name: "Ed25519" }, k.key, sig, data);
  if (sig.length !== 64) return false;
  return subtle.verify({ name: "ECDSA", hash: "SHA-256" }, k.key, sig, data);
}

/**
 * messageSignedBytes is what a signed message's signature covers; nonce is
 * the base64url string of the message, payload the decoded bytes.
 */
export function messageSignedBytes({ purpose, alg, keyId, created, nonce, payload }) {
  const s = (x) => {
    const b = utf8.encode(x);
    return concat(be(b.length, 2), b);
  };
  // The nonce is signed as its base64url text, the payload as its bytes.
  return concat(utf8.encode(MESSAGE_CONTEXT), new Uint8Array([0]), s(purpose), s(alg), s(keyId), be(created, 8), s(nonce), be(payload.length, 4), payload);
}

/**
 * verifyMessage checks a signed message (JSON text) for purpose at time now
 * (Unix seconds) against keys (a Map from key ID to importPublicKey's
 * result), in SPEC.md's order, and returns {payload, keyId, signedBytes}.
 * The replay store is the server's business and is not modelled here.
 */
export async function verifyMessage(json, purpose, now, keys) {
  const malformed = (why) => new IdentityError("malformed_signature", why);
  if (json.length > MAX_MESSAGE_JSON) throw malformed("message too large");
  let m;
  try {
    m = JSON.parse(json);
  } catch {
    throw malformed("not JSON");
  }
  if (m === null || typeof m !== "object" || Array.isArray(m)) throw malformed("not a JSON object");
  const members = Object.keys(m).sort();
  if (members.join() !== MESSAGE_MEMBERS.join()) throw malformed("missing or unknown members");
  for (const k of ["alg", "nonce", "payload", "public_key_id", "purpose", "signature"]) if (typeof m[k] !== "string") throw malformed(`${k} is not a string`);
  if (!Number.isSafeInteger(m.created)) throw malformed("created is not an integer");
  const nonce = m.nonce;
  let payload, sig;
  try {
    b64u.decode(nonce);
    payload = b64u.decode(m.payload);
    sig = b64u.decode(m.signature);
  } catch {
    throw malformed("bad base64url");
  }
  if (payload.length > MAX_PAYLOAD || nonce.length < 16 || nonce.length > 128) throw malformed("limits");
  for (const k of ["purpose", "alg", "public_key_id"]) if (utf8.encode(m[k]).length > 255) throw malformed(`${k} too long`);
  if (m.purpose !== purpose) throw new IdentityError("insufficient_coverage", "purpose differs");
  if (m.alg !== ALG_ED25519 && m.alg !== ALG_P256) throw new IdentityError("unknown_algorithm", `algorithm ${m.alg}`);
  if (!(m.created <= now + MAX_SKEW && now < m.created + MAX_AGE + MAX_SKEW)) throw new IdentityError("stale", "outside the freshness window");
  const k = keys.get(m.public_key_id);
  if (!k) throw new IdentityError("unknown_key", "key not registered");
  if (k.alg !== m.alg) throw new IdentityError("unknown_algorithm", "algorithm is not the key's");
  const signedBytes = messageSignedBytes({ purpose: m.purpose, alg: m.alg, keyId: m.public_key_id, created: m.created, nonce, payload });
  if (!(await verifySig(k, sig, signedBytes))) throw new IdentityError("bad_signature", "signature does not verify");
  return { payload, keyId: m.public_key_id, signedBytes };
}

/**
 * verifyToken checks an EdDSA session token (JWS compact JWT) signed by the
 * issuer key (importPublicKey's result) and returns its claims.
 */
export async function verifyToken(token, issuerKey, { issuer, audience, now }) {
  const bad = (why) => new IdentityError("invalid_token", why);
  if (typeof token !== "string" || token.length > MAX_TOKEN) throw bad("token too large");
  const parts = token.split(".");
  if (parts.length !== 3) throw bad("not a JWS compact serialisation");
  let header, claims, sig;
  try {
    header = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(b64u.decode(parts[0])));
    claims = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(b64u.decode(parts[1])));
    sig = b64u.decode(parts[2]);
  } catch {
    throw bad("malformed token");
  }
  if (header?.alg !== "EdDSA") throw bad("only EdDSA");
  if (header.kid !== issuerKey.keyId) throw bad("kid is not the issuer key's");
  if (!(await subtle.verify({ name: "Ed25519" }, issuerKey.key, sig, utf8.encode(`${parts[0]}.${parts[1]}`)))) throw bad("signature");
  if (claims.iss !== issuer) throw bad("issuer");
  const aud = Array.isArray(claims.aud) ? claims.aud : [claims.aud];
  if (!aud.includes(audience)) throw bad("audience");
  if (typeof claims.exp !== "number" || now > claims.exp + MAX_SKEW) throw new IdentityError("stale", "expired");
  if (typeof claims.nbf === "number" && now < claims.nbf - MAX_SKEW) throw new IdentityError("stale", "not yet valid");
  if (typeof claims.iat === "number" && now < claims.iat - MAX_SKEW) throw new IdentityError("stale", "issued in the future");
  return claims;
}

// ---------------------------------------------------------------------------
// Signing (the client side): signed messages and RFC 9421 requests.

const b64std = (b) => {
  let s = "";
  for (let i = 0; i < b.length; i += 0x8000) s += String.fromCharCode(...b.subarray(i, i + 0x8000));
  return btoa(s);
};
const nonce128 = () => b64u.encode(globalThis.crypto.getRandomValues(new Uint8Array(16)));

/**
 * signMessage signs payload (bytes) for purpose with an Ed25519 private
 * CryptoKey whose key ID is keyId, and returns the signed message's JSON
 * text (SPEC.md "Signed messages": all seven members, a 22-character nonce).
 */
export async function signMessage(privateKey, keyId, purpose, payload) {
  const created = Math.floor(Date.now() / 1000);
  const nonce = nonce128();
  const signed = messageSignedBytes({ purpose, alg: ALG_ED25519, keyId, created, nonce, payload });
  const sig = new Uint8Array(await subtle.sign({ name: "Ed25519" }, privateKey, signed));
  return JSON.stringify({ payload: b64u.encode(payload), created, nonce, purpose, public_key_id: keyId, alg: ALG_ED25519, signature: b64u.encode(sig) });
}

// Components a request signature covers, as Go's Transport with
// SplitTarget signs them (SPEC.md "HTTP message signatures").
const REQUEST_COMPONENTS = ["@method", "@authority", "@path", "@query", "content-digest"];
const REQUEST_LABEL = "sig1";
const REQUEST_TTL = 60;

/**
 * signRequest returns the headers that sign a request (RFC 9421 with an
 * RFC 9530 Content-Digest) with an Ed25519 private CryptoKey: label sig1,
 * covering @method, @authority, @path, @query, content-digest and
 * content-type (when given), with created, expires (+60 s), a 128-bit
 * nonce, alg and keyid. url is absolute; body is bytes (may be empty).
 */
export async function signRequest({ method, url, body = new Uint8Array(0), contentType = "" }, privateKey, keyId) {
  const u = new URL(url);
  const digest = `sha-256=:${b64std(new Uint8Array(await subtle.digest("SHA-256", body)))}:`;
  const defaultPort = (u.protocol === "https:" && u.port === "443") || (u.protocol === "http:" && u.port === "80");
  const values = {
    "@method": method.toUpperCase(),
    "@authority": (defaultPort ? u.hostname : u.host).toLowerCase(),
    "@path": u.pathname || "/",
    "@query": u.search || "?",
    "content-digest": digest,
  };
  const components = [...REQUEST_COMPONENTS];
  if (contentType) {
    components.push("content-type");
    values["content-type"] = contentType;
  }
  const created = Math.floor(Date.now() / 1000);
  const params =
    `(${components.map((c) => `"${c}"`).join(" ")})` +
    `;created=${created};expires=${created + REQUEST_TTL};nonce="${nonce128()}";alg="${ALG_ED25519}";keyid="${keyId}"`;
  const base = components.map((c) => `"${c}": ${values[c]}`).join("\n") + `\n"@signature-params": ${params}`;
  const sig = new Uint8Array(await subtle.sign({ name: "Ed25519" }, privateKey, utf8.encode(base)));
  const headers = { "Content-Digest": digest, "Signature-Input": `${REQUEST_LABEL}=${params}`, Signature: `${REQUEST_LABEL}=:${b64std(sig)}:` };
  if (contentType) headers["Content-Type"] = contentType;
  return headers;
}
