import { resolve } from "node:path";
import type { RegisterCommand } from "../io.ts";
import { EXIT } from "../io.ts";
import { UsageError } from "../../diagnostics/diagnostic.ts";
import { BootstrapUsageError, bootstrapPolicyDiff, renderBootstrap } from "../../delivery/bootstrap/bootstrap.ts";
import { staleBootstrap, writeBootstrap } from "../../delivery/bootstrap/write.ts";
import { DeployPolicyError } from "../../delivery/deploy-policy/derive.ts";

/** `pipegen bootstrap --repo OWNER/REPO [--out bootstrap] [--region R] [--environments a,b] [--generated DIR] [--check]`. */
export const registerBootstrap: RegisterCommand = (program, io, state) => {
  program
    .command("bootstrap")
    .description(
      "Write bootstrap/: the Terraform a platform engineer applies once (GitHub OIDC provider, plan and apply roles with the deploy policy derived from generated/, state bucket) and the GitHub branch rule. Prints how the policies change.",
    )
    .requiredOption("--repo <owner/repo>", "GitHub repository whose workflows may assume the roles")
    .option("--out <dir>", "output folder", "bootstrap")
    .option("--region <region>", "region of the state bucket", "us-east-1")
    .option("--environments <list>", "deployment environments the apply role trusts, comma-separated (default: those of generated/*/environments)")
    .option("--generated <dir>", "folder of the generated modules the deploy policy is derived from", "generated")
    .option("--check", "write nothing; exit 1 when the output folder differs from what bootstrap would write")
    .action(async (o: { repo: string; out: string; region: string; environments?: string; generated: string; check?: boolean }) => {
      const environments = o.environments === undefined ? undefined : o.environments.split(",").map((e) => e.trim()).filter(Boolean);
      let r;
      try {
        r = await renderBootstrap({ repo: o.repo, region: o.region, ...(environments ? { environments } : {}), generatedDir: o.generated, cwd: io.cwd });
      } catch (e) {
        if (e instanceof BootstrapUsageError) throw new UsageError(e.message);
        if (e instanceof DeployPolicyError) {
          io.err(`error: ${e.message}\nbootstrap failed; nothing was written\n`);
          state.code = EXIT.invalid;
          return;
        }
        throw e;
      }
      for (const w of r.warnings) io.err(`warning: ${w}\n`);
      const outDir = resolve(io.cwd, o.out);
      const rel = o.out.replace(/\/$/, "");
      const diff = bootstrapPolicyDiff(outDir, r);
      if (o.check) {
        const s = staleBootstrap(outDir, r.folders);
        const stale = [...s.changed.map((p) => `${rel}/${p} (differs)`), ...s.missing.map((p) => `${rel}/${p} (missing)`), ...s.extra.map((p) => `${rel}/${p} (not generated)`)];
        if (stale.length) {
          io.err(`error: ${rel}/ is stale; run \`npx pipegen bootstrap --repo ${o.repo}\` and commit:\n${stale.map((x) => `  ${x}`).join("\n")}\n${diff}`);
          state.code = EXIT.invalid;
        } else io.out(`${rel}/ up to date (${r.modules.length} pipeline${r.modules.length === 1 ? "" : "s"}: ${r.modules.map((m) => m.pipeline).join(", ")})\n`);
        return;
      }
      const w = writeBootstrap(outDir, r.folders);
      io.out([...w.written.map((p) => `wrote ${rel}/${p}\n`), ...w.removed.map((p) => `removed ${rel}/${p}\n`)].join(""));
      io.out(diff || "deploy and plan policies unchanged\n");
      io.out(`bootstrap for ${o.repo}: ${w.written.length + w.removed.length} file${w.written.length + w.removed.length === 1 ? "" : "s"} changed; see ${rel}/README.md\n`);
    });
};
