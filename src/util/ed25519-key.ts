/**
 * An Ed25519 public key from text, in the forms vendors show one: PEM (SPKI), its body alone
 * (base64 of the 44-byte DER), the raw 32 bytes as base64 (or base64url), or the raw 32 bytes as
 * 64 hex characters. Pure: node:crypto parses, nothing is read or sent.
 *
 * ```ts
 * readEd25519PublicKey('d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a'); // RFC 8032's first test key
 * ```
 */
import { createPublicKey } from 'node:crypto';
import type { KeyObject } from 'node:crypto';

/** The DER of an Ed25519 SubjectPublicKeyInfo before its 32 key bytes (RFC 8410). */
export const ED25519_SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');

/** What `readEd25519PublicKey` accepts, for error messages. */
export const ED25519_KEY_FORMS = 'PEM (-----BEGIN PUBLIC KEY-----...), raw base64 (44 characters) or hex (64 characters)';

/** Why a text is not an Ed25519 public key; `message` says what it is instead and what was expected. */
export class Ed25519KeyError extends Error {
  override readonly name = 'Ed25519KeyError';
  constructor(message: string, readonly keyType?: string) {
    super(message);
  }
}

const HEX_64 = /^[0-9a-fA-F]{64}$/;
const BASE64 = /^[A-Za-z0-9+/_-]+={0,2}$/;

function fromDer(der: Buffer): KeyObject {
  return createPublicKey({ key: der, format: 'der', type: 'spki' });
}

function parse(text: string): KeyObject {
  // Secret stores often keep a PEM on one line with its breaks written as `\n`.
  const value = (text.includes('\\n') ? text.replaceAll('\\n', '\n') : text).trim();
  if (value.includes('-----BEGIN')) return createPublicKey(value);
  if (HEX_64.test(value)) return fromDer(Buffer.concat([ED25519_SPKI_PREFIX, Buffer.from(value, 'hex')]));
  const compact = value.replace(/\s+/g, '');
  if (!BASE64.test(compact)) throw new Ed25519KeyError(`not a public key: expected ${ED25519_KEY_FORMS}`);
  const bytes = Buffer.from(compact.replaceAll('-', '+').replaceAll('_', '/'), 'base64');
  if (bytes.length === 32) return fromDer(Buffer.concat([ED25519_SPKI_PREFIX, bytes]));
  // A PEM's body without its armour: the DER of any SPKI key.
  return fromDer(bytes);
}

/** The key, or an `Ed25519KeyError` saying what the text is and which forms are expected. */
export function readEd25519PublicKey(text: string): KeyObject {
  let key: KeyObject;
  try {
    key = parse(text);
  } catch (error) {
    if (error instanceof Ed25519KeyError) throw error;
    throw new Ed25519KeyError(`not a public key${text.includes('-----BEGIN') ? ' (the PEM does not parse: paste it whole, BEGIN and END lines included)' : ''}: expected ${ED25519_KEY_FORMS}`);
  }
  if (key.asymmetricKeyType !== 'ed25519') {
    throw new Ed25519KeyError(`a key of type ${key.asymmetricKeyType ?? 'unknown'}, not Ed25519: expected an Ed25519 public key as ${ED25519_KEY_FORMS}`, key.asymmetricKeyType);
  }
  return key;
}
