// A throwaway PKI for TLS tests, made with the openssl CLI in a temp directory: a CA, a server
// certificate for 127.0.0.1/localhost and a client certificate, both signed by the CA, and a
// second CA that signed nothing here (a client certificate from it must be refused).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { requireBinary } from './bin.js';

export interface Pki {
  readonly dir: string;
  readonly caCert: string;
  readonly serverCert: string;
  readonly serverKey: string;
  readonly clientCert: string;
  readonly clientKey: string;
  /** The other CA, and a server certificate for 127.0.0.1 it signed (a rotated certificate). */
  readonly strangerCaCert: string;
  readonly rotatedCert: string;
  readonly rotatedKey: string;
  /** A client certificate signed by another CA. */
  readonly strangerCert: string;
  readonly strangerKey: string;
  remove(): void;
}

export function makePki(): Pki {
  const openssl = requireBinary('openssl', 'openssl');
  const dir = mkdtempSync(join(tmpdir(), 'tocsin-pki-'));
  const p = (name: string) => join(dir, name);
  const run = (...args: string[]) => execFileSync(openssl, args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  const ca = (name: string) => run('req', '-x509', ...ec, '-keyout', p(`${name}.key`), '-out', p(`${name}.crt`), '-days', '2', '-subj', `/CN=${name}`);
  const leaf = (name: string, signer: string, ext: string) => {
    writeFileSync(p(`${name}.ext`), ext);
    run('req', ...ec, '-keyout', p(`${name}.key`), '-out', p(`${name}.csr`), '-subj', `/CN=${name}`);
    run('x509', '-req', '-in', p(`${name}.csr`), '-CA', p(`${signer}.crt`), '-CAkey', p(`${signer}.key`), '-CAcreateserial', '-out', p(`${name}.crt`), '-days', '2', '-extfile', p(`${name}.ext`));
  };
  ca('ca');
  ca('stranger-ca');
  leaf('server', 'ca', 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n');
  leaf('client', 'ca', 'extendedKeyUsage=clientAuth\n');
  leaf('stranger', 'stranger-ca', 'extendedKeyUsage=clientAuth\n');
  leaf('rotated', 'stranger-ca', 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n');
  return {
    dir,
    caCert: p('ca.crt'),
    serverCert: p('server.crt'),
    serverKey: p('server.key'),
    clientCert: p('client.crt'),
    clientKey: p('client.key'),
    strangerCaCert: p('stranger-ca.crt'),
    rotatedCert: p('rotated.crt'),
    rotatedKey: p('rotated.key'),
    strangerCert: p('stranger.crt'),
    strangerKey: p('stranger.key'),
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}

export interface CurlResult {
  /** curl's exit code: 0 when a response came, 60 for an unknown CA, 35/56 for a refused handshake. */
  readonly exit: number;
  /** The HTTP status, or 0 without a response. */
  readonly status: number;
  readonly stderr: string;
}

/** Runs curl asynchronously (an in-process server must keep answering) with a 10 s cap. */
export async function curl(args: readonly string[]): Promise<CurlResult> {
  const bin = requireBinary('curl', 'curl');
  const { execFile } = await import('node:child_process');
  return new Promise((resolve) => {
    execFile(bin, ['-sS', '-o', '/dev/null', '-w', '%{http_code}', '--max-time', '10', ...args], { encoding: 'utf8' }, (err, stdout, stderr) => {
      const exit = err ? (typeof err.code === 'number' ? err.code : -1) : 0;
      resolve({ exit, status: Number(stdout) || 0, stderr });
    });
  });
}
