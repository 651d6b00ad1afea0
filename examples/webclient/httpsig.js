// httpsig.js: RFC 9421 signatures with RFC 9530 Content-Digest as
// identity checks them (identity/SPEC.md "HTTP message signatures"), with
// WebCrypto only. verifyRequest is the server's check of a signed request,
// as identity's Verifier does it, so a browser can check the golden
// vectors; it is not server middleware (no replay store: every vector runs
// against a fresh one). verifyResponse is the client's check of a signed
// answer, as identity.VerifyResponse does it; vault.js runs it on every
// answer of the vault server. No Node-only API.

import { IdentityError, MAX_AGE, MAX_SKEW } from "./identity.js";
import { countMembers, parseDictionary, serializeInnerList, SfvError } from "./sfv.js";

const subtle = globalThis.crypto.subtle;
const utf8 = new TextEncoder();

// Limits and defaults of identity (httpsig.go, policy.go, digest.go).
const MAX_SIGNATURE_HEADER_BYTES = 8 << 10;
const MAX_SIGNATURES = 8;
const MAX_COMPONENTS = 32;
const MIN_NONCE_LENGTH = 16;
const MAX_NONCE_LENGTH = 128;
const MAX_BODY_BYTES = 1 << 20;
const ALG_ED25519 = "ed25519";
const ALG_P256 = "ecdsa-p256-sha256";
const DIGESTS = { "sha-256": "SHA-256", "sha-512": "SHA-512" };

const reject = (code, why) => new IdentityError(code, why);
const malformed = (why) => reject("malformed_signature", why);
const policy = (why) => reject("insufficient_coverage", why);
const byteLength = (s) => utf8.encode(s).length;

// headerKey is how Go's http.Header files a field name: valid token names
// case-insensitively (CanonicalMIMEHeaderKey), anything else as written.
function headerKey(name) {
  return /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/.test(name) ? `v:${name.toLowerCase()}` : `r:${name}`;
}

/** Headers is an ordered multi-map of field lines, read like http.Header. */
class Headers {
  constructor(pairs) {
    this.m = new Map();
    for (const [k, v] of pairs ?? []) {
      const key = headerKey(k);
      if (!this.m.has(key)) this.m.set(key, []);
      this.m.get(key).push(v);
    }
  }
  values(name) {
    return this.m.get(headerKey(name)) ?? [];
  }
  get(name) {
    return this.values(name)[0] ?? "";
  }
}

// splitURL reads an absolute request URL the way Go's httptest.NewRequest
// does for a vector: scheme, host (r.Host), path as written ("/" if
// empty), raw query (null when there is no "?").
function splitURL(url) {
  const m = /^([A-Za-z][A-Za-z0-9+.-]*):\/\/([^/?]*)([^?]*)(?:\?(.*))?$/s.exec(url);
  if (!m) throw new Error(`vector URL ${url} is not absolute`);
  const host = m[2].includes("@") ? m[2].slice(m[2].lastIndexOf("@") + 1) : m[2];
  return { scheme: m[1].toLowerCase(), host, path: m[3] || "/", query: m[4] ?? null };
}

// normalizeAuthority lowercases and drops the scheme's default port
// (RFC 9421 §2.2.3), as identity's normalizeAuthority.
function normalizeAuthority(scheme, a) {
  a = a.toLowerCase();
  const m = /^(?:\[([^\]]*)\]|([^:[\]]*)):([^:]*)$/.exec(a);
  if (m && ((scheme === "https" && m[3] === "443") || (scheme === "http" && m[3] === "80"))) {
    return m[1] !== undefined ? `[${m[1]}]` : m[2];
  }
  return a;
}

// parseDict parses one structured dictionary field with identity's caps.
function parseDict(lines, name) {
  const n = lines.reduce((s, l) => s + byteLength(l) + 2, 0);
  if (n > MAX_SIGNATURE_HEADER_BYTES) throw malformed(`${name} too large`);
  let d;
  try {
    d = parseDictionary(lines);
  } catch (e) {
    if (e instanceof SfvError) throw malformed(`${name} is not a structured dictionary`);
    throw e;
  }
  const members = countMembers(lines.join(","));
  if (members !== d.size) throw malformed(`${name} repeats a label`);
  if (members > MAX_SIGNATURES) throw malformed(`${name} has too many labels`);
  return d;
}

// parseSignature returns the only signature of the request: its covered
// components, parameters and inner list, and the signature bytes.
function parseSignature(h) {
  const inLines = h.values("Signature-Input");
  const sigLines = h.values("Signature");
  if (inLines.length === 0 && sigLines.length === 0) throw reject("missing_signature", "no Signature-Input or Signature");
  if (inLines.length === 0 || sigLines.length === 0) throw malformed("Signature-Input and Signature must both be present");
  const input = parseDict(inLines, "Signature-Input");
  const sigs = parseDict(sigLines, "Signature");
  if (input.size !== 1) throw malformed("want exactly one signature label");
  const [label, il] = [...input][0];
  const sm = sigs.get(label);
  if (!sm) throw malformed("Signature has no value for the label");
  if (il.type !== "innerlist") throw malformed("Signature-Input member is not an inner list");
  if (sm.type === "innerlist") throw malformed("Signature member is not an item");
  if (sm.type !== "bytes") throw malformed("Signature member is not a byte sequence");
  if (il.items.length > MAX_COMPONENTS) throw malformed("too many components");
  const comps = [];
  const seen = new Set();
  for (const it of il.items) {
    if (it.type !== "string" || it.value === "" || it.value.toLowerCase() !== it.value) throw malformed("component identifier is not a lowercase string");
    let req = false;
    for (const [pn, pv] of it.params) {
      if (pn !== "req" || pv.type !== "boolean" || pv.value !== true) throw malformed(`unsupported component parameter ${pn}`);
      req = true;
    }
    const id = `${it.value}${req ? ";req" : ""}`;
    if (seen.has(id)) throw malformed(`duplicate component ${id}`);
    seen.add(id);
    comps.push({ name: it.value, req });
  }
  const p = {};
  for (const [pn, v] of il.params) {
    if (pn === "created" || pn === "expires") {
      if (v.type !== "integer" || v.value < 0) throw malformed(`${pn} is not a non-negative integer`);
      p[pn] = v.value;
    } else if (["nonce", "alg", "keyid", "tag"].includes(pn)) {
      if (v.type !== "string") throw malformed(`${pn} is not a string`);
      if (pn === "nonce" && byteLength(v.value) > MAX_NONCE_LENGTH) throw malformed("nonce too long");
      p[pn] = v.value;
    }
  }
  return { label, comps, params: p, list: il, sig: sm.value };
}

function checkCoverage(h, comps) {
  const has = (name) => comps.some((c) => c.name === name && !c.req);
  const req = comps.find((c) => c.req);
  if (req) throw malformed(`request signature covers ${req.name};req`);
  if (!has("@method")) throw policy("@method not covered");
  if (!has("@target-uri") && !(has("@authority") && has("@path") && has("@query"))) throw policy("@target-uri (or @authority, @path and @query) not covered");
  if (!has("content-digest")) throw policy("content-digest not covered");
  if (h.get("Content-Type") !== "" && !has("content-type")) throw policy("content-type not covered");
}

// checkFreshness is identity's freshness.check with the default MaxAge
// and MaxSkew.
function checkFreshness({ created, expires }, now) {
  if (created === undefined) throw policy("created is required");
  if (created > now + MAX_SKEW) throw reject("stale", "created is in the future");
  let until = created + MAX_AGE + MAX_SKEW;
  if (expires !== undefined) {
    if (expires < created) throw malformed("expires before created");
    until = Math.min(until, expires + MAX_SKEW);
  }
  if (!(now < until)) throw reject("stale", "signature too old or expired");
}

// componentValue is one line's value of the signature base (RFC 9421 §2).
// A response's view has response: true, its status and req: {view, h}, the
// request it answers, for ";req" components.
function componentValue(view, h, c) {
  if (c.req) {
    if (!view.response || !view.req) throw policy(`component ${c.name};req needs the request`);
    return componentValue(view.req.view, view.req.h, { name: c.name, req: false });
  }
  if (c.name.startsWith("@") && view.response) {
    if (c.name !== "@status") throw malformed(`request component ${c.name} in a response signature`);
    return String(view.status);
  }
  if (c.name.startsWith("@")) {
    switch (c.name) {
      case "@method":
        return view.method;
      case "@target-uri":
        return `${view.scheme}://${view.authority}${view.path}${view.query !== null ? `?${view.query}` : ""}`;
      case "@authority":
        return view.authority;
      case "@scheme":
        return view.scheme;
      case "@path":
        return view.path;
      case "@query":
        return `?${view.query ?? ""}`;
    }
    throw malformed(`unsupported derived component ${c.name} in a request`);
  }
  const vals = h.values(c.name);
  if (vals.length === 0) throw policy(`covered header ${c.name} is missing`);
  return vals.map((v) => v.replace(/^[ \t]+|[ \t]+$/g, "")).join(", ");
}

/** signatureBase is the RFC 9421 §2.5 signature base, as text. */
function signatureBase(view, h, sig) {
  let params;
  try {
    params = serializeInnerList(sig.list);
  } catch (e) {
    if (e instanceof SfvError) throw malformed("signature parameters do not serialize");
    throw e;
  }
  let base = "";
  for (const c of sig.comps) {
    const v = componentValue(view, h, c);
    if (/[\r\n]/.test(v)) throw malformed("component value holds a line break");
    base += `"${c.name.replace(/["\\]/g, (x) => `\\${x}`)}"${c.req ? ";req" : ""}: ${v}\n`;
  }
  return `${base}"@signature-params": ${params}`;
}

// checkAlg is identity's check of the alg parameter against the key
// (RFC 9421 §3.3.7).
function checkAlg(alg, key) {
  if (alg === undefined || alg === key.alg) return;
  if (alg !== ALG_ED25519 && alg !== ALG_P256) throw reject("unknown_algorithm", `alg ${alg}`);
  throw reject("bad_signature", "alg does not match the key");
}

async function verifySignature(key, sig, data) {
  if (key.alg === ALG_ED25519) return sig.length === 64 && subtle.verify({ name: "Ed25519" }, key.key, sig, data);
  if (key.alg === ALG_P256) return sig.length === 64 && subtle.verify({ name: "ECDSA", hash: "SHA-256" }, key.key, sig, data);
  return false;
}

// checkContentDigest is identity.VerifyContentDigest: every sha-256 and
// sha-512 member must match the body, at least one must be present.
async function checkContentDigest(lines, body) {
  if (lines.length === 0) throw policy("no Content-Digest");
  if (lines.reduce((s, l) => s + byteLength(l), 0) > MAX_SIGNATURE_HEADER_BYTES) throw malformed("Content-Digest too large");
  let d;
  try {
    d = parseDictionary(lines);
  } catch (e) {
    if (e instanceof SfvError) throw malformed("Content-Digest is not a structured dictionary");
    throw e;
  }
  let known = 0;
  for (const [name, m] of d) {
    if (!DIGESTS[name]) continue;
    if (m.type === "innerlist") throw malformed("Content-Digest member is not an item");
    if (m.type !== "bytes") throw malformed("Content-Digest member is not a byte sequence");
    const got = new Uint8Array(await subtle.digest(DIGESTS[name], body));
    if (got.length !== m.value.length || got.some((x, i) => x !== m.value[i])) throw reject("digest_mismatch", `Content-Digest ${name} does not match the body`);
    known++;
  }
  if (known === 0) throw reject("unknown_algorithm", "Content-Digest has no sha-256 or sha-512 member");
}

/**
 * verifyRequest checks a signed request {method, url, headers: [[name,
 * value]], body: Uint8Array} at time now (Unix seconds) against keys (a
 * Map from key ID to importPublicKey's result), in the order of identity's
 * Verifier with its defaults, and returns {keyId, signatureBase}. Refusals
 * are IdentityError with the Verifier's reason as code.
 */
export async function verifyRequest({ method, url, headers, body }, keys, now) {
  const u = splitURL(url);
  // The vectors' requests arrive over TLS exactly when their URL is https;
  // there is no trusted proxy.
  if (u.scheme !== "https") throw reject("insecure_transport", "request did not arrive over TLS");
  const h = new Headers(headers);
  const sig = parseSignature(h);
  checkCoverage(h, sig.comps);
  const nonceLength = byteLength(sig.params.nonce ?? "");
  if (nonceLength < MIN_NONCE_LENGTH || nonceLength > MAX_NONCE_LENGTH) throw policy("nonce missing or of bad length");
  const alg = sig.params.alg || undefined; // "" counts as absent, as in Go
  const knownAlg = alg === ALG_ED25519 || alg === ALG_P256;
  if (alg !== undefined && !knownAlg) throw reject("unknown_algorithm", `alg ${alg}`);
  checkFreshness(sig.params, now);
  const keyId = sig.params.keyid ?? "";
  if (keyId === "") throw policy("keyid is required");
  const key = keys.get(keyId);
  if (!key) throw reject("unknown_key", "key is not registered");
  checkAlg(alg, key);
  const view = { method, scheme: "https", authority: normalizeAuthority("https", u.host), path: u.path, query: u.query };
  const base = signatureBase(view, h, sig);
  if (!(await verifySignature(key, sig.sig, utf8.encode(base)))) throw reject("bad_signature", "signature does not verify");
  if (body.length > MAX_BODY_BYTES) throw reject("body_too_large", "body exceeds the cap");
  await checkContentDigest(h.values("Content-Digest"), body);
  return { keyId, signatureBase: base };
}

// MAX_RESPONSE_BODY_BYTES caps a digested answer: what identity's
// ResponseSigner buffers at most.
const MAX_RESPONSE_BODY_BYTES = 16 << 20;

// The request components every signed response covers (identity's
// requestBinding).
const REQUEST_BINDING = ["@method;req", "@path;req", "@query;req"];

/**
 * verifyResponse checks an answer {status, headers: [[name, value]], body:
 * Uint8Array} to the request {method, url, headers: [[name, value]]} that
 * was sent, at time now (Unix seconds), against key (importPublicKey's
 * result for the server's response key), as identity.VerifyResponse does:
 * exactly one signature, covering @status, content-digest, content-type
 * and content-range when the answer has them, the request's @method, @path and @query (so the
 * answer is to this target) and, when the request carried a Signature,
 * "signature";req (so the answer is to this request); by key (a keyid
 * other than key's is unknown_key); at most MAX_AGE old, MAX_SKEW ahead;
 * and a body that matches its Content-Digest. Refusals are IdentityError
 * with identity's reason as code ("missing_signature" for an unsigned
 * answer). It returns the signature base.
 *
 * With payload true it checks a streamed payload answer as the vault
 * server signs one (identity.VerifyStreamedResponse;
 * examples/vaultserver/API.md, "Signed responses"): the same coverage
 * without content-digest, so the body is not checked here (the envelope
 * authenticates it).
 */
export async function verifyResponse({ status, headers, body }, request, key, now, { payload = false } = {}) {
  const h = new Headers(headers);
  const rh = new Headers(request.headers);
  const sig = parseSignature(h);
  const has = (id) => sig.comps.some((c) => (c.req ? `${c.name};req` : c.name) === id);
  if (!has("@status")) throw policy("response signature must cover @status");
  if (!payload && !has("content-digest")) throw policy("response signature must cover content-digest");
  if (h.get("Content-Type") !== "" && !has("content-type")) throw policy("content-type not covered");
  if (h.get("Content-Range") !== "" && !has("content-range")) throw policy("content-range not covered");
  for (const c of REQUEST_BINDING) if (!has(c)) throw policy(`response is not bound to the request's ${c.slice(0, -4)}`);
  if (rh.get("Signature") !== "" && !has("signature;req")) throw policy("response is not bound to the request signature");
  const keyId = sig.params.keyid ?? "";
  if (keyId !== "" && keyId !== key.keyId) throw reject("unknown_key", "response signed by another key");
  checkFreshness(sig.params, now);
  checkAlg(sig.params.alg || undefined, key);
  const u = splitURL(request.url);
  const reqView = { method: request.method, scheme: u.scheme, authority: normalizeAuthority(u.scheme, u.host), path: u.path, query: u.query };
  const base = signatureBase({ response: true, status, req: { view: reqView, h: rh } }, h, sig);
  if (!(await verifySignature(key, sig.sig, utf8.encode(base)))) throw reject("bad_signature", "signature does not verify");
  if (payload) return { signatureBase: base };
  if (body.length > MAX_RESPONSE_BODY_BYTES) throw reject("body_too_large", "body exceeds the cap");
  await checkContentDigest(h.values("Content-Digest"), body);
  return { signatureBase: base };
}
