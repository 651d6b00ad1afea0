#!/usr/bin/env node
// check-vectors.mjs checks sealkit's golden vectors with the WebCrypto
// implementation in sealkit.js (and keystore.js, identity.js,
// storageauth.js where those packages have vector files), and with
// --emit DIR writes freshly sealed envelopes and records plus a manifest
// for the Go tests (interop_test.go) to open.
//
// With --open DIR it opens what another implementation sealed there,
// described by DIR/manifest.json in the layout --emit writes.
//
// With --vectors-of PKG=FILE (keystore, identity or storageauth) it checks
// FILE instead of PKG/testdata/vectors.json: point it at a tampered copy to
// see a check fail.
//
// Usage: node check-vectors.mjs [--vectors FILE | --no-vectors] [--vectors-of PKG=FILE]... [--emit DIR] [--open DIR]
// Exit status: 0 if every vector that ran matched, 1 on any mismatch.

import { readFile, mkdir, writeFile, access } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";

import * as sk from "./sealkit.js";
import { checkOptionalVectorFiles } from "./others.mjs";

const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.resolve(here, "..", "..");

export const hex = {
  decode: (s) => {
    if (s.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(s)) throw new Error("bad hex");
    const b = new Uint8Array(s.length / 2);
    for (let i = 0; i < b.length; i++) b[i] = parseInt(s.slice(2 * i, 2 * i + 2), 16);
    return b;
  },
  encode: (b) => Array.from(b, (x) => x.toString(16).padStart(2, "0")).join(""),
};

function parseArgs(argv) {
  const args = { emit: null, open: null, vectors: path.join(repo, "envelope", "testdata", "vectors.json"), others: new Map() };
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === "--emit" && i + 1 < argv.length) args.emit = argv[++i];
    else if (argv[i] === "--open" && i + 1 < argv.length) args.open = argv[++i];
    else if (argv[i] === "--vectors" && i + 1 < argv.length) args.vectors = argv[++i];
    else if (argv[i] === "--no-vectors") args.vectors = null;
    else if (argv[i] === "--vectors-of" && i + 1 < argv.length && /^(keystore|identity|storageauth)=./.test(argv[i + 1])) {
      const [pkg, ...file] = argv[++i].split("=");
      args.others.set(pkg, path.resolve(file.join("=")));
    } else throw new Error(`unknown argument ${argv[i]}; usage: node check-vectors.mjs [--vectors FILE | --no-vectors] [--vectors-of PKG=FILE]... [--emit DIR] [--open DIR]`);
  }
  return args;
}

// Tally counts vectors and remembers every mismatch.
export class Tally {
  constructor() {
    this.passed = 0;
    this.failed = 0;
    this.skipped = 0;
    this.reasons = new Map();
  }
  pass() {
    this.passed++;
  }
  fail(name, why) {
    this.failed++;
    console.log(`FAIL ${name}: ${why}`);
  }
  skip(name, reason) {
    this.skipped++;
    this.reasons.set(reason, (this.reasons.get(reason) ?? 0) + 1);
  }
}

// identityFor builds the identity for a vector key, or a detached key option.
async function identityFor(keys, name) {
  const k = keys[name];
  if (!k) throw new Error(`vector names unknown key ${name}`);
  switch (k.type) {
    case "rsa":
      return { ids: [await sk.rsaIdentity(hex.decode(k.private))] };
    case "x25519":
      return { ids: [await sk.x25519Identity(hex.decode(k.private))] };
    case "mlkem768x25519":
      return { ids: [await sk.hybridIdentity(hex.decode(k.private))] };
    case "kek":
      return { ids: [await sk.kek(k.id, hex.decode(k.private))] };
    case "aes-gcm-aead":
      return { ids: [sk.aeadKey(k.id, await sk.aesGcmAead(hex.decode(k.private)))] };
    case "passphrase-pbkdf2":
    case "passphrase-argon2id":
      return { ids: [sk.passphraseIdentity(k.passphrase)] };
    case "file-key":
      return { ids: [], key: hex.decode(k.private) };
    default:
      throw new Error(`unknown key type ${k.type}`);
  }
}

// checkKeys checks that each key's public half matches its private half.
async function checkKeys(keys, tally) {
  for (const [name, k] of Object.entries(keys)) {
    if (!k.public) continue;
    const { ids } = await identityFor(keys, name);
    const got = hex.encode(ids[0].publicKey);
    if (got === k.public) tally.pass();
    else tally.fail(`key ${name}`, "public key derived from the private key differs");
  }
}

function outcome(err) {
  if (err === null) return "ok";
  if (err instanceof sk.SealkitError) return err.code;
  return `unexpected error: ${err.message}`;
}

function sameJSON(a, b) {
  return JSON.stringify(sortKeys(a)) === JSON.stringify(sortKeys(b));
}

function sortKeys(v) {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (v && typeof v === "object") return Object.fromEntries(Object.keys(v).sort().map((k) => [k, sortKeys(v[k])]));
  return v;
}

// goView is metadata as the Go generator writes it into the vectors: Go
// omits empty strings, a zero size, a time at the zero instant
// (0001-01-01T00:00:00Z, at any offset) and an empty extra; and the vector
// file's numbers are doubles once JSON.parse has read them.
function goView(m) {
  if (m == null) return null;
  const out = {};
  for (const [k, v] of Object.entries(m)) {
    if (v === "" || v === 0 || v === 0n) continue;
    if ((k === "created" || k === "modified") && isZeroInstant(v)) continue;
    if (k === "extra" && Object.keys(v).length === 0) continue;
    out[k] = typeof v === "bigint" ? Number(v) : v;
  }
  return out;
}

// isZeroInstant reports whether a canonical RFC 3339 string names Go's zero
// time, 0001-01-01T00:00:00Z.
function isZeroInstant(t) {
  const m = /^([0-9]{4})-([0-9]{2})-([0-9]{2})T([0-9]{2}):([0-9]{2}):([0-9]{2})(\.[0-9]+)?(?:Z|([+-])([0-9]{2}):([0-9]{2}))$/.exec(t);
  if (!m || m[7]) return false;
  const [y, mo, d, h, mi, s] = m.slice(1, 7).map(Number);
  const off = m[8] ? (m[8] === "-" ? -1 : 1) * (Number(m[9]) * 3600 + Number(m[10]) * 60) : 0;
  // Days from 0001-01-01 in the proleptic Gregorian calendar.
  const yy = mo <= 2 ? y - 1 : y;
  const days = 365 * yy + Math.floor(yy / 4) - Math.floor(yy / 100) + Math.floor(yy / 400) + Math.floor((153 * ((mo + 9) % 12) + 2) / 5) + d - 307;
  return days * 86400 + h * 3600 + mi * 60 + s - off === 0;
}

async function checkEnvelopes(file, tally) {
  for (const v of file.envelopes) {
    const { ids, key } = await identityFor(file.keys, v.identity);
    const env = hex.decode(v.envelope);
    const ad = hex.decode(v.associated_data);
    let res = null;
    let err = null;
    try {
      res = await sk.open(env, ids, { key, associatedData: ad });
    } catch (e) {
      err = e;
    }
    const got = outcome(err);
    if (got !== v.expect) {
      tally.fail(`envelope ${v.name}`, `got ${got}${err ? ` (${err.message})` : ""}, want ${v.expect}`);
      continue;
    }
    if (v.expect === "ok") {
      if (hex.encode(res.plaintext) !== (v.plaintext ?? "")) {
        tally.fail(`envelope ${v.name}`, "plaintext differs");
        continue;
      }
      if (!sameJSON(goView(res.metadata), v.metadata ?? null)) {
        tally.fail(`envelope ${v.name}`, `metadata ${JSON.stringify(res.metadata)} differs`);
        continue;
      }
      if (res.header.suite !== v.suite) {
        tally.fail(`envelope ${v.name}`, `suite ${res.header.suite}, want ${v.suite}`);
        continue;
      }
      // The streaming opener must agree with the one-shot one.
      const s = await openByStream(env, ids, key, ad, 7);
      if (hex.encode(s) !== (v.plaintext ?? "")) {
        tally.fail(`envelope ${v.name}`, "streaming plaintext differs");
        continue;
      }
    }
    tally.pass();
  }
}

// checkDefaultSegmentSize checks that seal writes SPEC.md §4's default
// segment size, 65,536 bytes, when told none.
async function checkDefaultSegmentSize(tally) {
  const env = await sk.seal(new Uint8Array(1), [], { key: sk.generateFileKey() });
  const seg = new DataView(env.buffer, env.byteOffset + 6, 4).getUint32(0);
  if (seg === 65536 && sk.DEFAULT_SEGMENT_SIZE === 65536) tally.pass();
  else tally.fail("default segment size", `seal wrote ${seg}, DEFAULT_SEGMENT_SIZE is ${sk.DEFAULT_SEGMENT_SIZE}`);
}

// checkMetadataSealing checks that seal refuses metadata a reader would
// refuse (SPEC.md §2), which checking the known members alone lets
// through, and seals the largest block a reader accepts.
async function checkMetadataSealing(tally) {
  const key = sk.generateFileKey();
  // 12-byte nonce + JSON + 16-byte tag = 65,536 bytes exactly.
  const largest = { name: "x".repeat(65536 - 28 - '{"name":""}'.length) };
  try {
    const env = await sk.seal(new Uint8Array(1), [], { key, metadata: largest });
    const { metadata } = await sk.open(env, [], { key });
    if (metadata.name === largest.name) tally.pass();
    else tally.fail("metadata sealing: largest block", "name differs");
  } catch (e) {
    tally.fail("metadata sealing: largest block", e.message);
  }
  for (const [what, metadata] of [
    ["unknown member with a lone surrogate", { note: "\ud800" }],
    ["unknown member nested 33 levels", { note: JSON.parse("[".repeat(32) + "]".repeat(32)) }],
    ["unknown member that does not serialise", { note: 1n }],
    ["block one byte over the limit", { name: largest.name + "x" }],
  ]) {
    try {
      await sk.seal(new Uint8Array(1), [], { key, metadata });
      tally.fail(`metadata sealing: ${what}`, "sealed, want refusal");
    } catch (e) {
      if (e.code === "invalid") tally.pass();
      else tally.fail(`metadata sealing: ${what}`, e.message);
    }
  }
}

// openByStream opens env with openStream, fed in chunks of chunk bytes.
async function openByStream(env, ids, key, ad, chunk) {
  const src = new ReadableStream({
    start(c) {
      for (let i = 0; i < env.length; i += chunk) c.enqueue(env.slice(i, i + chunk));
      c.close();
    },
  });
  const { plaintext } = await sk.openStream(src, ids, { key, associatedData: ad });
  const parts = [];
  for await (const p of plaintext) parts.push(...p);
  return new Uint8Array(parts);
}

async function checkWrappedKeys(file, tally) {
  for (const v of file.wrapped_keys) {
    const { ids } = await identityFor(file.keys, v.identity);
    let fk = null;
    let err = null;
    try {
      fk = await sk.unwrapKey(hex.decode(v.record), ids);
    } catch (e) {
      err = e;
    }
    const got = outcome(err);
    if (got !== v.expect) {
      tally.fail(`wrapped key ${v.name}`, `got ${got}${err ? ` (${err.message})` : ""}, want ${v.expect}`);
    } else if (v.expect === "ok" && hex.encode(fk) !== v.file_key) {
      tally.fail(`wrapped key ${v.name}`, "file key differs");
    } else {
      tally.pass();
    }
  }
}

// streamNegatives checks that the streaming opener also refuses every
// negative payload vector with an error, never a clean end.
async function checkStreamNegatives(file, tally) {
  for (const v of file.envelopes) {
    if (v.expect !== "corrupt") continue;
    const { ids, key } = await identityFor(file.keys, v.identity);
    try {
      await openByStream(hex.decode(v.envelope), ids, key, hex.decode(v.associated_data), 13);
      tally.fail(`stream ${v.name}`, "opened, want an error");
    } catch (e) {
      if (outcome(e) === "corrupt") tally.pass();
      else tally.fail(`stream ${v.name}`, `got ${outcome(e)}, want corrupt`);
    }
  }
}

// checkMutations flips every bit position's byte of the kek vectors and cuts
// them at every length: each result must be refused with a SealkitError
// (never another exception, never a plaintext).
async function checkMutations(file, tally) {
  const cases = [
    ...file.envelopes.filter((v) => v.name.startsWith("kek-suite")).map((v) => ({ kind: "envelope", v, bytes: hex.decode(v.envelope) })),
    ...file.wrapped_keys.filter((v) => v.name === "kek").map((v) => ({ kind: "record", v, bytes: hex.decode(v.record) })),
  ];
  let n = 0;
  for (const c of cases) {
    const { ids } = await identityFor(file.keys, c.v.identity);
    const ad = c.v.associated_data ? hex.decode(c.v.associated_data) : null;
    const variants = [];
    for (let i = 0; i < c.bytes.length; i++) {
      const b = c.bytes.slice();
      b[i] ^= 0x01 << (i % 8);
      variants.push([`flip ${i}`, b]);
    }
    for (let i = 0; i < c.bytes.length; i++) variants.push([`cut ${i}`, c.bytes.slice(0, i)]);
    for (const [what, b] of variants) {
      n++;
      try {
        if (c.kind === "envelope") await sk.open(b, ids, { associatedData: ad });
        else await sk.unwrapKey(b, ids);
        tally.fail(`mutation ${c.v.name} ${what}`, "accepted");
        return;
      } catch (e) {
        if (!(e instanceof sk.SealkitError) || e.code === "invalid") {
          tally.fail(`mutation ${c.v.name} ${what}`, `threw ${e.name}: ${e.message}`);
          return;
        }
      }
    }
  }
  tally.pass();
  console.log(`mutations: ${n} flipped or cut envelopes and records, all refused with a SealkitError`);
}

// emit seals fresh envelopes and records with fresh keys into dir and
// writes dir/manifest.json describing how to open each.
async function emit(dir, tally) {
  await mkdir(dir, { recursive: true });
  const pt = (n) => Uint8Array.from({ length: n }, (_, i) => (i * 7 + 3) & 0xff);
  const ad = new TextEncoder().encode("object:7|owner:webclient");
  const meta = { name: "from-js.txt", type: "text/plain", size: 300, created: "2026-01-02T03:04:05Z", extra: { by: "sealkit.js" } };

  const x = await sk.generateX25519();
  const rsa = await sk.generateRSA(2048);
  const hy = await sk.generateHybrid();
  const kekRaw = crypto.getRandomValues(new Uint8Array(32));
  const aeadRaw = crypto.getRandomValues(new Uint8Array(32));
  const pass = "correct horse battery staple (js)";
  const keys = {
    x25519: { type: "x25519", private: hex.encode(x.privateKey), public: hex.encode(x.publicKey) },
    rsa: { type: "rsa", private: hex.encode(rsa.privateKey), public: hex.encode(rsa.publicKey) },
    mlkem768x25519: { type: "mlkem768x25519", private: hex.encode(hy.privateKey), public: hex.encode(hy.publicKey) },
    kek: { type: "kek", id: "js-kek", private: hex.encode(kekRaw) },
    aead: { type: "aes-gcm-aead", id: "js/kms/key-1", private: hex.encode(aeadRaw) },
    pbkdf2: { type: "passphrase-pbkdf2", passphrase: pass },
    argon2id: { type: "passphrase-argon2id", passphrase: pass },
    detached: { type: "file-key", private: hex.encode(sk.generateFileKey()) },
  };
  const rec = {
    x25519: await sk.x25519Recipient(x.publicKey),
    rsa: await sk.rsaRecipient(rsa.publicKey),
    mlkem768x25519: await sk.hybridRecipient(hy.publicKey),
    kek: await sk.kek("js-kek", kekRaw),
    aead: sk.aeadKey("js/kms/key-1", await sk.aesGcmAead(aeadRaw)),
    pbkdf2: sk.pbkdf2Recipient(pass),
    argon2id: sk.argon2idRecipient(pass, { time: 2, memoryKiB: 19456, threads: 1 }),
  };

  const cases = [];
  for (const suite of [sk.SUITE_STREAM, sk.SUITE_RANDOM_NONCE]) {
    for (const name of Object.keys(rec)) {
      cases.push({ name: `${name}-suite${suite}`, identity: name, recipients: [rec[name]], suite, size: 300, meta });
    }
    cases.push({ name: `detached-suite${suite}`, identity: "detached", recipients: [], key: "detached", suite, size: 300, meta });
  }
  for (const n of [0, 1, 63, 64, 65, 128, 129, 1000]) {
    cases.push({ name: `kek-${n}-bytes`, identity: "kek", recipients: [rec.kek], suite: sk.SUITE_STREAM, size: n });
    cases.push({ name: `kek-${n}-bytes-suite2`, identity: "kek", recipients: [rec.kek], suite: sk.SUITE_RANDOM_NONCE, size: n });
  }
  // Several recipients: each identity opens the same envelope.
  for (const id of ["x25519", "rsa", "kek", "aead"]) {
    cases.push({ name: `multi-classical-as-${id}`, identity: id, recipients: [rec.x25519, rec.rsa, rec.kek, rec.aead], suite: 1, size: 200, shared: "multi-classical" });
  }
  for (const id of ["mlkem768x25519", "kek"]) {
    cases.push({ name: `multi-pq-as-${id}`, identity: id, recipients: [rec.mlkem768x25519, rec.kek], suite: 2, size: 200, shared: "multi-pq" });
  }

  const manifest = { comment: "envelopes sealed by sealkit.js; see interop_test.go", keys, envelopes: [], wrapped_keys: [] };
  const shared = new Map();
  for (const c of cases) {
    const plaintext = pt(c.size);
    let env = c.shared && shared.get(c.shared);
    if (!env) {
      env = await sk.seal(plaintext, c.recipients, {
        associatedData: ad,
        metadata: c.meta,
        segmentSize: 64,
        suite: c.suite,
        key: c.key ? hex.decode(keys[c.key].private) : undefined,
      });
      if (c.shared) shared.set(c.shared, env);
    }
    const file = `${c.name}.skev`;
    await writeFile(path.join(dir, file), env);
    manifest.envelopes.push({
      name: c.name,
      identity: c.identity,
      file,
      associated_data: hex.encode(ad),
      plaintext: hex.encode(plaintext),
      metadata: c.meta ?? null,
      suite: c.suite,
    });
    // Check our own output round-trips before handing it on.
    try {
      const { ids, key } = await identityFor(keys, c.identity);
      const r = await sk.open(env, ids, { key, associatedData: ad });
      if (hex.encode(r.plaintext) === hex.encode(plaintext)) tally.pass();
      else tally.fail(`emit ${c.name}`, "round trip differs");
    } catch (e) {
      tally.fail(`emit ${c.name}`, `round trip: ${e.message}`);
    }
  }

  // Streaming sealer output, opened by the Go one-shot opener.
  {
    const plaintext = pt(1000);
    const src = new ReadableStream({
      start(ctl) {
        for (let i = 0; i < plaintext.length; i += 100) ctl.enqueue(plaintext.slice(i, i + 100));
        ctl.close();
      },
    });
    const out = await sk.sealStream(src, [rec.x25519], { associatedData: ad, segmentSize: 64, metadata: meta });
    const parts = [];
    for await (const p of out) parts.push(...p);
    const file = "x25519-streamed.skev";
    await writeFile(path.join(dir, file), new Uint8Array(parts));
    manifest.envelopes.push({ name: "x25519-streamed", identity: "x25519", file, associated_data: hex.encode(ad), plaintext: hex.encode(plaintext), metadata: meta, suite: 1 });
    tally.pass();
  }

  const fileKey = hex.decode(keys.detached.private);
  for (const name of Object.keys(rec)) {
    const record = await sk.wrapKey(fileKey, [rec[name]]);
    const file = `${name}.skwk`;
    await writeFile(path.join(dir, file), record);
    manifest.wrapped_keys.push({ name, identity: name, file, file_key: keys.detached.private });
    const { ids } = await identityFor(keys, name);
    const got = await sk.unwrapKey(record, ids);
    if (hex.encode(got) === keys.detached.private) tally.pass();
    else tally.fail(`emit record ${name}`, "round trip differs");
  }

  // The mixing rule must refuse what SPEC.md §7 forbids.
  for (const [what, rs] of [
    ["passphrase beside a key", [rec.pbkdf2, rec.kek]],
    ["post-quantum beside classical", [rec.mlkem768x25519, rec.x25519]],
  ]) {
    try {
      await sk.seal(pt(1), rs, {});
      tally.fail(`mixing rule: ${what}`, "sealed, want refusal");
    } catch (e) {
      if (e.code === "mixed_recipients") tally.pass();
      else tally.fail(`mixing rule: ${what}`, e.message);
    }
  }

  await writeFile(path.join(dir, "manifest.json"), JSON.stringify(manifest, null, 2) + "\n");
  console.log(`emitted ${manifest.envelopes.length} envelopes and ${manifest.wrapped_keys.length} wrapped-key records into ${dir}`);
}

// openManifest opens every envelope and record that dir/manifest.json lists.
async function openManifest(dir, tally) {
  const m = JSON.parse(await readFile(path.join(dir, "manifest.json"), "utf8"));
  await checkKeys(m.keys, tally);
  for (const e of m.envelopes) {
    try {
      const { ids, key } = await identityFor(m.keys, e.identity);
      const env = new Uint8Array(await readFile(path.join(dir, e.file)));
      const ad = hex.decode(e.associated_data);
      const r = await sk.open(env, ids, { key, associatedData: ad });
      if (hex.encode(r.plaintext) !== e.plaintext) tally.fail(`open ${e.name}`, "plaintext differs");
      else if (!sameJSON(goView(r.metadata), e.metadata ?? null)) tally.fail(`open ${e.name}`, `metadata ${JSON.stringify(r.metadata)} differs`);
      else if (r.header.suite !== e.suite) tally.fail(`open ${e.name}`, `suite ${r.header.suite}, want ${e.suite}`);
      else if (hex.encode(await openByStream(env, ids, key, ad, 1000)) !== e.plaintext) tally.fail(`open ${e.name}`, "streaming plaintext differs");
      else tally.pass();
    } catch (err) {
      tally.fail(`open ${e.name}`, err.message);
    }
  }
  for (const w of m.wrapped_keys ?? []) {
    try {
      const { ids } = await identityFor(m.keys, w.identity);
      const fk = await sk.unwrapKey(new Uint8Array(await readFile(path.join(dir, w.file))), ids);
      if (hex.encode(fk) === w.file_key) tally.pass();
      else tally.fail(`unwrap ${w.name}`, "file key differs");
    } catch (err) {
      tally.fail(`unwrap ${w.name}`, err.message);
    }
  }
  console.log(`opened ${m.envelopes.length} envelopes and ${(m.wrapped_keys ?? []).length} wrapped-key records from ${dir}`);
}

async function exists(p) {
  try {
    await access(p);
    return true;
  } catch {
    return false;
  }
}

async function main() {
  const args = parseArgs(process.argv.slice(2));
  const tally = new Tally();
  if (args.vectors) {
    const file = JSON.parse(await readFile(args.vectors, "utf8"));
    await checkKeys(file.keys, tally);
    await checkEnvelopes(file, tally);
    await checkWrappedKeys(file, tally);
    await checkStreamNegatives(file, tally);
    await checkMutations(file, tally);
    await checkDefaultSegmentSize(tally);
    await checkMetadataSealing(tally);
    console.log(`envelope vectors: ${file.envelopes.length} envelopes, ${file.wrapped_keys.length} wrapped keys`);
    await checkOptionalVectorFiles(repo, tally, exists, args.others);
  }
  if (args.emit) await emit(path.resolve(args.emit), tally);
  if (args.open) await openManifest(path.resolve(args.open), tally);
  for (const [reason, n] of tally.reasons) console.log(`skipped ${n}: ${reason}`);
  console.log(`js: ${tally.passed} passed, ${tally.failed} failed, ${tally.skipped} skipped`);
  process.exitCode = tally.failed === 0 ? 0 : 1;
}

await main();
