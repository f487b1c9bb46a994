/**
 * A fast reader for the plain YAML that pipeline files are written in: block mappings and
 * sequences, one-line flow collections, plain and quoted scalars, comments.
 *
 * Why it exists: the full parser (`yaml`) builds a concrete syntax tree with a source range on
 * every node, which costs about 4 ms per pipeline file here, the largest single cost of a
 * many-pipeline build. Ranges are only needed to point at an error, so a valid file can be read
 * without them and its ranges computed by the full parser on first use (see source-doc.ts).
 *
 * The contract: for any text, `readPlainYaml` either returns exactly the value the full parser
 * returns (YAML 1.2 core schema, as `parseDocument(text).toJS()`), or `undefined`, meaning
 * "not sure: use the full parser". Anything outside the subset, and anything the full parser
 * would warn about or reject (duplicate keys, aliases, tags, tabs, multi-line scalars, directives),
 * returns `undefined`, so every diagnostic still comes from the full parser.
 * test/load/plain-yaml.test.ts checks this against the full parser on every YAML file in the
 * repository and on thousands of mutated variants.
 */

interface Line {
  /** Index in the text's rows, for block scalars, which read rows as they are. */
  row: number;
  indent: number;
  /** The line without its indentation; never blank, never a comment-only line. */
  text: string;
}

/** Thrown (and caught in readPlainYaml) when the text leaves the subset. */
class Unsupported extends Error {}
const UNSUPPORTED = new Unsupported();
function bail(): never {
  throw UNSUPPORTED;
}

// Characters the subset never contains: tabs, carriage returns, other control characters,
// Unicode spaces and the byte-order mark (JavaScript's trim would take them for indentation), and
// astral-plane characters (surrogate pairs). The full parser handles them.
const OUTSIDE_SUBSET = /[^\n\x20-\x7e\u00a1-\u167f\u1681-\u1fff\u200b-\u2027\u202a-\u202e\u2030-\u205e\u2060-\u2fff\u3001-\ud7ff\ue000-\ufefe\uff00-\ufffd]/;
// Directives, document markers.
const DOCUMENT_SYNTAX = /^(?:%|---(?:[ \n]|$)|\.\.\.(?:[ \n]|$))/m;
// A plain key that YAML's core schema resolves to a string: no spaces, no indicators.
const PLAIN_KEY = /^[A-Za-z_$][\w$.\/-]*/;
// The first character of a plain scalar may not be one of these (YAML 1.2, ns-plain-first);
// `-`, `?` and `:` are allowed only when a non-space follows.
const INDICATOR = /^(?:[,[\]{}#&*!|>'"%@`]|[-?:](?: |$))/;
// Characters that may end a plain scalar inside `[…]` or `{…}`, and those that matter in `"…"`.
const FLOW_STOP = /[,[\]{}:#]/g;
const QUOTE_STOP = /["\\]/g;
// The same inside `[…]` and `{…}`, where a flow indicator also ends the scalar.
const FLOW_INDICATOR = /^(?:[,[\]{}#&*!|>'"%@`]|[-?:](?:[ ,[\]{}]|$))/;

/** The value of `text` when it is within the plain subset, else undefined (use the full parser). */
export function readPlainYaml(text: string): { value: unknown } | undefined {
  if (OUTSIDE_SUBSET.test(text) || DOCUMENT_SYNTAX.test(text)) return undefined;
  const rows = text.split("\n");
  const lines: Line[] = [];
  rows.forEach((raw, row) => {
    const indent = leadingSpaces(raw);
    if (indent === raw.length || raw.charAt(indent) === "#") return;
    lines.push({ row, indent, text: raw.slice(indent) });
  });
  if (lines.length === 0) return undefined;
  try {
    const reader = new Reader(rows, lines);
    const value = reader.block(lines[0]!.indent);
    if (reader.at < lines.length) bail();
    return { value };
  } catch (e) {
    if (e === UNSUPPORTED) return undefined;
    throw e;
  }
}

class Reader {
  at = 0;
  constructor(
    private readonly rows: string[],
    private readonly lines: Line[],
  ) {}

  /** A block collection whose first line is the current one, at `indent`. */
  block(indent: number): unknown {
    const line = this.lines[this.at]!;
    if (line.indent !== indent) bail();
    return isDash(line.text) ? this.sequence(indent) : this.mapping(indent);
  }

  private mapping(indent: number): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    while (this.at < this.lines.length) {
      const line = this.lines[this.at]!;
      if (line.indent < indent) break;
      if (line.indent > indent || isDash(line.text)) bail();
      const key = readKey(line.text);
      if (!key) bail();
      if (Object.prototype.hasOwnProperty.call(out, key.name) || key.name === "__proto__") bail();
      out[key.name] = this.valueAfter(line, key.end, indent, true);
    }
    return out;
  }

  private sequence(indent: number): unknown[] {
    const out: unknown[] = [];
    while (this.at < this.lines.length) {
      const line = this.lines[this.at]!;
      if (line.indent < indent) break;
      if (line.indent > indent) bail();
      if (!isDash(line.text)) break; // the next key of a mapping that holds this list at its own indent
      let p = 1;
      while (line.text.charCodeAt(p) === 32) p++;
      const rest = line.text.slice(p);
      if (isDash(rest)) bail(); // a list directly inside a list item
      if (rest !== "" && !rest.startsWith("#") && readKey(rest)) {
        // `- key: value`: a mapping that starts on the dash's line, its keys aligned with this one.
        this.lines[this.at] = { row: line.row, indent: indent + p, text: rest };
        out.push(this.mapping(indent + p));
      } else {
        out.push(this.valueAfter(line, 1, indent, false));
      }
    }
    return out;
  }

  /**
   * The value that follows a key's colon (or a dash) at `from` on the current line: inline, or
   * the block on the following lines. Advances past it.
   */
  private valueAfter(line: Line, from: number, indent: number, ofKey: boolean): unknown {
    const s = new Scan(line.text, from);
    s.spaces();
    this.at++;
    if (s.end() || s.comment()) {
      const next = this.lines[this.at];
      if (next && next.indent > indent) return this.block(next.indent);
      // A list may sit at its key's own indent.
      if (ofKey && next && next.indent === indent && isDash(next.text)) return this.sequence(indent);
      return null;
    }
    const literal = /^\|(-?)(?: +#.*| *)$/.exec(line.text.slice(s.pos));
    const value = literal ? this.literal(line.row, indent, literal[1] === "-") : s.blockValue();
    const next = this.lines[this.at];
    // A deeper line after an inline value continues a multi-line scalar (or is an error).
    if (next && next.indent > indent) bail();
    return value;
  }

  /**
   * A literal block scalar (`|`, or `|-` without the final line break) on the rows after `row`,
   * its indentation taken from its first line. Explicit indentation, `|+` and folded `>` scalars
   * are left to the full parser, as are blank lines longer than the indentation (they hold text).
   */
  private literal(row: number, indent: number, strip: boolean): string {
    const rows = this.rows;
    let r = row + 1;
    const first = r;
    while (r < rows.length && leadingSpaces(rows[r]!) === rows[r]!.length) r++;
    if (r >= rows.length) bail();
    const m = leadingSpaces(rows[r]!);
    if (m <= indent) bail();
    let last = -1;
    for (r = first; r < rows.length; r++) {
      const text = rows[r]!;
      const lead = leadingSpaces(text);
      if (lead === text.length) {
        if (lead > m) bail();
        continue;
      }
      if (lead < m) break;
      last = r;
    }
    // The last line needs its line break for `|` to mean what it says.
    if (last === rows.length - 1) bail();
    const body = rows.slice(first, last + 1).map((t) => t.slice(m));
    while (this.at < this.lines.length && this.lines[this.at]!.row <= last) this.at++;
    return body.join("\n") + (strip ? "" : "\n");
  }
}

function leadingSpaces(row: string): number {
  let n = 0;
  while (row.charCodeAt(n) === 32) n++;
  return n;
}

function isDash(text: string): boolean {
  return text === "-" || text.startsWith("- ");
}

/** `name:` at the start of `text`, followed by a space or the end of the line. */
function readKey(text: string): { name: string; end: number } | undefined {
  let name: string;
  let end: number;
  const c = text.charAt(0);
  if (c === '"' || c === "'") {
    const s = new Scan(text, 0);
    name = c === '"' ? s.doubleQuoted() : s.singleQuoted();
    end = s.pos;
  } else {
    const m = PLAIN_KEY.exec(text);
    if (!m || typeof plainScalar(m[0]) !== "string") return undefined;
    name = m[0];
    end = m[0].length;
  }
  if (text.charAt(end) !== ":") return undefined;
  const after = text.charAt(end + 1);
  if (after !== "" && after !== " ") return undefined;
  return { name, end: end + 1 };
}

/** A cursor over one line. */
class Scan {
  constructor(
    readonly text: string,
    public pos: number,
  ) {}

  spaces(): void {
    while (this.text.charCodeAt(this.pos) === 32) this.pos++;
  }
  end(): boolean {
    return this.pos >= this.text.length;
  }
  /** At a comment: `#` after a space (the caller has skipped spaces, so check the one before). */
  comment(): boolean {
    return this.text.charAt(this.pos) === "#" && (this.pos === 0 || this.text.charAt(this.pos - 1) === " ");
  }
  /** After a complete value: only spaces and a comment may follow. */
  finish(): void {
    this.spaces();
    if (!this.end() && !this.comment()) bail();
  }

  /** A value written on the rest of a block line. */
  blockValue(): unknown {
    const c = this.text.charAt(this.pos);
    if (c === '"' || c === "'" || c === "[" || c === "{") {
      const v = c === '"' ? this.doubleQuoted() : c === "'" ? this.singleQuoted() : this.flow();
      this.finish();
      return v;
    }
    const rest = this.text.slice(this.pos);
    if (INDICATOR.test(rest)) bail();
    const hash = rest.indexOf(" #");
    const raw = (hash === -1 ? rest : rest.slice(0, hash)).trimEnd();
    // `a: b: c` is an error, `a: b:` a nested key; both are the full parser's to report.
    if (raw.includes(": ") || raw.endsWith(":")) bail();
    this.pos = this.text.length;
    return plainScalar(raw);
  }

  /** A one-line flow collection `[…]` or `{…}`, possibly nested. */
  flow(): unknown {
    const open = this.text.charAt(this.pos++);
    const close = open === "[" ? "]" : "}";
    const list: unknown[] = [];
    const map: Record<string, unknown> = {};
    this.spaces();
    if (this.text.charAt(this.pos) === close) {
      this.pos++;
      return open === "[" ? list : map;
    }
    for (;;) {
      this.spaces();
      if (open === "[") {
        list.push(this.flowItem(false));
      } else {
        const c = this.text.charAt(this.pos);
        const key = c === '"' ? this.doubleQuoted() : c === "'" ? this.singleQuoted() : this.flowItem(true);
        if (typeof key !== "string" || this.text.charAt(this.pos) !== ":" || this.text.charAt(this.pos + 1) !== " ") bail();
        if (Object.prototype.hasOwnProperty.call(map, key) || key === "__proto__") bail();
        this.pos += 2;
        this.spaces();
        map[key] = this.flowItem(false);
      }
      this.spaces();
      const c = this.text.charAt(this.pos++);
      if (c === close) return open === "[" ? list : map;
      if (c !== ",") bail();
      this.spaces();
      if (this.text.charAt(this.pos) === close) bail(); // trailing comma: leave it to the full parser
    }
  }

  /** One item of a flow collection: a nested collection, a quoted or a plain scalar. */
  private flowItem(isKey: boolean): unknown {
    const c = this.text.charAt(this.pos);
    if (c === "[" || c === "{") {
      if (isKey) bail();
      return this.flow();
    }
    if (c === '"') return this.doubleQuoted();
    if (c === "'") return this.singleQuoted();
    const start = this.pos;
    if (FLOW_INDICATOR.test(this.text.slice(start, start + 2))) bail();
    // Jump from one character that may end the scalar to the next (a regex search, not a loop per
    // character): a `:` ends it only before a space, a flow indicator or the end of the line, and
    // a `#` after a space starts a comment, which cannot be inside a one-line flow collection.
    for (;;) {
      FLOW_STOP.lastIndex = this.pos;
      const m = FLOW_STOP.exec(this.text);
      this.pos = m ? m.index : this.text.length;
      const ch = this.text.charAt(this.pos);
      if (ch === ":") {
        const after = this.text.charAt(this.pos + 1);
        if (after === " " || after === "," || after === "]" || after === "}" || after === "") break;
      } else if (ch === "#") {
        if (this.text.charAt(this.pos - 1) === " ") bail();
      } else break;
      this.pos++;
    }
    const raw = this.text.slice(start, this.pos).trimEnd();
    if (raw === "") bail();
    // A `:` ends a key inside `{…}`; inside `[…]` it would make a one-pair mapping.
    if (!isKey && this.text.charAt(this.pos) === ":") bail();
    const v = plainScalar(raw);
    if (isKey && typeof v !== "string") bail();
    return v;
  }

  doubleQuoted(): string {
    const start = ++this.pos;
    let escaped = false;
    for (;;) {
      QUOTE_STOP.lastIndex = this.pos;
      const m = QUOTE_STOP.exec(this.text);
      if (!m) bail(); // continues on the next line
      this.pos = m.index;
      if (m[0] === '"') break;
      escaped = true;
      this.pos += 2;
    }
    const body = this.text.slice(start, this.pos++);
    if (!escaped) return body;
    // The escapes YAML shares with JSON mean the same in both; any other is the full parser's.
    if (body.replace(/\\(?:["\\/bfnrt]|u[0-9a-fA-F]{4})/g, "").includes("\\")) bail();
    return JSON.parse(`"${body}"`) as string;
  }

  singleQuoted(): string {
    const start = ++this.pos;
    for (;;) {
      const end = this.text.indexOf("'", this.pos);
      if (end === -1) bail();
      this.pos = end;
      if (this.text.charAt(end + 1) !== "'") break;
      this.pos += 2;
    }
    return this.text.slice(start, this.pos++).replace(/''/g, "'");
  }
}

/**
 * A plain scalar's value under YAML 1.2's core schema, as the full parser resolves it: null,
 * booleans, decimal integers and floats. Octal, hexadecimal, infinity and NaN forms leave the
 * subset rather than being re-implemented.
 */
function plainScalar(s: string): unknown {
  if (s === "~" || s === "null" || s === "Null" || s === "NULL") return null;
  if (s === "true" || s === "True" || s === "TRUE") return true;
  if (s === "false" || s === "False" || s === "FALSE") return false;
  const c = s.charCodeAt(0);
  // Only text that starts like a number needs the numeric tests.
  if ((c >= 48 && c <= 57) || c === 43 || c === 45 || c === 46) {
    if (/^[-+]?[0-9]+$/.test(s)) return parseInt(s, 10);
    if (/^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?$/.test(s)) return parseFloat(s);
    if (/^(?:0o|0x|[-+]?\.(?:inf|Inf|INF)$|\.(?:nan|NaN|NAN)$)/.test(s)) bail();
  }
  return s;
}
