/** Reads a required environment variable at invoke time (Terraform sets it on the function). */
export function requireEnv(name: string): string {
  const v = process.env[name];
  if (v === undefined || v === "") throw new Error(`environment variable ${name} is not set`);
  return v;
}
