// Exporter-style listen addresses (":9469", "127.0.0.1:9469", "[::1]:9469", "localhost:9469"),
// checked when the config is loaded so a typo fails `tocsin check-config`, not the start.
import { isIP } from 'node:net';

export interface ListenAddress {
  readonly host: string;
  readonly port: number;
}

// RFC 1123 host names: labels of letters, digits and inner hyphens.
const HOST_NAME = /^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\.?$/;

export function parseListenAddress(text: string): ListenAddress {
  const m = /^(?:\[([^\]]+)\]|([^:[\]]*)):(\d{1,5})$/.exec(text);
  const port = m ? Number(m[3]) : NaN;
  const host = m ? (m[1] ?? m[2]!) : '';
  const hostOk = m?.[1] !== undefined ? isIP(host) === 6 : host === '' || isIP(host) === 4 || HOST_NAME.test(host);
  if (!m || port > 65535 || !hostOk) {
    throw new Error(`invalid listen address ${JSON.stringify(text)}: expected [host]:port, e.g. ":9469", "127.0.0.1:9469" or "[::1]:9469"`);
  }
  // An empty host means every interface, as in Go's net.Listen; "::" also accepts IPv4 on Linux.
  return { host: host || '::', port };
}
