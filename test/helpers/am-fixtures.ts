// Alertmanager 0.25 webhook payloads captured from a real Alertmanager (see
// test/fixtures/alertmanager/README.md), loaded relative to this file so a clone in any
// directory finds them.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { AlertmanagerNotification } from '../../src/relay/types.js';

export const AM_FIXTURES_DIR = fileURLToPath(new URL('../fixtures/alertmanager/', import.meta.url));

/** The JSON body of one captured payload, by file name without `.json`. */
export function amFixture(name: string): AlertmanagerNotification {
  const file = name.endsWith('.json') ? name : `${name}.json`;
  return (JSON.parse(readFileSync(AM_FIXTURES_DIR + file, 'utf8')) as { body: AlertmanagerNotification }).body;
}

/** The same body as plain mutable JSON, for tests that break it on purpose. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function amFixtureJson(name: string): any {
  return structuredClone(amFixture(name));
}
