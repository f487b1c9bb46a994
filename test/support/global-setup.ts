// Gives every test run its own temp folder and removes it at the end. Tests create temp
// workspaces with mkdtemp(os.tmpdir()) and many never removed them, so each full run left
// about a thousand folders in /tmp. Workers are started after this runs and inherit TMPDIR.
// PIPEGEN_KEEP_TEST_TMP=1 keeps the folder for debugging; the Terraform plugin cache stays in
// the real temp folder (PIPEGEN_TEST_SHARED_TMP) so later runs can reuse it.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export default function setup(): () => void {
  const shared = process.env.PIPEGEN_TEST_SHARED_TMP ?? tmpdir();
  const run = mkdtempSync(join(shared, "pipegen-test-run-"));
  process.env.PIPEGEN_TEST_SHARED_TMP = shared;
  process.env.TMPDIR = run;
  return () => {
    if (process.env.PIPEGEN_KEEP_TEST_TMP) process.stderr.write(`test temp folder kept: ${run}\n`);
    else rmSync(run, { recursive: true, force: true });
  };
}
