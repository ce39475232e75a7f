/**
 * Key loading: PEM files are read once, turned into KeyObjects and never echoed. Errors name the setting, not the
 * content.
 */
import { X509Certificate, createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';
import fs from 'node:fs';

/** A configuration problem, naming the environment variable (or setting) at fault. */
export class ConfigError extends Error {
  constructor(
    readonly setting: string,
    problem: string,
  ) {
    super(`${setting} ${problem}`);
    this.name = 'ConfigError';
  }
}

function readPem(setting: string, file: string): Buffer {
  try {
    return fs.readFileSync(file);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'unreadable';
    throw new ConfigError(setting, `points at ${file}, which cannot be read (${code})`);
  }
}

/** Loads the merchant API private key (PKCS#8 or PKCS#1 PEM) as a KeyObject. */
export function loadPrivateKey(setting: string, file: string): KeyObject {
  const pem = readPem(setting, file);
  try {
    const key = createPrivateKey(pem);
    if (key.asymmetricKeyType !== 'rsa') throw new Error('not RSA');
    return key;
  } catch {
    throw new ConfigError(setting, `points at ${file}, which does not hold an RSA private key in PEM form`);
  }
}

/** Loads a public key, from a public key PEM or an X.509 certificate PEM, as a KeyObject. */
export function loadPublicKey(setting: string, file: string): KeyObject {
  const pem = readPem(setting, file);
  try {
    const key = createPublicKey(pem);
    if (key.asymmetricKeyType !== 'rsa') throw new Error('not RSA');
    return key;
  } catch {
    throw new ConfigError(
      setting,
      `points at ${file}, which does not hold an RSA public key or certificate in PEM form`,
    );
  }
}

/** Loads an X.509 certificate PEM (the merchant API certificate, `apiclient_cert.pem`). */
export function loadCertificate(setting: string, file: string): X509Certificate {
  const pem = readPem(setting, file);
  try {
    return new X509Certificate(pem);
  } catch {
    throw new ConfigError(setting, `points at ${file}, which does not hold an X.509 certificate in PEM form`);
  }
}

/** Two certificate serials in hex are the same number (case and leading zeros aside). */
export function sameSerial(a: string, b: string): boolean {
  const norm = (s: string): string => s.toUpperCase().replace(/^0+/, '');
  return norm(a) === norm(b);
}
