/**
 * In-process HCL formatter producing what `terraform fmt` produces for the subset of HCL pipegen
 * emits (the test suite proves it with `terraform fmt -check`). Loading the hclwrite WASM build would
 * cost ~300 ms per process, a third of the cold-build budget.
 *
 * Rules implemented (from hclwrite's format.go): two-space indent per open bracket; `=` of
 * consecutive single-line attributes at one nesting level aligned; an attribute whose value spans
 * lines, a block header, a comment line or a blank line ends an alignment run. Blank-line runs are
 * collapsed and blank lines right after `{` or before `}` are dropped, so templates can be loose.
 *
 * Generated modules repeat whole blocks: every pipeline has the same provider, key and alarm
 * blocks, and pipelines of one shape differ only where a name appears. So text is formatted per
 * top-level block and the result is remembered by the block's raw text; a block seen before costs
 * one map lookup. Formatting a block alone gives the same lines as formatting it in its file, because
 * between top-level blocks nothing carries over but the blank lines, handled here.
 *
 * Given the pipeline's name, a block is remembered with the name masked, so blocks that differ only
 * in the name (a description, a tag, a dashboard title) share one entry; see `maskFor`.
 */

export function formatHcl(text: string, name?: string): string {
  text = text.replace(/\r\n/g, "\n");
  if (name !== undefined && !PIPELINE_NAME.test(name)) name = undefined;
  let out = "";
  let pos = 0;
  let blankBefore = false;
  let prevOpens = false;
  while (pos < text.length) {
    let lineEnd = text.indexOf("\n", pos);
    if (lineEnd === -1) lineEnd = text.length;
    const first = text.slice(pos, lineEnd).trim();
    if (first === "") {
      blankBefore = out !== "";
      pos = lineEnd + 1;
      continue;
    }
    // A chunk is a comment line at column 0, or everything up to the next `}` line at column 0:
    // top-level blocks, when the text is balanced there (checked below).
    let end: number;
    if (text.charCodeAt(pos) === 35) end = lineEnd + 1;
    else {
      const close = text.indexOf("\n}\n", pos - 1);
      end = close === -1 ? text.length : close + 3;
    }
    const chunk = text.slice(pos, end);
    const mask = name === undefined ? "" : maskFor(chunk, name);
    const key = mask === "" ? chunk : chunk.replaceAll(name!, mask);
    let formatted = memo.get(key);
    if (formatted === undefined) {
      const f = formatLines(key);
      // A chunk that leaves brackets open is not a unit; only the whole text formats correctly.
      formatted = f.depth === 0 ? f.text : null;
      if (memo.size >= MEMO_LIMIT) memo.clear();
      memo.set(key, formatted);
    }
    if (formatted === null) return formatLines(text).text;
    if (mask !== "") formatted = formatted.replaceAll(mask, name!);
    // Blank lines between chunks: collapsed to one, dropped after an opening or before a closing bracket.
    if (blankBefore && !prevOpens && !CLOSES_AT_START.test(first)) out += "\n";
    out += formatted;
    // Formatted text ends with a trimmed, non-blank line and "\n": test that line's last character.
    const last = formatted.charCodeAt(formatted.length - 2);
    prevOpens = last === 123 || last === 91 || last === 40;
    blankBefore = false;
    pos = end;
  }
  return out;
}

/**
 * The stand-in for `name` in a block's memo key, or "" to use the block as it is.
 *
 * Why masking is exact: a pipeline name is `[a-z][a-z0-9-]+`, and the stand-in is a capital letter
 * the block does not contain. Every rule of formatLines reads the same from both: neither has
 * spaces, brackets, quotes, `#`, `/`, `$`, `%` or `\`; a letter stands wherever a name character
 * may in a key (`[A-Za-z_][A-Za-z0-9_-]*`, and a name starts with a letter). Formatting only changes
 * whitespace at line starts and around an attribute's `=`, so every stand-in comes out whole and in
 * place, and the letter appears nowhere else.
 *
 * The one length that matters to the formatter is a key's (it pads the keys of a run to the widest),
 * so a name inside a key is masked by as many letters as it has characters; any run of the letter
 * is then made of whole stand-ins, replaced back left to right. Elsewhere one letter stands for the
 * name, and pipelines of one shape share their blocks whatever their names' lengths.
 */
function maskFor(chunk: string, name: string): string {
  let at = chunk.indexOf(name);
  if (at === -1) return "";
  let letter = "";
  for (const l of MASK_LETTERS) {
    if (!chunk.includes(l)) {
      letter = l;
      break;
    }
  }
  if (letter === "") return "";
  for (; at !== -1; at = chunk.indexOf(name, at + name.length)) {
    const start = chunk.lastIndexOf("\n", at) + 1;
    let end = chunk.indexOf("\n", at);
    if (end === -1) end = chunk.length;
    const line = chunk.slice(start, end);
    const key = ATTRIBUTE.exec(line.trim())?.[1];
    if (key !== undefined && at - start - (line.length - line.trimStart().length) < key.length) return letter.repeat(name.length);
  }
  return letter;
}

const MASK_LETTERS = ["Q", "Z", "J", "X", "V", "Y", "W"];
/** The names masking is proven for (the schema's pattern, without its length limit). */
const PIPELINE_NAME = /^[a-z][a-z0-9-]+$/;

/** The same formatting without chunks or memo: the reference the tests compare formatHcl with. */
export function formatHclUncached(text: string): string {
  return formatLines(text.replace(/\r\n/g, "\n")).text;
}

/** Formats whole text from a fresh state; `depth` is the bracket nesting left open at its end. */
function formatLines(text: string): { text: string; depth: number } {
  const lines = text.split("\n");
  const cleaned: string[] = [];
  for (const raw of lines) {
    const l = raw.trim();
    const prev = cleaned[cleaned.length - 1];
    if (l === "") {
      if (prev === undefined || prev === "" || OPENS_AT_END.test(prev)) continue;
    } else if (prev === "" && CLOSES_AT_START.test(l)) cleaned.pop();
    cleaned.push(l);
  }
  while (cleaned.length && cleaned[cleaned.length - 1] === "") cleaned.pop();

  // Indentation follows hclwrite's formatIndent: a line with more opening than closing brackets
  // pushes ONE level (remembering how many brackets it opened), closing lines pop them.
  const indents: number[] = [];
  const out: Array<{ indent: number; text: string; key?: string; rest?: string }> = [];
  for (const l of cleaned) {
    const net = bracketDelta(l);
    let indent = indents.length;
    if (net > 0) indents.push(net);
    else if (net < 0) {
      let closed = -net;
      while (closed > 0 && indents.length) {
        const top = indents[indents.length - 1]!;
        if (closed >= top) {
          closed -= top;
          indents.pop();
        } else {
          indents[indents.length - 1] = top - closed;
          closed = 0;
        }
      }
      indent = indents.length;
    }
    const m = net === 0 ? ATTRIBUTE.exec(l) : null;
    out.push(m ? { indent, text: l, key: m[1]!, rest: m[2]! } : { indent, text: l });
  }
  // Align runs of single-line attributes at the same indent.
  let i = 0;
  while (i < out.length) {
    if (out[i]!.key === undefined) {
      i++;
      continue;
    }
    let j = i;
    let width = 0;
    while (j < out.length && out[j]!.key !== undefined && out[j]!.indent === out[i]!.indent) width = Math.max(width, out[j++]!.key!.length);
    for (let k = i; k < j; k++) {
      const r = out[k]!;
      r.text = `${r.key!.padEnd(width)} = ${r.rest}`;
    }
    i = j;
  }
  let result = "";
  for (const r of out) result += r.text === "" ? "\n" : `${INDENT[r.indent] ?? "  ".repeat(r.indent)}${r.text}\n`;
  return { text: result, depth: indents.length };
}

/** How many blocks the memo holds (the tests check that renamed modules add none). */
export function formatMemoSize(): number {
  return memo.size;
}

/** Formatted top-level blocks by raw text; null for a block that is not balanced on its own. */
const memo = new Map<string, string | null>();
/** Bounds the memo in long-running processes (the test suite builds thousands of modules). */
const MEMO_LIMIT = 20_000;

const OPENS_AT_END = /[{[(]$/;
const CLOSES_AT_START = /^[}\])]/;
const ATTRIBUTE = /^([A-Za-z_][A-Za-z0-9_-]*|"(?:[^"\\]|\\.)*")\s*=\s*(?!=)(.*)$/;
const INDENT = Array.from({ length: 16 }, (_, n) => "  ".repeat(n));
// Most lines need no character-by-character scan: no quotes or comments means brackets count as
// they are, and no brackets at all means no change. Both tests run in the regex engine, which is
// native code even before the JIT has warmed up on a short build.
const ANY_BRACKET = /[{}[\]()]/;
const NEEDS_SCAN = /["#/]/;
const OPENING = /[{[(]/g;
const CLOSING = /[}\])]/g;

/** Net bracket depth change of a line, ignoring brackets inside strings and `#` comments. */
function bracketDelta(line: string): number {
  if (!ANY_BRACKET.test(line)) return 0;
  if (!NEEDS_SCAN.test(line)) return (line.match(OPENING)?.length ?? 0) - (line.match(CLOSING)?.length ?? 0);
  let net = 0;
  let inStr = false;
  let interp = 0;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i]!;
    if (inStr && interp === 0) {
      if (ch === "\\") i++;
      else if (ch === '"') inStr = false;
      else if ((ch === "$" || ch === "%") && line[i + 1] === "{") {
        if (line[i - 1] === ch) continue;
        interp = 1;
        i++;
      }
      continue;
    }
    if (interp > 0) {
      if (ch === "{") interp++;
      else if (ch === "}") interp--;
      continue;
    }
    if (ch === '"') inStr = true;
    else if (ch === "#" || (ch === "/" && line[i + 1] === "/")) break;
    else if (ch === "{" || ch === "[" || ch === "(") net++;
    else if (ch === "}" || ch === "]" || ch === ")") {
      net--;
    }
  }
  return net;
}
