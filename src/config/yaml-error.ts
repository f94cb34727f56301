// A YAML syntax error, described without echoing secrets. The parser's own message quotes the
// lines around the error, and a config file can (wrongly) hold an inline webhook URL or token
// there: such lines are shown as hidden, so `check-config` output can be pasted into a ticket.
import { YAMLException } from 'js-yaml';

// Keys whose values are secrets, and values that look like one wherever they stand: URLs with a
// path or credentials, Slack tokens, long unbroken runs of token characters.
const SECRET_KEY = /(url|token|passw(or)?d|secret|credential|api[_-]?key|authorization|bearer)/i;
export const SECRET_VALUE = /([a-z][a-z0-9+.-]*:\/\/[^\s/]*(@|\/\S))|xox[a-z]-|[A-Za-z0-9+/_=-]{24,}/i;

const CONTEXT_LINES = 2;
const MAX_WIDTH = 80;

/** True when `line` may hold a secret, so it must not be shown. */
export function looksSecret(line: string): boolean {
  return SECRET_KEY.test(line) || SECRET_VALUE.test(line);
}

function hideSecrets(text: string): string {
  return text.replace(new RegExp(SECRET_VALUE.source, 'gi'), '<hidden>');
}

/** "bad indentation ... (line 5, column 6)" and the lines up to it, secret-looking ones hidden. */
export function describeYamlError(err: unknown, text: string): string {
  if (!(err instanceof YAMLException) || !err.mark) return `YAML: ${hideSecrets((err as Error).message ?? String(err))}`;
  const { line, column } = err.mark;
  const lines = text.split(/\r?\n/);
  const width = String(line + 1).length;
  const shown: string[] = [];
  for (let i = Math.max(0, line - CONTEXT_LINES); i <= line && i < lines.length; i++) {
    const content = lines[i]!;
    const safe = looksSecret(content)
      ? '(line hidden: it may hold a secret)'
      : content.length > MAX_WIDTH
        ? `${content.slice(0, MAX_WIDTH)} ...`
        : content;
    shown.push(`    ${String(i + 1).padStart(width)} | ${safe}`);
  }
  const caret = lines[line] !== undefined && !looksSecret(lines[line]!) && column <= MAX_WIDTH ? [`    ${' '.repeat(width)} | ${' '.repeat(column)}^`] : [];
  return [`YAML: ${hideSecrets(err.reason)} (line ${line + 1}, column ${column + 1})`, ...shown, ...caret].join('\n');
}
