// WebSocket probe (ws): connect and shake hands within the timeout (connect.ts times the
// TCP and TLS phases), then optionally send a message and wait for a reply matching
// `expect`, or ping and wait for the pong; then close cleanly.
import WebSocket from 'ws';
import { asFailure, CheckRecord, connect, untilAborted } from './connect.js';
import { ProbeFailure, type ProbeResult, type Prober } from './prober.js';

/** How long a clean close may take before the socket is cut (the check has already passed). */
const CLOSE_GRACE_MS = 1000;

export const probeWebSocket: Prober = async (target, signal) => {
  const check = new CheckRecord();
  const phases = check.phases;
  const result = (fields: Partial<ProbeResult> & { success: boolean }) => check.result(fields);
  const url = new URL(target.address);
  const secure = url.protocol === 'wss:';
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  const port = Number(url.port) || (secure ? 443 : 80);
  try {
    const conn = await connect({ host, port, ...(secure ? { tls: target.tls, alpn: ['http/1.1'] } : {}) }, phases, signal, (info) => (check.tls = info));
    check.ipProtocol = conn.ipProtocol;
    const ws = new WebSocket(url, { createConnection: () => conn.socket, headers: { 'user-agent': 'Tocsin probe' } });
    ws.on('error', () => undefined); // every error is handled below through the promises
    try {
      await untilAborted(
        signal,
        new Promise<void>((ok, fail) => {
          ws.once('open', ok);
          ws.once('unexpected-response', (_req, res) => fail(new ProbeFailure('websocket_handshake', `the server answered the upgrade with HTTP ${res.statusCode}`)));
          ws.once('error', (err) => {
            const reason = asFailure(err).reason;
            fail(new ProbeFailure(reason === 'timeout' ? reason : 'websocket_handshake', `handshake: ${err.message}`));
          });
          ws.once('close', () => fail(new ProbeFailure('websocket_handshake', 'the connection closed during the handshake')));
        }),
      );
      const { send, expect, ping } = target.websocket;
      if (send !== undefined || expect !== undefined || ping) {
        const pattern = expect !== undefined ? new RegExp(expect) : undefined;
        await untilAborted(
          signal,
          new Promise<void>((ok, fail) => {
            if (ping) {
              ws.once('pong', () => ok());
              ws.ping();
            } else {
              ws.on('message', (data) => {
                const text = Buffer.isBuffer(data) ? data.toString('utf8') : Array.isArray(data) ? Buffer.concat(data).toString('utf8') : Buffer.from(data).toString('utf8');
                if (!pattern || pattern.test(text)) ok();
              });
              if (send !== undefined) ws.send(send);
            }
            ws.once('close', (code) => fail(new ProbeFailure('websocket_no_reply', `the server closed the connection (code ${code}) before ${ping ? 'the pong' : 'a matching reply'}`)));
          }),
        ).catch((err: unknown) => {
          const failure = asFailure(err);
          throw failure.reason === 'timeout' ? new ProbeFailure('websocket_no_reply', `no ${ping ? 'pong' : 'matching reply'} within the timeout`) : failure;
        });
      }
      await closeCleanly(ws);
      return result({ success: true });
    } finally {
      ws.terminate();
      conn.socket.destroy();
    }
  } catch (err) {
    const failure = asFailure(err);
    return result({ success: false, reason: failure.reason, message: failure.message });
  }
};

async function closeCleanly(ws: WebSocket): Promise<void> {
  if (ws.readyState !== WebSocket.OPEN) return;
  await new Promise<void>((done) => {
    const timer = setTimeout(done, CLOSE_GRACE_MS);
    ws.once('close', () => {
      clearTimeout(timer);
      done();
    });
    ws.close(1000);
  });
}
