// User code of the function example: adds a flag to every record.
export function transform(record: Record<string, unknown>): Record<string, unknown> {
  return { ...record, tagged: true };
}
