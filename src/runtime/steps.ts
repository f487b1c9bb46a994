/** Running compiled transform steps. */
import type { Rec, Step } from "./types.ts";

/** Applies steps in order; returns null as soon as one filters the record out. Throws propagate. */
export async function runSteps(steps: readonly Step[], record: Rec): Promise<Rec | null> {
  let current: Rec | null = record;
  for (const step of steps) {
    current = await step(current);
    if (current === null) return null;
  }
  return current;
}
