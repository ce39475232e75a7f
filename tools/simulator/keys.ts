/**
 * The simulator's identities, generated on first start into a git-ignored data folder: a merchant key pair (the
 * worker signs with its private half), a WeChat Pay public key pair (`PUB_KEY_ID_…`) and a platform certificate pair.
 * Never real merchant keys.
 */
import { execFileSync } from 'node:child_process';
import { createPrivateKey, createPublicKey, generateKeyPairSync, randomBytes, type KeyObject } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

/** Files and ids of a simulator identity set. */
export interface SimulatorIdentity {
  dir: string;
  mchid: string;
  merchantSerial: string;
  merchantPrivateKeyPath: string;
  merchantPublicKey: KeyObject;
  publicKeyId: string;
  wechatpayPublicKeyPath: string;
  wechatpayPrivateKey: KeyObject;
  platformSerial: string;
  /** An X.509 certificate when openssl is available, else the public key PEM. */
  platformCertPath: string;
  platformPrivateKey: KeyObject;
}

interface Manifest {
  mchid: string;
  merchantSerial: string;
  publicKeyId: string;
  platformSerial: string;
}

const FILES = {
  manifest: 'simulator.json',
  merchantKey: 'merchant_private_key.pem',
  merchantPub: 'merchant_public_key.pem',
  wechatpayKey: 'wechatpay_private_key.pem',
  wechatpayPub: 'wechatpay_public_key.pem',
  platformKey: 'platform_private_key.pem',
  platformCert: 'platform_cert.pem',
} as const;

function rsaPair(): { privatePem: string; publicPem: string } {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return {
    privatePem: privateKey.export({ type: 'pkcs8', format: 'pem' }) as string,
    publicPem: publicKey.export({ type: 'spki', format: 'pem' }) as string,
  };
}

function writeSecret(file: string, content: string): void {
  fs.writeFileSync(file, content, { mode: 0o600 });
}

/** Loads the identity from `dir`, generating it on first use. */
export function loadOrCreateIdentity(dir: string): SimulatorIdentity {
  fs.mkdirSync(dir, { recursive: true });
  const at = (name: string): string => path.join(dir, name);
  if (!fs.existsSync(at(FILES.manifest))) {
    const merchant = rsaPair();
    const wechatpay = rsaPair();
    const platform = rsaPair();
    writeSecret(at(FILES.merchantKey), merchant.privatePem);
    fs.writeFileSync(at(FILES.merchantPub), merchant.publicPem);
    writeSecret(at(FILES.wechatpayKey), wechatpay.privatePem);
    fs.writeFileSync(at(FILES.wechatpayPub), wechatpay.publicPem);
    writeSecret(at(FILES.platformKey), platform.privatePem);
    const platformSerial = randomBytes(20).toString('hex').toUpperCase();
    if (!selfSignedCertificate(at(FILES.platformKey), at(FILES.platformCert), platformSerial)) {
      fs.writeFileSync(at(FILES.platformCert), platform.publicPem);
    }
    const manifest: Manifest = {
      mchid: '1900009191',
      merchantSerial: randomBytes(20).toString('hex').toUpperCase(),
      publicKeyId: `PUB_KEY_ID_0119000091912026${randomBytes(6).toString('hex').toUpperCase()}`,
      platformSerial,
    };
    fs.writeFileSync(at(FILES.manifest), `${JSON.stringify(manifest, null, 2)}\n`);
  }
  const manifest = JSON.parse(fs.readFileSync(at(FILES.manifest), 'utf8')) as Manifest;
  return {
    dir,
    ...manifest,
    merchantPrivateKeyPath: at(FILES.merchantKey),
    merchantPublicKey: createPublicKey(fs.readFileSync(at(FILES.merchantPub))),
    wechatpayPublicKeyPath: at(FILES.wechatpayPub),
    wechatpayPrivateKey: createPrivateKey(fs.readFileSync(at(FILES.wechatpayKey))),
    platformCertPath: at(FILES.platformCert),
    platformPrivateKey: createPrivateKey(fs.readFileSync(at(FILES.platformKey))),
  };
}

/** Writes a self-signed X.509 certificate with the given serial using the openssl command, if there is one. */
function selfSignedCertificate(keyFile: string, certFile: string, serialHex: string): boolean {
  try {
    execFileSync(
      'openssl',
      [
        'req',
        '-new',
        '-x509',
        '-key',
        keyFile,
        '-out',
        certFile,
        '-days',
        '3650',
        '-set_serial',
        `0x${serialHex}`,
        '-subj',
        '/O=Simulated Tenpay/CN=Simulated WeChat Pay Platform',
      ],
      { stdio: 'ignore' },
    );
    return true;
  } catch {
    return false;
  }
}

/**
 * The pay window floor of every stack on the simulator (tests, `npm start`, chaos, cluster, bench): their pay calls
 * are simulated and land at once, so the real one-minute floor would only make them slow. Never in production.
 */
export const SIMULATOR_PAY_WINDOW_FLOOR = '1s';

/**
 * The worker environment that points at this simulator identity (key paths, ids; no key material), with the
 * simulator's pay window floor ({@link SIMULATOR_PAY_WINDOW_FLOOR}).
 *
 * @param urls - the WeChat Pay peer, the compensation endpoint and, optionally, the payment confirmation endpoint
 *   (`PAYMENT_CONFIRMATION_URL`, set only when given)
 * @param mode - how the worker verifies answers: WeChat Pay public key (default) or platform certificate
 */
export function workerEnvFor(
  identity: SimulatorIdentity,
  urls: { wechatpay: string; compensation: string; confirmation?: string },
  mode: 'PUBLIC_KEY' | 'PLATFORM_CERT' = 'PUBLIC_KEY',
): Record<string, string> {
  return {
    WECHATPAY_BASE_URL: urls.wechatpay,
    WECHATPAY_MCHID: identity.mchid,
    WECHATPAY_MERCHANT_SERIAL: identity.merchantSerial,
    WECHATPAY_PRIVATE_KEY_PATH: identity.merchantPrivateKeyPath,
    ...(mode === 'PUBLIC_KEY'
      ? { WECHATPAY_PUBLIC_KEY_ID: identity.publicKeyId, WECHATPAY_PUBLIC_KEY_PATH: identity.wechatpayPublicKeyPath }
      : { WECHATPAY_PLATFORM_CERTS: `${identity.platformSerial}=${identity.platformCertPath}` }),
    COMPENSATION_URL: urls.compensation,
    ...(urls.confirmation !== undefined ? { PAYMENT_CONFIRMATION_URL: urls.confirmation } : {}),
    WECHATPAY_MIN_PAY_WINDOW: SIMULATOR_PAY_WINDOW_FLOOR,
    // The simulator's floor is a demo's and a test's: under the pay call's 60 s, said explicitly.
    WECHATPAY_SHORT_PAY_WINDOW: 'allow',
  };
}
