/**
 * Certificates for the local cluster's mTLS, made with the `openssl` command at start: a CA; the frontend's server
 * certificate (`localhost`, `127.0.0.1`); an internode certificate the services present to each other; a client
 * certificate for workers and clients, one for the server's own system worker. P-256 keys, valid for two days.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

/** A certificate and its private key (PEM files). */
export interface CertPair {
  cert: string;
  key: string;
}

/** Everything the cluster and its clients need. */
export interface ClusterCerts {
  /** The CA certificate, trusted by every party. */
  ca: string;
  /** The frontend's certificate (serverAuth; also clientAuth). */
  frontend: CertPair;
  /** What services present to each other on internode connections (serverAuth and clientAuth). */
  internode: CertPair;
  /** The server's system worker, connecting to the frontend (clientAuth). */
  systemWorker: CertPair;
  /** Workers and clients of the project (clientAuth). */
  client: CertPair;
  /** The name the frontend's certificate is for, for `TEMPORAL_TLS_SERVER_NAME`. */
  serverName: string;
}

/** The DNS name in the server certificates. */
const CLUSTER_SERVER_NAME = 'localhost';
const VALID_DAYS = '2';

function openssl(args: string[], cwd: string): void {
  try {
    execFileSync('openssl', args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (err) {
    const e = err as { stderr?: Buffer; message: string };
    throw new Error(`openssl ${args[0]} failed: ${e.stderr ? String(e.stderr).trim() : e.message}`);
  }
}

const EC_KEY = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

/** A self-signed CA in `dir` (`<name>.pem`, `<name>.key`). */
export function makeCa(dir: string, name: string, subject: string): CertPair {
  fs.mkdirSync(dir, { recursive: true });
  const pair = { cert: path.join(dir, `${name}.pem`), key: path.join(dir, `${name}.key`) };
  openssl(
    [
      ...['req', '-x509', ...EC_KEY, '-keyout', pair.key, '-out', pair.cert, '-days', VALID_DAYS],
      ...['-subj', `/CN=${subject}`, '-addext', 'basicConstraints=critical,CA:TRUE'],
      ...['-addext', 'keyUsage=critical,keyCertSign,cRLSign'],
    ],
    dir,
  );
  return pair;
}

/** A leaf certificate signed by `ca`: `usage` serverAuth (with SANs localhost and 127.0.0.1) and/or clientAuth. */
export function makeLeaf(
  dir: string,
  ca: CertPair,
  name: string,
  commonName: string,
  usage: ('serverAuth' | 'clientAuth')[],
): CertPair {
  const pair = { cert: path.join(dir, `${name}.pem`), key: path.join(dir, `${name}.key`) };
  const csr = path.join(dir, `${name}.csr`);
  const ext = path.join(dir, `${name}.ext`);
  const lines = [
    'basicConstraints=critical,CA:FALSE',
    'keyUsage=critical,digitalSignature,keyEncipherment',
    `extendedKeyUsage=${usage.join(',')}`,
    usage.includes('serverAuth')
      ? `subjectAltName=DNS:${CLUSTER_SERVER_NAME},IP:127.0.0.1`
      : `subjectAltName=DNS:${commonName}`,
  ];
  fs.writeFileSync(ext, `${lines.join('\n')}\n`);
  openssl(['req', ...EC_KEY, '-keyout', pair.key, '-out', csr, '-subj', `/CN=${commonName}`], dir);
  openssl(
    [
      ...['x509', '-req', '-in', csr, '-CA', ca.cert, '-CAkey', ca.key, '-CAcreateserial'],
      ...['-out', pair.cert, '-days', VALID_DAYS, '-sha256', '-extfile', ext],
    ],
    dir,
  );
  fs.rmSync(csr);
  fs.rmSync(ext);
  return pair;
}

/** Makes the cluster's CA and certificates in `dir` (private keys readable by the owner only). */
export function makeClusterCerts(dir: string): ClusterCerts {
  const ca = makeCa(dir, 'ca', 'combine-papay local cluster CA');
  const certs: ClusterCerts = {
    ca: ca.cert,
    frontend: makeLeaf(dir, ca, 'frontend', 'temporal-frontend', ['serverAuth', 'clientAuth']),
    internode: makeLeaf(dir, ca, 'internode', 'temporal-internode', ['serverAuth', 'clientAuth']),
    systemWorker: makeLeaf(dir, ca, 'system-worker', 'temporal-system-worker', ['clientAuth']),
    client: makeLeaf(dir, ca, 'client', 'combine-papay-worker', ['clientAuth']),
    serverName: CLUSTER_SERVER_NAME,
  };
  for (const file of fs.readdirSync(dir)) if (file.endsWith('.key')) fs.chmodSync(path.join(dir, file), 0o600);
  return certs;
}
