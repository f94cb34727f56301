// Parses exporter-style listen addresses: ":9469", "127.0.0.1:9469", "[::1]:9469".
export interface ListenAddress {
  readonly host: string;
  readonly port: number;
}

export function parseListenAddress(text: string): ListenAddress {
  const m = /^(?:\[([^\]]+)\]|([^:]*)):(\d{1,5})$/.exec(text);
  const port = m ? Number(m[3]) : NaN;
  if (!m || port > 65535) {
    throw new Error(`invalid listen address ${JSON.stringify(text)}: expected [host]:port, e.g. ":9469" or "127.0.0.1:9469"`);
  }
  // An empty host means every interface, as in Go's net.Listen; "::" also accepts IPv4 on Linux.
  return { host: m[1] ?? (m[2] || '::'), port };
}

/** A listening server as the CLI and the stack hold it. */
export interface RunningServer {
  /** The address actually bound (useful with port 0). */
  readonly url: string;
  close(): Promise<void>;
}
