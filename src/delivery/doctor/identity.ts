/**
 * Who the current AWS credentials are: STS GetCallerIdentity through the SDK's default
 * credential chain (env vars, profiles, SSO, web identity, instance roles), honouring
 * AWS_ENDPOINT_URL / AWS_ENDPOINT_URL_STS like every SDK client. The SDK is imported lazily so
 * other commands do not pay for loading it.
 */

export interface CallerIdentity {
  account: string;
  arn: string;
  userId?: string;
  /** The access key id the SDK signed with (AKIA… long-lived, ASIA… temporary). */
  accessKeyId?: string;
}

export type PrincipalKind = "assumed-role" | "user" | "root" | "federated-user" | "other";

export interface Principal {
  kind: PrincipalKind;
  /** User name (for users and federated users), role name (for assumed roles). */
  name?: string;
  session?: string;
}

/** Read an ARN from GetCallerIdentity: assumed-role/ROLE/SESSION, user/[path/]NAME, root, federated-user/NAME. */
export function describePrincipal(arn: string): Principal {
  const resource = /^arn:[^:]+:(?:iam|sts)::\d{12}:(.+)$/.exec(arn)?.[1];
  if (resource === undefined) return { kind: "other" };
  if (resource === "root") return { kind: "root" };
  const [kind, ...rest] = resource.split("/");
  if (kind === "assumed-role" && rest.length >= 2) return { kind: "assumed-role", name: rest[0]!, session: rest.slice(1).join("/") };
  if (kind === "user" && rest.length >= 1) return { kind: "user", name: rest[rest.length - 1]! };
  if (kind === "federated-user" && rest.length >= 1) return { kind: "federated-user", name: rest.join("/") };
  return { kind: "other" };
}

/** True for credentials that do not expire: IAM user or root keys rather than a role session. */
export function isLongLived(identity: CallerIdentity): boolean {
  const kind = describePrincipal(identity.arn).kind;
  return kind === "user" || kind === "root" || (identity.accessKeyId?.startsWith("AKIA") ?? false);
}

/** Thrown when the credentials cannot be resolved or STS refuses them; the message is for people. */
export class IdentityError extends Error {
  override readonly name = "IdentityError";
  constructor(
    message: string,
    readonly noCredentials: boolean,
  ) {
    super(message);
  }
}

/** GetCallerIdentity with the default credential chain; falls back to us-east-1 when no region is configured. */
export async function getCallerIdentity(): Promise<CallerIdentity> {
  const { STSClient, GetCallerIdentityCommand } = await import("@aws-sdk/client-sts");
  const call = async (region?: string): Promise<CallerIdentity> => {
    const client = new STSClient({
      ...(region ? { region } : {}),
      maxAttempts: 2,
      requestHandler: { connectionTimeout: 5_000, requestTimeout: 15_000 },
    });
    try {
      const r = await client.send(new GetCallerIdentityCommand({}));
      const creds = await client.config.credentials();
      if (!r.Account || !r.Arn) throw new IdentityError("STS GetCallerIdentity answered without an account or ARN", false);
      return { account: r.Account, arn: r.Arn, ...(r.UserId ? { userId: r.UserId } : {}), accessKeyId: creds.accessKeyId };
    } finally {
      client.destroy();
    }
  };
  try {
    try {
      return await call();
    } catch (e) {
      if (!/region is missing/i.test((e as Error).message)) throw e;
      return await call("us-east-1"); // STS answers GetCallerIdentity in every region
    }
  } catch (e) {
    if (e instanceof IdentityError) throw e;
    const err = e as Error;
    const noCredentials = err.name === "CredentialsProviderError" || /could not load credentials/i.test(err.message);
    throw new IdentityError(`${err.name}: ${err.message}`, noCredentials);
  }
}
