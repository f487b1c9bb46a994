/** Weighted mean of pre-aggregated averages. */

/** Result of {@link weightedAverage}: the mean (null when nothing contributes) and contributing items. */
export interface WeightedResult {
  average: number | null;
  count: number;
}

function num(v: unknown): number | undefined {
  return typeof v === "number" && Number.isFinite(v) ? v : undefined;
}

/**
 * sum(average_i * weight_i) / sum(weight_i). Averaging window averages without their counts would
 * overweight sparse windows, so each item is weighted by its count; no weight field = weight 1.
 * Items without a numeric average or weight, or with a negative weight, are skipped.
 */
export function weightedAverage(items: readonly Record<string, unknown>[], averageField: string, weightField?: string): WeightedResult {
  let total = 0;
  let weights = 0;
  let count = 0;
  for (const it of items) {
    const a = num(it[averageField]);
    const w = weightField === undefined ? 1 : num(it[weightField]);
    if (a === undefined || w === undefined || w < 0) continue;
    total += a * w;
    weights += w;
    count++;
  }
  return { average: weights > 0 ? total / weights : null, count };
}
