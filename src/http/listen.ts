// The listen-address parser lives in config/ (the config check uses it); servers import it from here.
export { parseListenAddress, type ListenAddress } from '../config/listen-address.js';

/** A listening server as the CLI and the stack hold it. */
export interface RunningServer {
  /** The address actually bound (useful with port 0). */
  readonly url: string;
  close(): Promise<void>;
}
