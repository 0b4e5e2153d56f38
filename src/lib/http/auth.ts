/**
 * Bearer-key authentication. API_KEY may hold several keys separated by
 * commas; an unset API_KEY refuses everything (fail closed). Keys are
 * compared through their SHA-256 digests with a constant-time comparison, and
 * every key is checked, so timing reveals neither a key nor which one matched.
 */
import { toHex } from "../bytes.ts";
import type { ApiKey } from "../settings.ts";
import { ApiError } from "./errors.ts";

const encoder = new TextEncoder();

/**
 * The WWW-Authenticate challenge every 401 carries (RFC 9110 requires one; RFC 6750 defines Bearer's):
 * it tells a generic HTTP client which scheme to use, and a wrong key adds `error="invalid_token"`.
 */
const BEARER_CHALLENGE = 'Bearer realm="flux-api-worker"';

function unauthorized(message: string, code: string, challenge = BEARER_CHALLENGE): ApiError {
  return new ApiError(401, message, { code, headers: { "www-authenticate": challenge } });
}

async function digest(text: string): Promise<ArrayBuffer> {
  return crypto.subtle.digest("SHA-256", encoder.encode(text));
}

/**
 * The configured keys' digests, computed once per isolate (settings are read once per env) rather
 * than on every request, and held as one list so that checking a request needs no await per key.
 */
const configuredDigests = new WeakMap<readonly ApiKey[], Promise<{ apiKey: ApiKey; digest: ArrayBuffer }[]>>();

function digestsOf(apiKeys: readonly ApiKey[]): Promise<{ apiKey: ApiKey; digest: ArrayBuffer }[]> {
  let known = configuredDigests.get(apiKeys);
  if (!known) {
    known = Promise.all(apiKeys.map(async (apiKey) => ({ apiKey, digest: await digest(apiKey.key) })));
    configuredDigests.set(apiKeys, known);
  }
  return known;
}

/** The token of an `Authorization: Bearer <token>` header (also accepts `x-api-key`, which some clients send). */
export function presentedKey(request: Request): string | undefined {
  const header = request.headers.get("authorization");
  const match = header ? /^Bearer\s+(.+)$/i.exec(header.trim()) : null;
  return match?.[1]?.trim() || request.headers.get("x-api-key")?.trim() || undefined;
}

/** Who is calling: the key's SHA-256 in hex (its objects' name), its name and its own budget; never the key. */
export interface Caller {
  digest: string;
  name: string;
  dailyNeuronLimit?: number;
}

/**
 * Throws a 401 unless the request carries one of `apiKeys`. Returns the caller: the presented key's
 * SHA-256 identifies it (for its rate limit, budget and jobs) without the key being kept or hashed
 * again.
 */
export async function requireApiKey(request: Request, apiKeys: readonly ApiKey[]): Promise<Caller> {
  if (apiKeys.length === 0) {
    throw unauthorized(
      "This service has no API_KEY configured, so it refuses every request. The operator must set API_KEY.",
      "api_key_not_configured",
    );
  }
  const key = presentedKey(request);
  if (key === undefined)
    throw unauthorized("Missing API key. Send it as 'Authorization: Bearer <API_KEY>'.", "missing_api_key");
  const [presented, configured] = await Promise.all([digest(key), digestsOf(apiKeys)]);
  let matched: ApiKey | undefined;
  for (const candidate of configured) {
    if (crypto.subtle.timingSafeEqual(presented, candidate.digest)) matched = candidate.apiKey;
  }
  if (!matched)
    throw unauthorized("Incorrect API key provided.", "invalid_api_key", `${BEARER_CHALLENGE}, error="invalid_token"`);
  return { digest: toHex(presented), name: matched.name, dailyNeuronLimit: matched.dailyNeuronLimit };
}
