// TCP probe: connect (optionally TLS) within the timeout; optionally send a line and wait
// for a reply matching `expect`. A server that accepts and never answers fails with
// tcp_no_reply when a reply was expected.
import { parseHostPort } from '../../config/probes.js';
import { asFailure, CheckRecord, connect, untilAborted } from './connect.js';
import { ProbeFailure, type ProbeResult, type Prober } from './prober.js';

const MAX_REPLY_CHARS = 64 * 1024;

export const probeTcp: Prober = async (target, signal) => {
  const check = new CheckRecord();
  const phases = check.phases;
  const result = (fields: Partial<ProbeResult> & { success: boolean }) => check.result(fields);
  const { host, port } = parseHostPort(target.address)!;
  try {
    const conn = await connect({ host, port, ...(target.tcp.tls ? { tls: target.tls } : {}) }, phases, signal, (info) => (check.tls = info));
    check.ipProtocol = conn.ipProtocol;
    const { socket } = conn;
    try {
      const { send, expect } = target.tcp;
      if (send !== undefined) socket.write(`${send}\n`);
      if (expect !== undefined) {
        const pattern = new RegExp(expect);
        await untilAborted(
          signal,
          new Promise<void>((ok, fail) => {
            let text = '';
            socket.setEncoding('utf8');
            socket.on('data', (chunk: string) => {
              text = (text + chunk).slice(-MAX_REPLY_CHARS);
              if (pattern.test(text)) ok();
            });
            socket.once('end', () => fail(new ProbeFailure('tcp_no_reply', text ? `the reply does not match /${expect}/` : 'the connection closed without a reply')));
            socket.once('error', fail);
          }),
        ).catch((err: unknown) => {
          const failure = asFailure(err);
          throw failure.reason === 'timeout' ? new ProbeFailure('tcp_no_reply', `no reply matching /${expect}/ within the timeout`) : failure;
        });
      }
      return result({ success: true });
    } finally {
      socket.destroy();
    }
  } catch (err) {
    const failure = asFailure(err);
    return result({ success: false, reason: failure.reason, message: failure.message });
  }
};
