// `pipegen run --local` checks its tools before starting anything and names every missing one.
import { describe, expect, it } from "vitest";
import { spawnSync } from "node:child_process";
import { join } from "node:path";

const repo = join(import.meta.dirname, "../..");

describe("pipegen run --local preflight", () => {
  it("fails loudly, listing each missing tool and how to get it, and starts nothing", () => {
    const r = spawnSync(process.execPath, [join(repo, "bin/pipegen.js"), "run", "pipelines/temperature.yaml", "--local"], {
      cwd: repo,
      encoding: "utf8",
      env: { ...process.env, PATH: "/nonexistent", PIPEGEN_TF_PLUGIN_DIR: "/nonexistent" },
      timeout: 60_000,
    });
    expect(r.status).toBe(1);
    expect(r.stdout).toBe("");
    expect(r.stderr).toContain("pipegen run --local cannot start:");
    expect(r.stderr).toContain("missing tool: terraform\n    `terraform` was not found on PATH.");
    expect(r.stderr).toContain("missing tool: terraform provider mirror (hashicorp/aws)\n    PIPEGEN_TF_PLUGIN_DIR=/nonexistent");
    expect(r.stderr).toContain("missing tool: moto_server");
    expect(r.stderr).toContain("pip install 'moto[server]'");
  });

  it("without --local it is a usage error", () => {
    const r = spawnSync(process.execPath, [join(repo, "bin/pipegen.js"), "run", "pipelines/temperature.yaml"], { cwd: repo, encoding: "utf8" });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain("`pipegen run` needs --local");
  });
});
