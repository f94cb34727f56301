// Alertmanager-style label matchers: `severity="critical"`, `instance=~"web-.*"`,
// `env!="dev"`, `team!~"a|b"`. Regexes are anchored, as in Alertmanager.
export type MatchOp = '=' | '!=' | '=~' | '!~';

export interface Matcher {
  readonly name: string;
  readonly op: MatchOp;
  readonly value: string;
  matches(labels: Readonly<Record<string, string>>): boolean;
}

const SYNTAX = /^\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*(=~|!~|!=|=)\s*(?:"((?:[^"\\]|\\.)*)"|([^\s"]*))\s*$/;

export function parseMatcher(text: string): Matcher {
  const m = SYNTAX.exec(text);
  if (!m) throw new Error(`invalid matcher ${JSON.stringify(text)}: expected name="value", name!="value", name=~"regex" or name!~"regex"`);
  const name = m[1]!;
  const op = m[2] as MatchOp;
  const value = m[3] !== undefined ? m[3].replace(/\\(.)/g, '$1') : m[4]!;
  let re: RegExp | undefined;
  if (op === '=~' || op === '!~') {
    try {
      re = new RegExp(`^(?:${value})$`);
    } catch (err) {
      throw new Error(`invalid matcher ${JSON.stringify(text)}: ${(err as Error).message}`);
    }
  }
  return {
    name,
    op,
    value,
    // A missing label matches as the empty string, as in Alertmanager.
    matches(labels) {
      const v = labels[name] ?? '';
      switch (op) {
        case '=':
          return v === value;
        case '!=':
          return v !== value;
        case '=~':
          return re!.test(v);
        case '!~':
          return !re!.test(v);
      }
    },
  };
}
