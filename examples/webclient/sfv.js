// sfv.js: the part of RFC 8941 / RFC 9651 structured fields that RFC 9421
// Signature-Input and Signature and RFC 9530 Content-Digest need: parsing
// dictionaries (members are items or inner lists, with parameters) and
// serializing an inner list again for "@signature-params". It follows the
// Go parser identity uses (github.com/dunglas/httpsfv v1.1.2) where that
// parser is stricter or looser than the RFC text, so both sides refuse the
// same fields. No Node-only API.

/** SfvError is any parse or serialization failure. */
export class SfvError extends Error {
  constructor(message) {
    super(`structured field: ${message}`);
    this.name = "SfvError";
  }
}

// Bare items are {type, value}: "integer" and "date" (Number), "decimal"
// (its normalized text), "string", "token", "displaystring" (strings),
// "bytes" (Uint8Array), "boolean".
const isDigit = (c) => c >= "0" && c <= "9";
const isLcAlpha = (c) => c >= "a" && c <= "z";
const isAlpha = (c) => isLcAlpha(c) || (c >= "A" && c <= "Z");
const isKeyChar = (c) => isLcAlpha(c) || isDigit(c) || "_-.*".includes(c);
const isTchar = (c) => isAlpha(c) || isDigit(c) || "!#$%&'*+-.^_`|~:/".includes(c);
const MAX_INTEGER = 999999999999999;

class Scanner {
  constructor(s) {
    this.s = s;
    this.i = 0;
  }
  eof() {
    return this.i >= this.s.length;
  }
  peek() {
    return this.s[this.i];
  }
  sp() {
    while (!this.eof() && this.peek() === " ") this.i++;
  }
  ows() {
    while (!this.eof() && (this.peek() === " " || this.peek() === "\t")) this.i++;
  }
}

function parseKey(sc) {
  if (sc.eof() || !(isLcAlpha(sc.peek()) || sc.peek() === "*")) throw new SfvError("bad key");
  const start = sc.i++;
  while (!sc.eof() && isKeyChar(sc.peek())) sc.i++;
  return sc.s.slice(start, sc.i);
}

function parseNumber(sc) {
  const neg = sc.peek() === "-";
  if (neg) sc.i++;
  if (sc.eof() || !isDigit(sc.peek())) throw new SfvError("not a digit");
  const start = sc.i++;
  let dot = -1;
  while (!sc.eof()) {
    const c = sc.peek();
    if (isDigit(c)) {
      sc.i++;
      const size = sc.i - start;
      if ((dot < 0 && size > 15) || size > 16) throw new SfvError("number out of range");
      continue;
    }
    if (dot < 0 && c === ".") {
      if (sc.i - start > 12) throw new SfvError("number out of range");
      dot = sc.i++;
      continue;
    }
    break;
  }
  const str = sc.s.slice(start, sc.i);
  if (dot < 0) {
    const n = Number(str);
    return { type: "integer", value: neg ? -n : n };
  }
  const frac = sc.s.slice(dot + 1, sc.i);
  if (frac.length === 0 || frac.length > 3) throw new SfvError("bad decimal");
  return { type: "decimal", value: normalizeDecimal((neg ? "-" : "") + str) };
}

// normalizeDecimal writes a parsed decimal as httpsfv serializes it: no
// trailing zeros in the fraction, at least one fractional digit.
function normalizeDecimal(s) {
  let [ip, fp] = s.split(".");
  ip = ip.replace(/^(-?)0+(?=\d)/, "$1");
  fp = fp.replace(/0+$/, "") || "0";
  if (/^-0+$/.test(ip) && fp === "0") ip = "0";
  return `${ip}.${fp}`;
}

function parseString(sc) {
  sc.i++; // '"'
  let out = "";
  while (!sc.eof()) {
    const c = sc.s[sc.i++];
    if (c === "\\") {
      if (sc.eof()) break;
      const n = sc.s[sc.i++];
      if (n !== '"' && n !== "\\") throw new SfvError("bad escape");
      out += n;
    } else if (c === '"') {
      return { type: "string", value: out };
    } else {
      const code = c.charCodeAt(0);
      if (code <= 0x1f || code >= 0x7f) throw new SfvError("bad string character");
      out += c;
    }
  }
  throw new SfvError("unterminated string");
}

function parseToken(sc) {
  const start = sc.i++;
  while (!sc.eof() && isTchar(sc.peek())) sc.i++;
  return { type: "token", value: sc.s.slice(start, sc.i) };
}

const B64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

function parseBytes(sc) {
  sc.i++; // ':'
  const start = sc.i;
  while (!sc.eof()) {
    const c = sc.peek();
    if (c === ":") {
      const text = sc.s.slice(start, sc.i);
      sc.i++;
      // Go's base64.StdEncoding: padding required, non-zero trailing bits
      // tolerated (atob tolerates them too).
      if (!B64.test(text)) throw new SfvError("bad base64");
      return { type: "bytes", value: Uint8Array.from(atob(text), (x) => x.charCodeAt(0)) };
    }
    if (!(isAlpha(c) || isDigit(c) || c === "+" || c === "/" || c === "=")) throw new SfvError("bad byte sequence character");
    sc.i++;
  }
  throw new SfvError("unterminated byte sequence");
}

function parseBoolean(sc) {
  sc.i++; // '?'
  const c = sc.s[sc.i++];
  if (c === "0") return { type: "boolean", value: false };
  if (c === "1") return { type: "boolean", value: true };
  throw new SfvError("bad boolean");
}

function parseDisplayString(sc) {
  if (sc.s.slice(sc.i, sc.i + 2) !== '%"') throw new SfvError("bad display string");
  sc.i += 2;
  const bytes = [];
  const hex = (c) => "0123456789abcdef".indexOf(c);
  while (!sc.eof()) {
    const c = sc.s[sc.i++];
    if (c === "%") {
      const hi = hex(sc.s[sc.i] ?? "");
      const lo = hex(sc.s[sc.i + 1] ?? "");
      if (hi < 0 || lo < 0) throw new SfvError("bad display string escape");
      bytes.push((hi << 4) | lo);
      sc.i += 2;
    } else if (c === '"') {
      try {
        return { type: "displaystring", value: new TextDecoder("utf-8", { fatal: true }).decode(new Uint8Array(bytes)) };
      } catch {
        throw new SfvError("display string is not UTF-8");
      }
    } else {
      const code = c.charCodeAt(0);
      if (code <= 0x1f || code >= 0x7f) throw new SfvError("bad display string character");
      bytes.push(code);
    }
  }
  throw new SfvError("unterminated display string");
}

function parseBareItem(sc) {
  if (sc.eof()) throw new SfvError("unexpected end");
  const c = sc.peek();
  if (c === '"') return parseString(sc);
  if (c === "?") return parseBoolean(sc);
  if (c === "*" || isAlpha(c)) return parseToken(sc);
  if (c === ":") return parseBytes(sc);
  if (c === "-" || isDigit(c)) return parseNumber(sc);
  if (c === "@") {
    sc.i++;
    const n = parseNumber(sc);
    if (n.type !== "integer") throw new SfvError("bad date");
    return { type: "date", value: n.value };
  }
  if (c === "%") return parseDisplayString(sc);
  throw new SfvError("unrecognized character");
}

// Params is an ordered map: a repeated key keeps its first position and
// takes the last value (RFC 8941 §4.2.3.2).
function parseParams(sc) {
  const params = new Map();
  while (!sc.eof() && sc.peek() === ";") {
    sc.i++;
    sc.sp();
    const k = parseKey(sc);
    let v = { type: "boolean", value: true };
    if (!sc.eof() && sc.peek() === "=") {
      sc.i++;
      v = parseBareItem(sc);
    }
    params.set(k, v);
  }
  return params;
}

function parseItem(sc) {
  const bare = parseBareItem(sc);
  return { ...bare, params: parseParams(sc) };
}

function parseInnerList(sc) {
  sc.i++; // '('
  const items = [];
  while (!sc.eof()) {
    sc.sp();
    if (sc.eof()) break;
    if (sc.peek() === ")") {
      sc.i++;
      return { type: "innerlist", items, params: parseParams(sc) };
    }
    items.push(parseItem(sc));
    if (sc.eof() || (sc.peek() !== ")" && sc.peek() !== " ")) throw new SfvError("bad inner list");
  }
  throw new SfvError("unterminated inner list");
}

/**
 * parseDictionary parses the field lines of a dictionary field (joined as
 * one value) into a Map from key to member: an item {type, value, params}
 * or {type: "innerlist", items, params}. A repeated key keeps its first
 * position and takes the last value.
 */
export function parseDictionary(lines) {
  const sc = new Scanner(lines.join(", "));
  sc.sp();
  const dict = new Map();
  while (!sc.eof()) {
    const k = parseKey(sc);
    let m;
    if (!sc.eof() && sc.peek() === "=") {
      sc.i++;
      if (sc.eof()) throw new SfvError("missing member value");
      m = sc.peek() === "(" ? parseInnerList(sc) : parseItem(sc);
    } else {
      m = { type: "boolean", value: true, params: parseParams(sc) };
    }
    dict.set(k, m);
    sc.ows();
    if (sc.eof()) return dict;
    if (sc.peek() !== ",") throw new SfvError("bad dictionary");
    sc.i++;
    sc.ows();
    if (sc.eof()) throw new SfvError("trailing comma");
  }
  return dict;
}

/**
 * countMembers counts the top-level members of a dictionary text that
 * parsed, so that a repeated label (which parsing collapses) can be
 * refused: identity/httpsig.go's countMembers, over the lines joined by ",".
 */
export function countMembers(s) {
  let n = 1;
  let depth = 0;
  let inStr = false;
  let esc = false;
  for (const c of s) {
    if (inStr && esc) esc = false;
    else if (inStr && c === "\\") esc = true;
    else if (inStr && c === '"') inStr = false;
    else if (inStr) continue;
    else if (c === '"') inStr = true;
    else if (c === "(") depth++;
    else if (c === ")") depth--;
    else if (c === "," && depth === 0) n++;
  }
  return n;
}

const b64std = (b) => {
  let s = "";
  for (let i = 0; i < b.length; i += 0x8000) s += String.fromCharCode(...b.subarray(i, i + 0x8000));
  return btoa(s);
};

function serializeBare(v) {
  switch (v.type) {
    case "integer":
      if (Math.abs(v.value) > MAX_INTEGER) throw new SfvError("integer out of range");
      return String(v.value);
    case "date":
      return `@${v.value}`;
    case "decimal":
      return v.value;
    case "string":
      return `"${v.value.replace(/["\\]/g, (c) => `\\${c}`)}"`;
    case "token":
      return v.value;
    case "bytes":
      return `:${b64std(v.value)}:`;
    case "boolean":
      return v.value ? "?1" : "?0";
    case "displaystring": {
      let out = '%"';
      for (const b of new TextEncoder().encode(v.value)) {
        if (b === 0x25 || b === 0x22 || b <= 0x1f || b >= 0x7f) out += `%${b.toString(16).padStart(2, "0")}`;
        else out += String.fromCharCode(b);
      }
      return `${out}"`;
    }
  }
  throw new SfvError(`cannot serialize ${v.type}`);
}

function serializeParams(params) {
  let out = "";
  for (const [k, v] of params) out += v.type === "boolean" && v.value === true ? `;${k}` : `;${k}=${serializeBare(v)}`;
  return out;
}

/** serializeInnerList writes an inner list as RFC 8941 §4.1.1.1 does. */
export function serializeInnerList(il) {
  return `(${il.items.map((it) => serializeBare(it) + serializeParams(it.params)).join(" ")})${serializeParams(il.params)}`;
}
