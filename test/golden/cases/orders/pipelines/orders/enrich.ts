// User code for transform `enrich` of the orders golden case (edited after pipegen created the stub).
export interface Input {
  amount: number;
  amount_eur: number;
  created_at: string;
  day: string;
  order_id: string;
  shop: string;
}

/** Normalizes shop names and drops test orders. */
export function transform(record: Record<string, unknown>): Input | null {
  const r = record as unknown as Input;
  if (r.order_id.startsWith("test-")) return null;
  return { ...r, shop: r.shop.trim().toLowerCase() };
}
