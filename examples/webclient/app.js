// app.js: the vault web client's page. It wires index.html's forms to
// vault.js; all cryptography happens in vault.js (WebCrypto + sealkit.js).
// The session (keys, token) lives only in this page's memory: reloading
// logs out.
//
// Every action ends by appending {action, ok, error?, ...} to
// window.vaultApp.results and setting <body data-actions="N">, the
// completion signal the end-to-end test waits for.

import * as vault from "./vault.js";

const base = location.origin;
const $ = (id) => document.getElementById(id);
let session = null;

const results = [];
window.vaultApp = { results, vault, session: () => session };

function setStatus(text, error = false) {
  const s = $("status");
  s.textContent = text;
  if (error) s.dataset.error = "";
  else delete s.dataset.error;
}

function finish(action, outcome) {
  results.push({ action, ...outcome });
  document.body.dataset.actions = String(results.length);
}

// run performs one action with status messages and the completion signal.
async function run(action, busy, fn) {
  setStatus(busy);
  try {
    const out = (await fn()) ?? {};
    finish(action, { ok: true, ...out });
    return out;
  } catch (e) {
    const code = e.code ?? e.name ?? "error";
    setStatus(`${action} failed: ${e.message}`, true);
    finish(action, { ok: false, error: String(code), message: String(e.message) });
    return null;
  }
}

// responseKey is the server's response key, pinned in localStorage on
// first use (API.md, "Getting and pinning the key"): later answers under
// any other key are refused, also a different key from the server-key
// route. Clear the site's storage to accept a new key.
const PIN = `sealkit-response-key ${base}`;
async function responseKey() {
  const pinned = localStorage.getItem(PIN);
  if (pinned) {
    const { key_id, public_key } = JSON.parse(pinned);
    return vault.importServerKey(vault.b64.decode(public_key), key_id);
  }
  const k = await vault.fetchServerKey(base);
  localStorage.setItem(PIN, JSON.stringify({ key_id: k.keyId, public_key: vault.b64.encode(k.raw) }));
  return k;
}

function requireSession() {
  if (!session) throw new vault.VaultError("unauthenticated", "log in first");
  return session;
}

function showResult(el, pairs) {
  el.replaceChildren();
  for (const [k, v] of pairs) {
    const dt = document.createElement("dt");
    dt.textContent = k;
    const dd = document.createElement("dd");
    if (v instanceof Node) dd.append(v);
    else dd.textContent = String(v);
    el.append(dt, dd);
  }
}

// fileOutput shows a decrypted file: name, size, SHA-256, a save link, and
// the text if it is short text.
async function fileOutput(el, plaintext, metadata, extra = []) {
  const sha256 = await vault.sha256hex(plaintext);
  const name = metadata.name || "download";
  const a = document.createElement("a");
  a.href = URL.createObjectURL(new Blob([plaintext], { type: "application/octet-stream" }));
  a.download = name;
  a.textContent = `Save ${name}`;
  const pairs = [["Name", name], ["Size", `${plaintext.length} bytes`], ["SHA-256", sha256], ...extra, ["File", a]];
  if (plaintext.length <= 4096 && (metadata.type ?? "").startsWith("text/")) {
    pairs.push(["Text", new TextDecoder().decode(plaintext)]);
  }
  showResult(el, pairs);
  return { name, size: plaintext.length, sha256 };
}

function fillTable(tbody, rows, cols) {
  tbody.replaceChildren();
  for (const r of rows) {
    const tr = document.createElement("tr");
    for (const c of cols) {
      const td = document.createElement("td");
      if (c === "id") {
        const code = document.createElement("code");
        code.textContent = r.id;
        td.append(code);
      } else td.textContent = String(r[c] ?? "");
      tr.append(td);
    }
    tbody.append(tr);
  }
}

async function refresh() {
  const s = requireSession();
  const files = await s.list();
  const received = await s.received();
  fillTable($("files").tBodies[0], files, ["name", "size", "id"]);
  fillTable($("received").tBodies[0], received, ["name", "sharedBy", "size", "id"]);
  return { files, received };
}

function loggedIn(s) {
  session = s;
  $("whoami").textContent = `Logged in as ${s.user}.`;
}

function onSubmit(id, handler) {
  $(id).addEventListener("submit", (ev) => {
    ev.preventDefault();
    handler(new FormData(ev.target));
  });
}

onSubmit("register-form", (f) =>
  run("register", "Registering: making keys and stretching the passphrase…", async () => {
    const s = await vault.register(base, f.get("user"), f.get("passphrase"), { responseKey: await responseKey() });
    loggedIn(s);
    setStatus(`Registered ${s.user}.`);
    return { user: s.user };
  }),
);

onSubmit("login-form", (f) =>
  run("login", "Logging in…", async () => {
    const s = await vault.login(base, f.get("user"), f.get("passphrase"), { responseKey: await responseKey() });
    loggedIn(s);
    await refresh();
    setStatus(`Logged in as ${s.user}.`);
    return { user: s.user };
  }),
);

onSubmit("upload-form", (f) =>
  run("upload", "Encrypting and uploading…", async () => {
    const s = requireSession();
    const file = f.get("file");
    const bytes = new Uint8Array(await file.arrayBuffer());
    const item = await s.upload(file.name, file.type, bytes);
    await refresh();
    setStatus(`Uploaded ${file.name}.`);
    return { id: item.id, name: file.name, size: bytes.length };
  }),
);

onSubmit("refresh-form", () =>
  run("refresh", "Listing…", async () => {
    const out = await refresh();
    setStatus("Lists refreshed.");
    return out;
  }),
);

onSubmit("download-form", (f) =>
  run("download", "Downloading and decrypting…", async () => {
    const s = requireSession();
    const id = f.get("id").trim();
    const { plaintext, metadata } = await s.download(id);
    const out = await fileOutput($("result"), plaintext, metadata);
    setStatus(`Decrypted ${out.name}.`);
    return { id, ...out };
  }),
);

onSubmit("share-form", (f) =>
  run("share", "Sharing…", async () => {
    const s = requireSession();
    const id = f.get("id").trim();
    const recipient = f.get("recipient").trim();
    await s.share(id, recipient);
    setStatus(`Shared with ${recipient}.`);
    return { id, recipient };
  }),
);

onSubmit("link-form", (f) =>
  run("link", "Creating the link…", async () => {
    const s = requireSession();
    const id = f.get("id").trim();
    const url = await s.createLink(id, { maxDownloads: Number(f.get("max")) || 5 });
    const a = document.createElement("a");
    a.href = url;
    a.textContent = url;
    showResult($("result"), [["Link", a]]);
    setStatus("Link created: anyone with it can download the file.");
    return { id, url };
  }),
);

// A link page (/l/{id}#{secret}) opens the file at once.
const link = vault.parseLinkURL(location.href);
if (link) {
  $("link-view").hidden = false;
  run("open-link", "Opening the link: stretching its secret…", async () => {
    const { plaintext, metadata, remaining } = await vault.openLink(base, link.id, link.secret, { responseKey: await responseKey() });
    const out = await fileOutput($("link-result"), plaintext, metadata, [["Downloads left", remaining]]);
    setStatus(`Decrypted ${out.name}.`);
    return { ...out, remaining };
  });
} else {
  setStatus("Ready. Register or log in.");
}
document.body.dataset.ready = "true";
