/**
 * Turns a parsed handlebars template (the AST of `Handlebars.parse`, with its standalone-line
 * whitespace rules already applied) into the source of one plain JavaScript function.
 *
 * Why: handlebars' runtime sets up helpers, prototype-access checks and data frames on every call
 * and goes through a helper call for every `#each` and `#if`. pipegen renders ~20 templates per
 * pipeline, and in a short build that code never leaves V8's interpreter. The generated function
 * is string concatenation, loops and property reads. It keeps handlebars' meaning for the subset
 * pipegen's templates use, with the options they are compiled with (strict, noEscape,
 * knownHelpersOnly): `{{path}}`, `{{{path}}}`, `#if`, `#unless`, `#each` (arrays and objects,
 * `@index`, `@key`, `@first`, `@last`), `{{else}}`, `this`, `../` and comments. Anything else
 * throws when the template is compiled, naming the template and line.
 *
 * test/emit/template-codegen.test.ts renders every template of the repository both ways on the
 * views of real pipelines and compares the output.
 *
 * This module imports nothing: bin/cli-bundle.js loads it before the CLI bundle exists.
 */

/** The parts of handlebars' AST this compiler reads. */
interface Node {
  type: string;
  loc?: { start: { line: number; column: number } };
}
interface Program extends Node {
  body: Node[];
  blockParams?: string[];
}
interface Path extends Node {
  data: boolean;
  depth: number;
  parts: string[];
  original: string;
}
interface Mustache extends Node {
  path: Node;
  params: Node[];
  hash?: unknown;
}
interface Block extends Mustache {
  program?: Program;
  inverse?: Program;
}

/** The run-time helpers a generated function receives as its first argument. */
export interface TemplateRuntime {
  /** A field that must exist (a printed `{{path}}`): throws when it does not, like handlebars' strict mode. */
  strict(obj: unknown, name: string, where: string): unknown;
  /** A field that may be missing (a block's parameter): undefined when it is. */
  lookup(obj: unknown, name: string): unknown;
  /** Handlebars' truthiness for #if/#unless: false, null, undefined, "", 0, NaN and [] are false. */
  truthy(value: unknown): boolean;
  /**
   * What #each visits, as handlebars does: array items (skipping holes), an iterable's values, or
   * an object's own enumerable keys; each with its key, index and whether it is the first or last.
   */
  entries(value: unknown): Array<{ key: string | number; value: unknown; index: number; first: boolean; last: boolean }>;
  /** A function in the view is called with the current context, as handlebars' lambdas are. */
  resolve(value: unknown, context: unknown): unknown;
}

export const templateRuntime: TemplateRuntime = {
  strict(obj, name, where) {
    if (obj === null || obj === undefined || (typeof obj !== "object" && typeof obj !== "function") || !(name in (obj as object))) {
      throw new Error(`"${name}" not defined in ${String(obj)} - ${where}`);
    }
    return Object.prototype.hasOwnProperty.call(obj, name) ? (obj as Record<string, unknown>)[name] : undefined;
  },
  lookup(obj, name) {
    if (obj === null || obj === undefined) return undefined;
    return Object.prototype.hasOwnProperty.call(obj, name) ? (obj as Record<string, unknown>)[name] : undefined;
  },
  truthy(value) {
    return !(!value || (Array.isArray(value) && value.length === 0));
  },
  entries(value) {
    const out: ReturnType<TemplateRuntime["entries"]> = [];
    if (value === null || value === undefined || typeof value !== "object") return out;
    if (Array.isArray(value)) {
      for (let i = 0; i < value.length; i++) if (i in value) out.push({ key: i, value: value[i], index: i, first: i === 0, last: i === value.length - 1 });
      return out;
    }
    if (typeof (value as Iterable<unknown>)[Symbol.iterator] === "function") {
      const items = [...(value as Iterable<unknown>)];
      items.forEach((v, i) => out.push({ key: i, value: v, index: i, first: i === 0, last: i === items.length - 1 }));
      return out;
    }
    const keys = Object.keys(value);
    keys.forEach((k, i) => out.push({ key: k, value: (value as Record<string, unknown>)[k], index: i, first: i === 0, last: i === keys.length - 1 }));
    return out;
  },
  resolve(value, context) {
    return typeof value === "function" ? (value as (this: unknown) => unknown).call(context) : value;
  },
};

/**
 * JavaScript source of `function (rt, context) { ... return out; }` for the template. `name`
 * appears in errors (compile time and strict lookups at run time).
 */
export function templateFunctionSource(ast: Program, name: string): string {
  let nextVar = 0;
  const fresh = (p: string) => `${p}${nextVar++}`;
  const fail = (n: Node, what: string): never => {
    throw new Error(`${name}:${n.loc?.start.line ?? "?"}: ${what} is not supported by pipegen's template compiler`);
  };

  /** A scope: the JavaScript names of the contexts (innermost first) and of the #each data frame. */
  interface Scope {
    depths: string[];
    data?: { index: string; key: string; first: string; last: string };
  }

  const base = (p: Path, scope: Scope): string => {
    if (p.data) {
      if (!scope.data) fail(p, `@${p.parts[0]} outside #each`);
      const field = p.parts[0];
      if (p.parts.length !== 1 || (field !== "index" && field !== "key" && field !== "first" && field !== "last")) fail(p, `@${p.parts.join(".")}`);
      return scope.data![field as "index" | "key" | "first" | "last"];
    }
    if (p.depth >= scope.depths.length) fail(p, `a path above the root (${p.original})`);
    return scope.depths[p.depth]!;
  };
  /** A path's value; `strictTerminal` for printed paths (handlebars' strict mode throws when the field is missing). */
  const pathValue = (n: Node, scope: Scope, strictTerminal: boolean): string => {
    if (n.type !== "PathExpression") return fail(n, `a ${n.type} parameter`);
    const p = n as Path;
    let expr = base(p, scope);
    if (p.data) return expr;
    const where = JSON.stringify(`${name}:${p.loc?.start.line ?? "?"}:${p.loc?.start.column ?? "?"}`);
    p.parts.forEach((part, i) => {
      const last = i === p.parts.length - 1;
      // Intermediate objects are required in strict mode; the last field only where it is printed.
      expr = !last || strictTerminal ? `rt.strict(${expr}, ${JSON.stringify(part)}, ${where})` : `rt.lookup(${expr}, ${JSON.stringify(part)})`;
    });
    return expr;
  };

  const program = (prog: Program | undefined, scope: Scope, out: string): string => {
    if (!prog) return "";
    let code = "";
    for (const n of prog.body) code += statement(n, scope, out);
    return code;
  };

  const statement = (n: Node, scope: Scope, out: string): string => {
    switch (n.type) {
      case "ContentStatement": {
        const value = (n as Node & { value: string }).value;
        return value ? `${out} += ${JSON.stringify(value)};\n` : "";
      }
      case "CommentStatement":
        return "";
      case "MustacheStatement": {
        const m = n as Mustache;
        if (m.params.length || m.hash) fail(n, "a helper call");
        const v = fresh("v");
        return `{ const ${v} = rt.resolve(${pathValue(m.path, scope, true)}, ${scope.depths[0]}); if (${v} != null) ${out} += ${v}; }\n`;
      }
      case "BlockStatement":
        return block(n as Block, scope, out);
      default:
        return fail(n, `a ${n.type}`);
    }
  };

  const block = (b: Block, scope: Scope, out: string): string => {
    const helper = b.path.type === "PathExpression" ? (b.path as Path).original : "";
    if (b.params.length !== 1 || b.hash) fail(b, `#${helper} with other than one parameter`);
    if (b.program?.blockParams?.length) fail(b, `#${helper} with block parameters`);
    const value = `rt.resolve(${pathValue(b.params[0]!, scope, false)}, ${scope.depths[0]})`;
    if (helper === "if" || helper === "unless") {
      const test = `rt.truthy(${value})`;
      const [yes, no] = helper === "if" ? [b.program, b.inverse] : [b.inverse, b.program];
      const otherwise = program(no, scope, out);
      return `if (${test}) {\n${program(yes, scope, out)}}${otherwise ? ` else {\n${otherwise}}` : ""}\n`;
    }
    if (helper === "each") {
      const list = fresh("list");
      const i = fresh("i");
      const entry = fresh("entry");
      const item = fresh("item");
      // Handlebars pushes a context only when it changes; an item identical to the current context
      // keeps `../` pointing where it did. Items in pipegen's views are fresh objects or strings.
      const inner: Scope = { depths: [item, ...scope.depths], data: { index: `${entry}.index`, key: `${entry}.key`, first: `${entry}.first`, last: `${entry}.last` } };
      const body = program(b.program, inner, out);
      const otherwise = program(b.inverse, scope, out);
      return `{ const ${list} = rt.entries(${value});
for (let ${i} = 0; ${i} < ${list}.length; ${i}++) {
const ${entry} = ${list}[${i}], ${item} = ${entry}.value;
${body}}
${otherwise ? `if (${list}.length === 0) {\n${otherwise}}\n` : ""}}\n`;
    }
    return fail(b, `#${helper}`);
  };

  const body = program(ast, { depths: ["context"] }, "out");
  return `function (rt, context) {\nlet out = "";\n${body}return out;\n}`;
}
