// Validation of timestamp literals, which are plain strings in the source.

const ISO_8601 =
  /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,9})?)?(?:Z|[+-](\d{2}):(\d{2}))?)?$/;

/** Whether `s` is an ISO-8601 date or date-time that Date.parse reads the same on every engine. */
export function isIsoTimestamp(s: string): boolean {
  const m = ISO_8601.exec(s);
  if (!m) return false;
  const [year, month, day, hour, minute, second, offH, offM] = m.slice(1).map((g) => (g === undefined ? 0 : Number(g)));
  if (month === undefined || month < 1 || month > 12) return false;
  // Checked by hand because some engines' Date.parse roll 2023-02-30 over to March instead of rejecting it.
  if (day === undefined || day < 1 || day > daysInMonth(year ?? 0, month)) return false;
  if ((hour ?? 0) > 23 || (minute ?? 0) > 59 || (second ?? 0) > 59 || (offH ?? 0) > 23 || (offM ?? 0) > 59) return false;
  return !Number.isNaN(Date.parse(s));
}

function daysInMonth(year: number, month: number): number {
  if (month === 2) return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28;
  return [4, 6, 9, 11].includes(month) ? 30 : 31;
}
