// The listen-address parser lives in config/ (the config check uses it); servers import it from here.
import type { Config } from '../config/schema.js';

export { parseListenAddress, type ListenAddress } from '../config/listen-address.js';

/** A listening server as the CLI and the stack hold it. */
export interface RunningServer {
  /** The address actually bound (useful with port 0). */
  readonly url: string;
  close(): Promise<void>;
  /**
   * Applies a reloaded config (already validated). Returns the config paths whose change
   * only a restart applies, compared with what the server started with.
   */
  reconfigure?(config: Config): Promise<string[]>;
}

/** The paths among `paths` (relative to `section`) whose value differs between `a` and `b`. */
export function changedPaths(section: string, a: object, b: object, paths: readonly string[]): string[] {
  const at = (o: object, key: string) => JSON.stringify((o as Record<string, unknown>)[key]);
  return paths.filter((key) => at(a, key) !== at(b, key)).map((key) => `${section}.${key}`);
}
