// Helpers that compiled expressions call. The handler generator pastes EXPRESSION_RUNTIME_TS
// once per handler file. Records can lack fields at run time, and a throwing helper would fail
// the whole batch over one bad record, so every helper is total: missing or malformed input
// gives NaN for numbers (every comparison with NaN is false) and "" for strings.

/** TypeScript source of the pg* helper functions used by compiled expressions. */
export const EXPRESSION_RUNTIME_TS = `function pgToString(v: unknown): string {
  return typeof v === "string" ? v : v === null || v === undefined ? "" : String(v);
}
function pgLower(v: unknown): string {
  return pgToString(v).toLowerCase();
}
function pgUpper(v: unknown): string {
  return pgToString(v).toUpperCase();
}
function pgLength(v: unknown): number {
  // Counts code points, so an emoji is one character as people expect.
  return Array.from(pgToString(v)).length;
}
function pgConcat(...parts: unknown[]): string {
  return parts.map(pgToString).join("");
}
function pgCoalesce<T>(a: T | null | undefined, b: T | null): T {
  // The checker types coalesce(x, null) like x, as it types every field read; the cast mirrors that.
  return (a ?? b) as T;
}
function pgToNumber(v: unknown): number {
  if (typeof v === "number") return v;
  // Number("") and Number(" ") are 0, which would turn a blank value into a real reading.
  return typeof v === "string" && v.trim() !== "" ? Number(v) : NaN;
}
function pgRound(v: number, digits: number): number {
  // Shifting the decimal point through the string form rounds 1.005 to 1.01, where
  // multiplying by 100 would see 100.49999999999999. Halves round away from zero.
  const shift = (n: number, k: number): number => {
    const [mantissa, exponent] = String(n).split("e");
    return Number(\`\${mantissa}e\${Number(exponent ?? "0") + k}\`);
  };
  const d = Math.trunc(digits);
  const scaled = shift(Math.abs(v), d);
  if (Number.isNaN(scaled)) return NaN;
  if (!Number.isFinite(scaled)) return v;
  return Math.sign(v) * shift(Math.round(scaled), -d);
}
function pgTime(v: unknown): number {
  return typeof v === "string" ? Date.parse(v) : NaN;
}
function pgDate(v: unknown): string {
  const t = pgTime(v);
  return Number.isNaN(t) ? "" : new Date(t).toISOString().slice(0, 10);
}
function pgHour(v: unknown): number {
  const t = pgTime(v);
  return Number.isNaN(t) ? NaN : new Date(t).getUTCHours();
}
`;
