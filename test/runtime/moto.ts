/** moto_server for the runtime integration tests: the shared harness starts it, this points the SDK at it. */
import { startMoto as startHarnessMoto } from "../support/moto.ts";

/** A running moto server. */
export interface Moto {
  endpoint: string;
  stop(): Promise<void>;
}

/**
 * Starts a private moto_server on 127.0.0.1 (the harness throws loudly when moto_server is not on
 * PATH) and sets the env vars the SDK reads, before any runtime client is created.
 */
export async function startMoto(): Promise<Moto> {
  const server = await startHarnessMoto();
  Object.assign(process.env, {
    AWS_ENDPOINT_URL: server.endpoint,
    AWS_REGION: "us-east-1",
    AWS_DEFAULT_REGION: "us-east-1",
    AWS_ACCESS_KEY_ID: "testing",
    AWS_SECRET_ACCESS_KEY: "testing",
  });
  delete process.env.AWS_PROFILE;
  delete process.env.AWS_SESSION_TOKEN;
  return { endpoint: server.endpoint, stop: () => server.stop() };
}
