// Probe targets for a `tocsin stack` that needs probe series (the live dashboard test, the
// dashboard pictures): real servers on loopback (test/probes/servers.ts) and the
// exporter.probes YAML that checks them every second.
import { freePort } from './net.js';
import { httpServer, httpsServer, makeProbePki, webSocketServer } from '../probes/servers.js';

interface Teardown {
  teardown(fn: () => unknown): void;
}

/**
 * Healthy targets in two environments: an HTTP site, an HTTPS site (a certificate of a
 * throwaway CA, so certificate expiry has a value) and a WebSocket server. `failing` adds an
 * HTTP endpoint answering 500 and a closed TCP port (notifications off, in a maintenance window
 * open from an hour before to a day after the call). Returns the YAML of
 * exporter.probes for startStack's `probes` option.
 */
export async function probeTargets(t: Teardown, options: { failing?: boolean } = {}): Promise<string> {
  const pki = makeProbePki(t);
  const [http, https, ws] = await Promise.all([httpServer(t), httpsServer(t, pki.serverCert, pki.serverKey), webSocketServer(t)]);
  // Checked every second with a half-second timeout: the stack's Prometheus scrapes every second.
  const every = 'interval: 1s, timeout: 500ms';
  const targets = [
    `{name: web, type: http, address: 'http://127.0.0.1:${http}/healthy', environment: LIVE, ${every}}`,
    `{name: shop, type: https, address: 'https://127.0.0.1:${https}/healthy', environment: LIVE, tls: {ca_file: '${pki.caCert}'}, ${every}}`,
    `{name: chat, type: websocket, address: 'ws://127.0.0.1:${ws}/', environment: STAGE, ${every}}`,
  ];
  if (options.failing === true) {
    const window = `{start: '${new Date(Date.now() - 3600_000).toISOString()}', end: '${new Date(Date.now() + 86400_000).toISOString()}'}`;
    targets.push(
      `{name: api, type: http, address: 'http://127.0.0.1:${http}/error', environment: STAGE, ${every}}`,
      `{name: queue, type: tcp, address: '127.0.0.1:${await freePort()}', environment: DEV, notify: false, maintenance: [${window}], ${every}}`,
    );
  }
  return `    targets:\n${targets.map((x) => `      - ${x}`).join('\n')}`;
}
