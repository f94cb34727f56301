// Real servers on 127.0.0.1 for the probe tests, one per way a target can behave, and a
// throwaway PKI (openssl CLI) with a valid and an expired server certificate.
import { execFileSync } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { createServer as createTcpServer, type Socket } from 'node:net';
import { join } from 'node:path';
import { WebSocketServer } from 'ws';
import { requireBinary } from '../helpers/bin.js';
import { tmpDir } from '../helpers/tmp.js';

interface Teardown {
  teardown(fn: () => unknown): void;
}

/** Listens on 127.0.0.1:0; closes (and destroys every open socket) at teardown. */
export async function listen(t: Teardown, server: Server | ReturnType<typeof createTcpServer>): Promise<number> {
  const sockets = new Set<Socket>();
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  t.teardown(async () => {
    for (const s of sockets) s.destroy();
    server.close();
  });
  return (server.address() as { port: number }).port;
}

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

/** Every HTTP behaviour the tests need, by path. */
export const httpRoutes: Record<string, Handler> = {
  '/healthy': (_req, res) => res.end('all good'),
  '/error': (_req, res) => {
    res.statusCode = 500;
    res.end('broken');
  },
  '/slow': (_req, res) => {
    const timer = setTimeout(() => res.end('late'), 3000);
    res.on('close', () => clearTimeout(timer));
  },
  // Reads the request and never answers.
  '/hang': () => undefined,
  // Headers at once, then one byte every 100 ms, forever.
  '/trickle': (_req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain' });
    const timer = setInterval(() => res.write('.'), 100);
    res.on('close', () => clearInterval(timer));
  },
  '/loop': (_req, res) => {
    res.writeHead(302, { location: '/loop' });
    res.end();
  },
  '/redirect': (_req, res) => {
    res.writeHead(301, { location: '/healthy' });
    res.end();
  },
  '/health.json': (_req, res) => {
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ status: 'ok', queue: { depth: 42 } }));
  },
  // 200 for user "probe" with password "s3cret-password" or the bearer token "s3cret-token", else 401.
  '/auth': (req, res) => {
    const ok = [`Basic ${Buffer.from('probe:s3cret-password').toString('base64')}`, 'Bearer s3cret-token'];
    res.statusCode = ok.includes(req.headers.authorization ?? '') ? 200 : 401;
    res.end();
  },
  '/echo-method': (req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => res.end(`${req.method} ${req.headers['x-probe'] ?? ''} ${body}`));
  },
};

const route: Handler = (req, res) => {
  const handler = httpRoutes[new URL(req.url ?? '/', 'http://x').pathname];
  if (handler) return handler(req, res);
  res.statusCode = 404;
  res.end();
};

export async function httpServer(t: Teardown): Promise<number> {
  return listen(t, createHttpServer(route));
}

export interface Pki {
  readonly caCert: string;
  readonly serverCert: string;
  readonly serverKey: string;
  readonly expiredCert: string;
  readonly expiredKey: string;
  /** notAfter of the valid and the expired certificate, Unix seconds. */
  readonly serverNotAfter: number;
  readonly expiredNotAfter: number;
}

/** A CA, a server certificate for 127.0.0.1 it signed, and an expired one (2020-01-02). */
export function makeProbePki(t: Teardown): Pki {
  const openssl = requireBinary('openssl', 'openssl');
  const dir = tmpDir(t, 'tocsin-probe-pki-');
  const p = (n: string) => join(dir, n);
  const run = (...args: string[]) => execFileSync(openssl, args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] }).toString();
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  mkdirSync(p('db'));
  writeFileSync(p('db/index.txt'), '');
  writeFileSync(p('db/serial'), '01\n');
  // `openssl ca` takes any -startdate/-enddate (OpenSSL 3.0's x509 and req refuse dates in the past).
  writeFileSync(
    p('ca.cnf'),
    '[ca]\ndefault_ca = d\n[d]\ndatabase = db/index.txt\nserial = db/serial\nnew_certs_dir = db\ndefault_md = sha256\npolicy = p\ncopy_extensions = copy\nunique_subject = no\n[p]\ncommonName = supplied\n',
  );
  run('req', '-x509', ...ec, '-keyout', p('ca.key'), '-out', p('ca.crt'), '-days', '30', '-subj', '/CN=Tocsin Test CA');
  const leaf = (name: string, dates: string[]) => {
    run('req', ...ec, '-keyout', p(`${name}.key`), '-out', p(`${name}.csr`), '-subj', `/CN=${name}`, '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost');
    run('ca', '-batch', '-config', p('ca.cnf'), '-cert', p('ca.crt'), '-keyfile', p('ca.key'), '-in', p(`${name}.csr`), '-out', p(`${name}.crt`), ...dates);
  };
  leaf('server', ['-days', '10']);
  leaf('expired', ['-startdate', '20200101000000Z', '-enddate', '20200102000000Z']);
  const notAfter = (name: string) => Date.parse(run('x509', '-in', p(`${name}.crt`), '-noout', '-enddate').trim().replace(/^notAfter=/, '')) / 1000;
  return {
    caCert: p('ca.crt'),
    serverCert: p('server.crt'),
    serverKey: p('server.key'),
    expiredCert: p('expired.crt'),
    expiredKey: p('expired.key'),
    serverNotAfter: notAfter('server'),
    expiredNotAfter: notAfter('expired'),
  };
}

export async function httpsServer(t: Teardown, cert: string, key: string): Promise<number> {
  return listen(t, createHttpsServer({ cert: readFileSync(cert), key: readFileSync(key) }, route));
}

/** WebSocket servers by path: echo, never reply, close at once after the handshake, refuse the upgrade. */
export async function webSocketServer(t: Teardown, tls?: { cert: string; key: string }): Promise<number> {
  const answer = (_req: IncomingMessage, res: ServerResponse) => {
    res.statusCode = 426;
    res.end('upgrade required');
  };
  const server = tls ? createHttpsServer({ cert: readFileSync(tls.cert), key: readFileSync(tls.key) }, answer) : createHttpServer(answer);
  const wss = new WebSocketServer({ noServer: true });
  // '/silent': the handshake completes; nothing is ever said, not even a pong.
  const silent = new WebSocketServer({ noServer: true, autoPong: false });
  server.on('upgrade', (req, socket, head) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    if (path === '/refuse') {
      socket.end('HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    if (path === '/drop') {
      socket.destroy();
      return;
    }
    if (path === '/silent') {
      silent.handleUpgrade(req, socket, head, () => undefined);
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      if (path === '/echo') ws.on('message', (m) => ws.send(`echo: ${m.toString()}`));
      if (path === '/close') ws.close(1001, 'going away');
    });
  });
  t.teardown(() => {
    wss.close();
    silent.close();
  });
  return listen(t, server);
}

/** TCP: `reply` answers each line with "pong <line>"; `silent` accepts and says nothing. */
export async function tcpServer(t: Teardown, kind: 'reply' | 'silent'): Promise<number> {
  return listen(
    t,
    createTcpServer((socket) => {
      socket.on('error', () => undefined);
      if (kind === 'reply') socket.on('data', (d) => socket.write(`pong ${d.toString()}`));
    }),
  );
}
