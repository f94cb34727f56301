// `tocsin stack`: the whole chain on one machine. The exporter and the relay run in this
// process; Prometheus (with the shipped rules) and Alertmanager (with the shipped config,
// pointed at the relay) run as children with a data directory of their own. With no Slack
// destination configured, the relay's console destination prints what it would post.
// Ctrl-C stops everything it started.
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { Config } from '../config/schema.js';
import { Secret } from '../config/secret.js';
import { startExporter } from '../exporter/server.js';
import type { RunningServer } from '../http/listen.js';
import { parseListenAddress } from '../http/listen.js';
import { startRelay, type RelayOptions } from '../relay/server.js';
import { findBinary } from './binaries.js';
import { startChild } from './child.js';
import { alertmanagerConfig, prometheusConfig } from './files.js';

export const INSTALL_HINT = 'apt-get install -y prometheus prometheus-alertmanager';

export interface StackOptions extends RelayOptions {
  readonly warn?: (text: string) => void;
}

/** "http://[::1]:9469" -> "127.0.0.1:9469": how Prometheus on this machine reaches it. */
function localTarget(url: string): string {
  return `127.0.0.1:${new URL(url).port}`;
}

export async function startStack(config: Config, logger: Logger, options: StackOptions = {}): Promise<RunningServer[]> {
  const sc = config.stack;
  const log = logger.child({ component: 'stack' });
  // Paths in the config are absolute already (resolved against the config file's directory).
  const dataDir = sc.data_dir;
  await mkdir(join(dataDir, 'prometheus'), { recursive: true });
  await mkdir(join(dataDir, 'alertmanager'), { recursive: true });

  // Alertmanager authenticates to the relay with a token from a file: use the configured
  // one, or make one for this data directory.
  const tokenFile = join(dataDir, 'relay-token');
  let token = config.relay.auth.bearerToken?.reveal();
  if (!token) {
    token = randomBytes(24).toString('base64url');
    config.relay.auth = { ...config.relay.auth, bearerToken: new Secret(token) };
  }
  await writeFile(tokenFile, `${token}\n`, { mode: 0o600 });

  const servers: RunningServer[] = [];
  const stopAll = async () => {
    for (const s of servers.reverse()) await s.close().catch(() => undefined);
  };
  try {
    const exporter = await startExporter(config, logger);
    servers.push(exporter);
    const relay = await startRelay(config, logger, options);
    servers.push(relay);

    const prometheusBin = findBinary(['prometheus']);
    const alertmanagerBin = findBinary(['prometheus-alertmanager', 'alertmanager']);
    if (!prometheusBin || !alertmanagerBin) {
      const missing = [!prometheusBin && 'prometheus', !alertmanagerBin && 'alertmanager'].filter(Boolean).join(' and ');
      const text = `tocsin stack: ${missing} not found on PATH, so only the exporter and the relay run. Install with: ${INSTALL_HINT}`;
      (options.warn ?? ((t: string) => process.stderr.write(`${t}\n`)))(text);
      log.warn({ missing }, 'prometheus/alertmanager missing: running exporter and relay only');
      return servers;
    }

    const promAddr = parseListenAddress(sc.prometheus_listen_address);
    const amAddr = parseListenAddress(sc.alertmanager_listen_address);
    const promHostPort = `${promAddr.host.includes(':') ? `[${promAddr.host}]` : promAddr.host}:${promAddr.port}`;
    const amHostPort = `${amAddr.host.includes(':') ? `[${amAddr.host}]` : amAddr.host}:${amAddr.port}`;

    const amFile = join(dataDir, 'alertmanager.yml');
    const shipped = await readFile(sc.alertmanager_config, 'utf8');
    await writeFile(amFile, alertmanagerConfig(shipped, `http://${localTarget(relay.url)}/hooks/alertmanager`, tokenFile));
    const alertmanager = await startChild(
      'alertmanager',
      alertmanagerBin,
      [
        `--config.file=${amFile}`,
        `--storage.path=${join(dataDir, 'alertmanager')}`,
        `--web.listen-address=${sc.alertmanager_listen_address}`,
        `--web.external-url=http://${amHostPort}`,
        '--cluster.listen-address=', // a single instance: no gossip port
      ],
      { logFile: join(dataDir, 'alertmanager.log'), readyUrl: `http://${amHostPort}/-/ready` },
    );
    servers.push({ url: `http://${amHostPort}`, close: alertmanager.stop });

    const promFile = join(dataDir, 'prometheus.yml');
    await writeFile(
      promFile,
      prometheusConfig({
        scrapeInterval: sc.scrape_interval,
        evaluationInterval: sc.evaluation_interval,
        ruleFiles: [join(sc.rules, '*.yml')],
        alertmanager: amHostPort,
        exporter: localTarget(exporter.url),
        relay: localTarget(relay.url),
        prometheus: promHostPort,
      }),
    );
    const prometheus = await startChild(
      'prometheus',
      prometheusBin,
      [
        `--config.file=${promFile}`,
        `--storage.tsdb.path=${join(dataDir, 'prometheus')}`,
        '--storage.tsdb.retention.time=2d',
        `--web.listen-address=${sc.prometheus_listen_address}`,
        `--web.external-url=http://${promHostPort}`,
      ],
      { logFile: join(dataDir, 'prometheus.log'), readyUrl: `http://${promHostPort}/-/ready` },
    );
    servers.push({ url: `http://${promHostPort}`, close: prometheus.stop });

    log.info(
      { exporter: exporter.url, relay: relay.url, prometheus: `http://${promHostPort}`, alertmanager: `http://${amHostPort}`, dataDir },
      'stack running: Ctrl-C stops everything',
    );
    return servers;
  } catch (err) {
    await stopAll();
    throw err;
  }
}
