import { generateKeyPairSync, verify } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { Ed25519KeyError, readEd25519PublicKey } from '../../src/util/ed25519-key.ts';

// RFC 8032, section 7.1, TEST 1: the public key and the signature of the empty message.
const RFC_PUBLIC_KEY = 'd75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a';
const RFC_SIGNATURE = 'e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b';

describe('readEd25519PublicKey', () => {
  it("reads RFC 8032's first test key from hex, and the key verifies that test's signature", () => {
    expect(verify(null, Buffer.alloc(0), readEd25519PublicKey(RFC_PUBLIC_KEY), Buffer.from(RFC_SIGNATURE, 'hex'))).toBe(true);
  });

  it('reads the same key from raw base64 and from base64url', () => {
    const raw = Buffer.from(RFC_PUBLIC_KEY, 'hex');
    const fromHex = readEd25519PublicKey(RFC_PUBLIC_KEY);
    expect(readEd25519PublicKey(raw.toString('base64')).equals(fromHex)).toBe(true);
    expect(readEd25519PublicKey(raw.toString('base64url')).equals(fromHex)).toBe(true);
  });

  it('reads a PEM with surrounding blank lines', () => {
    const { publicKey } = generateKeyPairSync('ed25519');
    expect(readEd25519PublicKey(`\n${publicKey.export({ type: 'spki', format: 'pem' }).toString()}\n`).equals(publicKey)).toBe(true);
  });

  it('refuses an RSA key, saying which type it is', () => {
    const rsa = generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey.export({ type: 'spki', format: 'pem' }).toString();
    expect(() => readEd25519PublicKey(rsa)).toThrow(Ed25519KeyError);
    expect(() => readEd25519PublicKey(rsa)).toThrow(/type rsa, not Ed25519/);
  });

  it('refuses 31 bytes of hex and text that is no key, naming the forms it takes', () => {
    expect(() => readEd25519PublicKey(RFC_PUBLIC_KEY.slice(2))).toThrow(/PEM .*base64 .*hex/);
    expect(() => readEd25519PublicKey('my app key')).toThrow(/PEM .*base64 .*hex/);
  });
});
