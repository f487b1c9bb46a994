import { Option } from "commander";
import type { Command } from "commander";

/** Exit codes: 0 success, 1 invalid input or failed check, 2 usage error. */
export const EXIT = { ok: 0, invalid: 1, usage: 2 } as const;

/** Where a command writes, and the folder it works in (tests pass their own). */
export interface Io {
  cwd: string;
  out: (s: string) => void;
  err: (s: string) => void;
}

/** A command adds itself to the program; it sets `state.code` instead of exiting. */
export type RegisterCommand = (program: Command, io: Io, state: { code: number }) => void;

/** The shared `--reporter` option. */
export function reporterOption(): Option {
  return new Option("--reporter <kind>", "diagnostics format").choices(["pretty", "short", "github", "json"]).default("pretty");
}
