// What `pipegen run --local` prints when `terraform apply` fails: the lines that say what failed,
// not ten minutes of "Still creating..." progress, and the emulator's last answers.
import { describe, expect, it } from "vitest";
import { TerraformError, withoutProgress } from "../../src/local/terraform.ts";
import { emulatorLogTail } from "../../src/local/moto.ts";

// The shape of a real failure: two functions that hung for minutes, then a conflict on retry.
const start = [
  "aws_iam_role_policy.lake: Creation complete after 1s [id=temperature-local-lake:least-privilege]",
  "aws_lambda_function.lake: Creating...",
  "aws_lambda_function.per_device: Creating...",
].join("\n");
const progress = Array.from({ length: 60 }, (_, i) => [
  `aws_lambda_function.lake: Still creating... [${(i + 1) * 10}s elapsed]`,
  `aws_lambda_function.per_device: Still creating... [${Math.floor((i + 1) / 6)}m${((i + 1) % 6) * 10}s elapsed]`,
]).flat().join("\n");
const failure = [
  "aws_lambda_function.per_device: Creation complete after 5m10s [id=temperature-local-per-device]",
  "",
  "Error: creating Lambda Function (temperature-local-lake): operation error Lambda: CreateFunction, https response error StatusCode: 409, ResourceConflictException: Function already exist: temperature-local-lake",
].join("\n");
const output = `${start}\n${progress}\n${failure}\n`.repeat(3);

describe("terraform failure output", () => {
  it("drops only the progress lines, so the start of a long apply stays in the message", () => {
    expect(output.length).toBeGreaterThan(8000);
    const err = new TerraformError(["apply", "-auto-approve"], 1, output);
    expect(err.message).not.toMatch(/Still creating/);
    expect(err.message).toContain("aws_lambda_function.lake: Creating...");
    expect(err.message).toContain("aws_iam_role_policy.lake: Creation complete after 1s");
    expect(err.message).toContain("Error: creating Lambda Function (temperature-local-lake)");
    expect(err.output).toBe(output);
    expect(withoutProgress(output)).toBe(`${start}\n${failure}\n`.repeat(3));
  });

  it("keeps a line that merely mentions the words", () => {
    const text = 'Error: tag "Still creating... [later elapsed]" is not allowed\naws_x.y: Still destroying... [20s elapsed]\n';
    expect(withoutProgress(text)).toBe('Error: tag "Still creating... [later elapsed]" is not allowed\n');
  });
});

describe("emulatorLogTail", () => {
  it("gives the last non-blank lines of the emulator's log, newest last", () => {
    const log = Array.from({ length: 40 }, (_, i) => `127.0.0.1 - - [26/Nov/2026 12:53:${String(i).padStart(2, "0")}] "POST /2015-03-31/functions HTTP/1.1" 201 -`).join("\n\n");
    const tail = emulatorLogTail(`${log}\nTraceback (most recent call last):\n  KeyError: 'x'\n`, 5);
    expect(tail.split("\n")).toEqual([
      '127.0.0.1 - - [26/Nov/2026 12:53:37] "POST /2015-03-31/functions HTTP/1.1" 201 -',
      '127.0.0.1 - - [26/Nov/2026 12:53:38] "POST /2015-03-31/functions HTTP/1.1" 201 -',
      '127.0.0.1 - - [26/Nov/2026 12:53:39] "POST /2015-03-31/functions HTTP/1.1" 201 -',
      "Traceback (most recent call last):",
      "  KeyError: 'x'",
    ]);
    expect(emulatorLogTail("")).toBe("");
  });
});
