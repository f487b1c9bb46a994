/** Temporarily setting process environment variables (handlers read theirs from process.env, as on Lambda). */

/** Applies `vars` (undefined deletes), returns a function restoring the previous values. */
export function setEnv(vars: Record<string, string | undefined>): () => void {
  const saved: Record<string, string | undefined> = {};
  for (const [k, v] of Object.entries(vars)) {
    saved[k] = process.env[k];
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
  return () => {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  };
}

/** Runs `fn` with `vars` applied, restoring the environment afterwards (variables `fn` added itself are removed too). */
export async function withEnv<T>(vars: Record<string, string | undefined>, fn: () => Promise<T>): Promise<T> {
  const before = new Set(Object.keys(process.env));
  const restore = setEnv(vars);
  try {
    return await fn();
  } finally {
    restore();
    for (const k of Object.keys(process.env)) if (!before.has(k) && k.startsWith("PIPEGEN_")) delete process.env[k];
  }
}

/** The environment the handlers' SDK clients read: the emulator endpoint and dummy credentials, nothing from the user's AWS setup. */
export function localAwsEnv(endpoint: string, region = "us-east-1"): Record<string, string | undefined> {
  const env: Record<string, string | undefined> = {
    AWS_ENDPOINT_URL: endpoint,
    AWS_ACCESS_KEY_ID: "testing",
    AWS_SECRET_ACCESS_KEY: "testing",
    AWS_SESSION_TOKEN: undefined,
    AWS_REGION: region,
    AWS_DEFAULT_REGION: region,
    AWS_PROFILE: undefined,
    AWS_IGNORE_CONFIGURED_ENDPOINT_URLS: undefined,
  };
  // Service-specific endpoints would win over AWS_ENDPOINT_URL.
  for (const k of Object.keys(process.env)) if (k.startsWith("AWS_ENDPOINT_URL_")) env[k] = undefined;
  return env;
}
