import { execFile } from "node:child_process";

export type TerraformProbe = { found: true; version: string } | { found: false; why: string };

/** The version from `terraform version -json` (or its text form, e.g. behind setup-terraform's wrapper). */
export function parseTerraformVersion(stdout: string): string | undefined {
  const json = stdout.slice(stdout.indexOf("{"), stdout.lastIndexOf("}") + 1);
  try {
    const v = (JSON.parse(json) as { terraform_version?: unknown }).terraform_version;
    if (typeof v === "string") return v;
  } catch {
    // fall through to the text form
  }
  return /Terraform v(\d+\.\d+\.\d+\S*)/.exec(stdout)?.[1];
}

/** Run `terraform version -json` from PATH (update check disabled: no network). */
export function probeTerraform(cwd: string): Promise<TerraformProbe> {
  return new Promise((resolveProbe) => {
    execFile(
      "terraform",
      ["version", "-json"],
      { cwd, timeout: 30_000, env: { ...process.env, CHECKPOINT_DISABLE: "1" } },
      (error, stdout) => {
        const code = (error as NodeJS.ErrnoException | null)?.code;
        if (code === "ENOENT") return resolveProbe({ found: false, why: "`terraform` is not on PATH" });
        const version = parseTerraformVersion(stdout);
        if (version) return resolveProbe({ found: true, version });
        resolveProbe({ found: false, why: `\`terraform version -json\` failed: ${error?.message ?? `unexpected output ${JSON.stringify(stdout.slice(0, 200))}`}` });
      },
    );
  });
}
