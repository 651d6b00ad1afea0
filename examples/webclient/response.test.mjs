// response.test.mjs (node --test): httpsig.js verifyResponse reaches
// identity.VerifyResponse's outcome on every signed answer of
// testdata/responses.json (written by identity's TestResponseFixtures), and
// refuses every tampered copy of an accepted one. Run from
// examples/webclient: node --test response.test.mjs

import { test } from "node:test";
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";

import { importPublicKey, IdentityError } from "./identity.js";
import { verifyResponse } from "./httpsig.js";

const utf8 = new TextEncoder();
const fixtures = JSON.parse(await readFile(new URL("./testdata/responses.json", import.meta.url), "utf8"));
const hexBytes = (s) => Uint8Array.from(s.match(/../g), (x) => parseInt(x, 16));
const serverKey = await importPublicKey("ed25519", hexBytes(fixtures.server_key));

const asResponse = (c) => ({ status: c.response.status, headers: c.response.headers, body: utf8.encode(c.response.body) });

// outcome is "ok" or the IdentityError code; any other error fails.
async function outcome(resp, request, now, payload = false) {
  try {
    await verifyResponse(resp, request, serverKey, now, { payload });
    return "ok";
  } catch (e) {
    if (!(e instanceof IdentityError)) throw e;
    return e.code;
  }
}

test("the fixture key is the one its ID names", () => {
  assert.equal(serverKey.keyId, fixtures.server_key_id);
});

test("fixtures hold refusals as well as answers", () => {
  const ok = fixtures.cases.filter((c) => c.expect === "ok").length;
  assert.ok(ok >= 3 && fixtures.cases.length - ok >= 10, `${ok} accepted of ${fixtures.cases.length}`);
});

for (const c of fixtures.cases) {
  test(`fixture ${c.name}: ${c.expect}`, async () => {
    assert.equal(await outcome(asResponse(c), c.request, c.now, c.streamed), c.expect);
  });
}

// Every edit of an accepted answer an intermediary could make is refused
// (but a streamed answer's body, which its signature does not cover).
for (const c of fixtures.cases.filter((c) => c.expect === "ok")) {
  test(`tampered copies of ${c.name} are refused`, async () => {
    const base = asResponse(c);
    const edits = [
      ["status + 1", { ...base, status: base.status + 1 }],
      ["status 200", base.status === 200 ? null : { ...base, status: 200 }],
      ["body with a byte added", c.streamed ? null : { ...base, body: new Uint8Array([...base.body, 0x20]) }],
      ["body cut by a byte", base.body.length && !c.streamed ? { ...base, body: base.body.subarray(1) } : null],
      ["another request", { ...base, other: true }],
      ["replayed later", { ...base, later: true }],
      ["another path", { ...base, url: c.request.url.replace(/(\/[^/?]*)(\?|$)/, "$1x$2") }],
      ["another query", { ...base, url: c.request.url.includes("?") ? c.request.url.replace(/\?.*/, "?page=9") : `${c.request.url}?page=9` }],
      ["another method", { ...base, method: "POST" }],
    ];
    for (let i = 0; i < (c.streamed ? 0 : base.body.length); i++) {
      const b = base.body.slice();
      b[i] ^= 0x01;
      edits.push([`body byte ${i} flipped`, { ...base, body: b }]);
    }
    for (let i = 0; i < base.headers.length; i++) {
      const [name, value] = base.headers[i];
      edits.push([`without ${name}`, { ...base, headers: base.headers.filter((_, j) => j !== i) }]);
      const changed = value.slice(0, -2) + (value.at(-2) === "A" ? "B" : "A") + value.at(-1);
      edits.push([`${name} changed`, { ...base, headers: base.headers.map((hv, j) => (j === i ? [name, changed] : hv)) }]);
    }
    edits.push(["a Content-Type added", base.headers.some(([n]) => n === "Content-Type") ? null : { ...base, headers: [...base.headers, ["Content-Type", "text/html"]] }]);
    for (const [what, resp] of edits) {
      if (!resp) continue;
      let request = c.request;
      let now = c.now;
      if (resp.other) {
        // The same answer presented for a request with another signature,
        // or for a signed request when it answered an unsigned one.
        const sig = request.headers.find(([n]) => n === "Signature");
        const other = sig ? "sig1=:" + "A".repeat(86) + "==:" : "sig1=:" + "B".repeat(86) + "==:";
        request = { ...request, headers: [...request.headers.filter(([n]) => n !== "Signature"), ["Signature", other]] };
      }
      if (resp.later) now += 331;
      if (resp.url) request = { ...request, url: resp.url };
      if (resp.method) request = { ...request, method: resp.method };
      const got = await outcome(resp, request, now, c.streamed);
      assert.notEqual(got, "ok", `${c.name}: ${what} was accepted`);
    }
  });
}

test("an unsigned answer is missing_signature", async () => {
  const c = fixtures.cases.find((c) => c.expect === "ok");
  const headers = c.response.headers.filter(([n]) => n !== "Signature" && n !== "Signature-Input");
  assert.equal(await outcome({ ...asResponse(c), headers }, c.request, c.now), "missing_signature");
});
