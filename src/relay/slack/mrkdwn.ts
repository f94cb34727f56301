// Making untrusted text (label values, annotations) safe inside Slack text objects.
//
// Slack parses `&`, `<` and `>` as control characters in mrkdwn (`<!channel>`, `<@U123>`,
// `<url|label>`), so they become `&amp;` `&lt;` `&gt;` and nothing else is entity-encoded
// (https://docs.slack.dev/messaging/formatting-message-text/#escaping). With `verbatim` left at its
// default, Slack also turns a bare `@here` / `@channel` / `@everyone` into a mention, so those words
// get an invisible word joiner after the `@`. Lengths are UTF-16 code units, as in limits.ts, and
// truncation never splits an entity or a surrogate pair.

export const ELLIPSIS = '…';

const MENTION_WORDS = /@(here|channel|everyone|group)\b/gi;
const WORD_JOINER = '\u2060';

/** Control characters other than newline and tab (they garble Slack and terminals alike). */
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g;

/** Removes control characters; keeps newlines and tabs. */
export function stripControl(raw: string): string {
  return raw.replace(CONTROL, '');
}

/** One line: control characters dropped, runs of whitespace (newlines included) become one space. */
export function oneLine(raw: string): string {
  return stripControl(raw).replace(/\s+/g, ' ').trim();
}

/** Turns `@here` and friends into text that Slack shows but does not notify. */
export function neutralizeMentions(raw: string): string {
  return raw.replace(MENTION_WORDS, `@${WORD_JOINER}$1`);
}

function escapeChar(c: string): string {
  return c === '&' ? '&amp;' : c === '<' ? '&lt;' : c === '>' ? '&gt;' : c;
}

/**
 * Escapes untrusted text for a mrkdwn text object: control characters, `& < >` and mentions
 * neutralised. When the escaped text would exceed `max` code units it is cut at a character
 * boundary and ends with an ellipsis (the result is then at most `max`).
 */
export function escapeMrkdwn(raw: string, max = Number.POSITIVE_INFINITY): string {
  const safe = neutralizeMentions(stripControl(raw));
  let out = '';
  for (const c of safe) out += escapeChar(c);
  if (out.length <= max) return out;
  const room = max - ELLIPSIS.length;
  out = '';
  for (const c of safe) {
    const e = escapeChar(c);
    if (out.length + e.length > room) break;
    out += e;
  }
  return out + ELLIPSIS;
}

/** Cuts plain text (no escaping) to at most `max` code units, ending with an ellipsis if cut. */
export function truncate(raw: string, max: number): string {
  if (raw.length <= max) return raw;
  const room = max - ELLIPSIS.length;
  let out = '';
  for (const c of raw) {
    if (out.length + c.length > room) break;
    out += c;
  }
  return out + ELLIPSIS;
}

/**
 * Untrusted text shown as inline code: no formatting applies inside, a backtick would end the span
 * (it becomes a look-alike), and line breaks would break it (they become spaces).
 */
export function codeSpan(raw: string, max = 200): string {
  const text = oneLine(raw).replace(/`/g, 'ˋ');
  return '`' + escapeMrkdwn(text.length === 0 ? ' ' : text, max - 2) + '`';
}

/** A mrkdwn link. `url` must already be a valid absolute URL; `label` is trusted, short text. */
export function mrkdwnLink(url: string, label: string): string {
  const href = url.replace(/\|/g, '%7C');
  let escaped = '';
  for (const c of href) escaped += escapeChar(c);
  return `<${escaped}|${label}>`;
}

/**
 * Cuts mrkdwn that is already escaped (or trusted, like a rendered template) to at most `max` code
 * units without leaving half an entity (`&am`) or half a link or mention (`<http://…`).
 */
export function truncateMrkdwn(text: string, max: number): string {
  if (text.length <= max) return text;
  let cut = truncate(text, max).slice(0, -ELLIPSIS.length);
  const amp = cut.lastIndexOf('&');
  if (amp >= 0 && !cut.slice(amp).includes(';')) cut = cut.slice(0, amp);
  const lt = cut.lastIndexOf('<');
  if (lt >= 0 && !cut.slice(lt).includes('>')) cut = cut.slice(0, lt);
  return cut + ELLIPSIS;
}
