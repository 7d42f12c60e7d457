/**
 * Service accounts for the sandbox's Google: a throwaway RSA key made at run time (never stored in
 * the repository), the key file Recon reads through GOOGLE_APPLICATION_CREDENTIALS with its
 * `token_uri` pointing at the sandbox, and the check of the signed JWT a client exchanges for an
 * access token (RFC 7523, as Google's token endpoint does it).
 */
import { createPublicKey, createVerify, generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CalendarState } from './google-calendar-state.ts';

/** The audience Google's client libraries always put in the assertion. */
export const GOOGLE_TOKEN_AUDIENCE = 'https://oauth2.googleapis.com/token';
/** Where the sandbox answers the token exchange. */
export const SANDBOX_TOKEN_PATH = '/token';
export const SANDBOX_SERVICE_ACCOUNT = 'recon-sandbox@recon-sandbox.iam.gserviceaccount.com';

/** A service account key file, as the Cloud console downloads it. */
export interface ServiceAccountKeyFile {
  type: 'service_account';
  project_id: string;
  private_key_id: string;
  private_key: string;
  client_email: string;
  client_id: string;
  auth_uri: string;
  token_uri: string;
  auth_provider_x509_cert_url: string;
  client_x509_cert_url: string;
  universe_domain: string;
}

function rsaKeyPair(): { privateKey: string; publicKey: string } {
  return generateKeyPairSync('rsa', {
    modulusLength: 2048,
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
    publicKeyEncoding: { type: 'spki', format: 'pem' },
  });
}

/** One key pair per process for the sandbox's own account: making one takes a tenth of a second. */
let sandboxPair: { privateKey: string; publicKey: string } | null = null;

/**
 * A key for `clientEmail` (RSA 2048, as Google issues them) and its public half: a new pair, or with
 * `reuse` the sandbox's pair of this process.
 */
export function newServiceAccountKey(options: { tokenUri: string; clientEmail?: string; reuse?: boolean }): { key: ServiceAccountKeyFile; publicKeyPem: string } {
  const clientEmail = options.clientEmail ?? SANDBOX_SERVICE_ACCOUNT;
  const { privateKey, publicKey } = options.reuse ? (sandboxPair ??= rsaKeyPair()) : rsaKeyPair();
  const project = clientEmail.split('@')[1]?.split('.')[0] ?? 'recon-sandbox';
  return {
    publicKeyPem: publicKey,
    key: {
      type: 'service_account',
      project_id: project,
      private_key_id: randomBytes(20).toString('hex'),
      private_key: privateKey,
      client_email: clientEmail,
      client_id: String(100_000_000_000_000_000_000n + BigInt(`0x${randomBytes(8).toString('hex')}`)),
      auth_uri: 'https://accounts.google.com/o/oauth2/auth',
      token_uri: options.tokenUri,
      auth_provider_x509_cert_url: 'https://www.googleapis.com/oauth2/v1/certs',
      client_x509_cert_url: `https://www.googleapis.com/robot/v1/metadata/x509/${encodeURIComponent(clientEmail)}`,
      universe_domain: 'googleapis.com',
    },
  };
}

/**
 * Makes a key for the sandbox's service account, lets the sandbox accept it, and writes it as a key
 * file into `dir` (created, readable by the owner only). Returns the file's path.
 */
export function writeServiceAccountKeyFile(calendar: CalendarState, options: { dir: string; baseUrl: string; clientEmail?: string }): string {
  const { key, publicKeyPem } = newServiceAccountKey({ tokenUri: `${options.baseUrl}${SANDBOX_TOKEN_PATH}`, clientEmail: options.clientEmail, reuse: true });
  calendar.serviceAccounts.set(key.client_email, publicKeyPem);
  mkdirSync(options.dir, { recursive: true, mode: 0o700 });
  const file = join(options.dir, 'service-account.json');
  writeFileSync(file, `${JSON.stringify(key, null, 2)}\n`, { mode: 0o600 });
  return file;
}

/**
 * The variables that point Recon's Google Calendar connector at the sandbox, with a key file
 * written into `dir` (see {@link writeServiceAccountKeyFile}).
 */
export function googleCalendarEnv(calendar: CalendarState, options: { dir: string; baseUrl: string }): Record<string, string> {
  return {
    GOOGLE_APPLICATION_CREDENTIALS: writeServiceAccountKeyFile(calendar, options),
    GOOGLE_CALENDAR_ID: calendar.calendarId,
    GOOGLE_API_URL: options.baseUrl,
  };
}

/**
 * The key file the sandbox's environment names, written on first use into a private temporary
 * directory that is removed when the process exits.
 */
export function sandboxKeyFile(calendar: CalendarState, baseUrl: string): string {
  if (calendar.keyFile) return calendar.keyFile;
  const dir = mkdtempSync(join(tmpdir(), 'recon-sandbox-google-'));
  process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
  calendar.keyFile = writeServiceAccountKeyFile(calendar, { dir, baseUrl });
  return calendar.keyFile;
}

export type AssertionCheck =
  | { ok: true; clientEmail: string; scope: string; expiresInSeconds: number }
  | { ok: false; error: 'invalid_grant' | 'invalid_scope' | 'invalid_request'; description: string };

function decodeSegment(segment: string): Record<string, unknown> | null {
  try {
    const value = JSON.parse(Buffer.from(segment, 'base64url').toString('utf8')) as unknown;
    return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

/**
 * Checks a JWT bearer assertion as Google's token endpoint does: three base64url parts, an RS256
 * header, `iss` a known service account whose key signed it, `aud` the token endpoint, `iat` and `exp`
 * at most an hour apart around now, and a scope. `audiences` are the token URLs accepted
 * (Google's own, which client libraries always send, and the sandbox's).
 */
export function checkAssertion(assertion: string, accounts: ReadonlyMap<string, string>, audiences: readonly string[], nowMs: number): AssertionCheck {
  const invalid = (description: string): AssertionCheck => ({ ok: false, error: 'invalid_grant', description });
  const parts = assertion.split('.');
  if (parts.length !== 3) return invalid('Invalid JWT: the assertion is not a signed JWT (header.payload.signature).');
  const [headerPart, payloadPart, signaturePart] = parts as [string, string, string];
  const header = decodeSegment(headerPart);
  const claims = decodeSegment(payloadPart);
  if (!header || !claims) return invalid('Invalid JWT: the header or the claim set is not base64url JSON.');
  if (header.alg !== 'RS256') return invalid(`Invalid JWT: alg ${JSON.stringify(header.alg)} is not supported; use RS256.`);
  const iss = typeof claims.iss === 'string' ? claims.iss : null;
  if (!iss) return invalid('Invalid JWT: the iss claim is missing.');
  const publicKey = accounts.get(iss);
  if (!publicKey) return invalid('Invalid grant: account not found');
  const verifier = createVerify('RSA-SHA256');
  verifier.update(`${headerPart}.${payloadPart}`);
  if (!verifier.verify(createPublicKey(publicKey), Buffer.from(signaturePart, 'base64url'))) return invalid('Invalid JWT Signature.');
  if (typeof claims.aud !== 'string' || !audiences.includes(claims.aud)) return invalid(`Invalid JWT: the aud claim must be ${audiences[0]}.`);
  const now = Math.floor(nowMs / 1000);
  const { iat, exp } = claims;
  if (typeof iat !== 'number' || typeof exp !== 'number' || exp <= iat || exp - iat > 3600 || iat > now + 300 || exp < now) {
    return invalid('Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable timeframe. Check your iat and exp values in the JWT claim.');
  }
  const scope = typeof claims.scope === 'string' ? claims.scope.trim() : '';
  if (scope === '') return { ok: false, error: 'invalid_scope', description: 'Invalid OAuth scope or ID token audience provided.' };
  return { ok: true, clientEmail: iss, scope, expiresInSeconds: 3599 };
}
