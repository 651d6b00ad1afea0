// vault.test.mjs (node --test, needs `npm ci`): vault.js checks every
// answer against the server's response key, on Go-signed answers from
// testdata/responses.json served by a stand-in fetch: signed answers pass,
// unsigned, altered or foreign ones are VaultError "unverified_response".
// Run from examples/webclient: node --test vault.test.mjs

import { test } from "node:test";
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";

import * as vault from "./vault.js";

const fixtures = JSON.parse(await readFile(new URL("./testdata/responses.json", import.meta.url), "utf8"));
const byName = new Map(fixtures.cases.map((c) => [c.name, c]));
const hexBytes = (s) => Uint8Array.from(s.match(/../g), (x) => parseInt(x, 16));
const base = "https://vault.example";

// serve makes fetch answer each URL with a fixture's response, edited.
function serve(routes) {
  globalThis.fetch = async (url) => {
    const r = routes[url];
    if (!r) throw new Error(`unexpected fetch of ${url}`);
    return new Response(r.body, { status: r.status, headers: r.headers });
  };
}
const answer = (name, edit = (r) => r) => {
  const c = byName.get(name);
  assert.ok(c, `fixture ${name}`);
  return edit({ status: c.response.status, headers: c.response.headers, body: c.response.body });
};
const unsigned = (r) => ({ ...r, headers: r.headers.filter(([n]) => n !== "Signature" && n !== "Signature-Input") });

// The fixtures were signed at their "now": the page's clock says so too.
Date.now = () => byName.get("vault link").now * 1000;

async function refusal(p) {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof vault.VaultError, `${e}`);
    return e;
  }
  assert.fail("accepted");
}

test("fetchServerKey takes the key its own signed answer carries", async () => {
  serve({ [`${base}/api/v1/server-key`]: answer("vault server key") });
  const k = await vault.fetchServerKey(base);
  assert.equal(k.keyId, fixtures.server_key_id);
  assert.deepEqual(k.raw, hexBytes(fixtures.server_key));
});

test("fetchServerKey refuses an unsigned or altered key answer", async () => {
  const stranger = answer("vault stranger's server key");
  for (const [what, r] of [
    ["unsigned", answer("vault server key", unsigned)],
    ["another key in the body", answer("vault server key", (r) => ({ ...r, body: stranger.body }))],
    ["another key's headers", answer("vault server key", (r) => ({ ...r, headers: stranger.headers }))],
  ]) {
    serve({ [`${base}/api/v1/server-key`]: r });
    const e = await refusal(vault.fetchServerKey(base));
    assert.equal(e.code, "unverified_response", what);
  }
});

test("a pinned key that does not match its key ID is refused", async () => {
  const e = await refusal(vault.importServerKey(hexBytes(fixtures.server_key), "not-the-thumbprint"));
  assert.equal(e.code, "unverified_response");
});

test("openLink reads a signed answer and refuses unsigned, altered and foreign ones", async () => {
  const responseKey = await vault.importServerKey(hexBytes(fixtures.server_key), fixtures.server_key_id);
  const link = `${base}/api/v1/links/L1`;
  // The signed answer is read: its 1 iteration is then below the floor.
  serve({ [link]: answer("vault link") });
  assert.equal((await refusal(vault.openLink(base, "L1", "secret", { responseKey }))).code, "invalid");
  // A signed error answer gives its code.
  serve({ [`${base}/api/v1/links/L2`]: answer("vault link not found") });
  const nf = await refusal(vault.openLink(base, "L2", "secret", { responseKey }));
  assert.deepEqual([nf.code, nf.status], ["not_found", 404]);
  for (const [what, r] of [
    ["unsigned", answer("vault link", unsigned)],
    ["altered body", answer("vault link", (r) => ({ ...r, body: r.body.replace('"iterations":1', '"iterations":9') }))],
    ["altered status", answer("vault link not found", (r) => ({ ...r, status: 200 }))],
    ["an unsigned refusal", { status: 429, headers: [["Content-Type", "application/json"]], body: '{"error":"rate_limited"}' }],
    ["an answer to another link", answer("vault link not found", (r) => ({ ...r, status: 404 }))],
    ["signed by another key", answer("vault stranger's server key")],
  ]) {
    serve({ [link]: r });
    const e = await refusal(vault.openLink(base, "L1", "secret", { responseKey }));
    assert.equal(e.code, "unverified_response", `${what}: ${e.message}`);
    assert.equal(e.status, r.status, what);
  }
});
