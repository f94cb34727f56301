// Slack's limits on a message, and a validator that rejects what Slack would reject.
//
// Sources (checked 2026):
// - Block Kit reference, https://docs.slack.dev/reference/block-kit/blocks/ : header text <= 150
//   (plain_text only); section text <= 3000, fields <= 10 of <= 2000 each; context <= 10 elements;
//   actions "a maximum of 25 elements" (older docs and SDKs said 5); block_id <= 255.
// - Button element, https://docs.slack.dev/reference/block-kit/block-elements/button-element :
//   text <= 75 (plain_text), url <= 3000, action_id <= 255, value <= 2000.
// - chat.postMessage, https://docs.slack.dev/reference/methods/chat.postMessage : up to 50 blocks
//   per message; `text` is truncated beyond 40,000 characters (best kept under 4,000).
// - Cumulative size: Slack answers `msg_blocks_too_long` for messages whose blocks hold more than
//   about 12,000-13,000 characters of text in total although every single block is within its own
//   limit (slackapi/bolt-js#2509, #2867; the markdown block documents 12,000 cumulative characters).
//   We therefore cap the text in blocks at 12,000 characters and the whole JSON at 16 KB, a size
//   webhook senders have long used safely, and the formatter aims lower still (TARGET_MESSAGE_BYTES).

export const SLACK_LIMITS = {
  /** Blocks in one message (and in one attachment). */
  blocksPerMessage: 50,
  headerText: 150,
  sectionText: 3000,
  sectionFields: 10,
  sectionFieldText: 2000,
  contextElements: 10,
  /** Text of one context element; Slack documents the text object limit, 3000. */
  contextElementText: 3000,
  /** Current docs say 25; 5 was the limit for years (and still is in some SDKs' validators). */
  actionsElements: 25,
  buttonText: 75,
  buttonUrl: 3000,
  buttonValue: 2000,
  actionId: 255,
  blockId: 255,
  /** Top-level fallback `text`: Slack truncates beyond this. */
  messageText: 40_000,
  /** Legacy attachments per message. */
  attachments: 100,
  /** Sum of all text in the message's blocks (see msg_blocks_too_long above). */
  blocksTextTotal: 12_000,
  /** Whole message serialised as JSON, in UTF-8 bytes. */
  messageBytes: 16_000,
} as const;

/** What the formatter aims for: well inside every limit above. */
export const TARGET_MESSAGE_BYTES = 12_000;
/** Buttons per actions block we emit: 5 works with every Slack client and SDK validator. */
export const MAX_BUTTONS_PER_ACTIONS = 5;
/** Fallback text we emit: a notification line, not a report. */
export const MAX_FALLBACK_TEXT = 500;

const BLOCK_TYPES = new Set(['header', 'section', 'context', 'actions', 'divider', 'image', 'rich_text', 'markdown']);
const ATTACHMENT_COLORS = /^(#[0-9a-fA-F]{6}|#[0-9a-fA-F]{3}|good|warning|danger)$/;

type Obj = Record<string, unknown>;

function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Slack does not say how it counts characters; UTF-16 code units is the stricter of the readings. */
function len(s: string): number {
  return s.length;
}

/** True for an absolute http(s) URL that Slack accepts in a button. */
export function isValidButtonUrl(url: string): boolean {
  if (url.length === 0 || url.length > SLACK_LIMITS.buttonUrl) return false;
  if (/\s/.test(url)) return false;
  try {
    const u = new URL(url);
    return (u.protocol === 'http:' || u.protocol === 'https:') && u.hostname !== '';
  } catch {
    return false;
  }
}

function checkTextObject(where: string, t: unknown, max: number, problems: string[], plainOnly = false): void {
  if (!isObj(t)) {
    problems.push(`${where}: missing text object`);
    return;
  }
  if (t.type !== 'plain_text' && t.type !== 'mrkdwn') problems.push(`${where}: text type must be plain_text or mrkdwn`);
  if (plainOnly && t.type !== 'plain_text') problems.push(`${where}: must be plain_text`);
  if (typeof t.text !== 'string' || t.text.length === 0) {
    problems.push(`${where}: text must be a non-empty string`);
    return;
  }
  const n = len(t.text);
  if (n > max) problems.push(`${where}: text is ${n} characters, limit ${max}`);
}

function checkButton(where: string, e: Obj, problems: string[]): void {
  checkTextObject(`${where}.text`, e.text, SLACK_LIMITS.buttonText, problems, true);
  if (e.url !== undefined) {
    if (typeof e.url !== 'string' || !isValidButtonUrl(e.url)) {
      problems.push(`${where}.url: not a valid http(s) URL of at most ${SLACK_LIMITS.buttonUrl} characters`);
    }
  }
  if (e.action_id !== undefined && (typeof e.action_id !== 'string' || e.action_id.length > SLACK_LIMITS.actionId)) {
    problems.push(`${where}.action_id: must be a string of at most ${SLACK_LIMITS.actionId} characters`);
  }
  if (e.value !== undefined && (typeof e.value !== 'string' || e.value.length > SLACK_LIMITS.buttonValue)) {
    problems.push(`${where}.value: must be a string of at most ${SLACK_LIMITS.buttonValue} characters`);
  }
  if (e.style !== undefined && e.style !== 'primary' && e.style !== 'danger') {
    problems.push(`${where}.style: must be primary or danger`);
  }
}

function checkBlock(where: string, b: unknown, problems: string[], blockIds: Set<string>): void {
  if (!isObj(b) || typeof b.type !== 'string') {
    problems.push(`${where}: not a block`);
    return;
  }
  if (!BLOCK_TYPES.has(b.type)) problems.push(`${where}: unknown block type ${JSON.stringify(b.type)}`);
  if (b.block_id !== undefined) {
    if (typeof b.block_id !== 'string' || b.block_id.length === 0 || b.block_id.length > SLACK_LIMITS.blockId) {
      problems.push(`${where}.block_id: must be 1-${SLACK_LIMITS.blockId} characters`);
    } else if (blockIds.has(b.block_id)) {
      problems.push(`${where}.block_id: duplicate ${JSON.stringify(b.block_id)}`);
    } else {
      blockIds.add(b.block_id);
    }
  }
  switch (b.type) {
    case 'header':
      checkTextObject(`${where}.text`, b.text, SLACK_LIMITS.headerText, problems, true);
      break;
    case 'section': {
      if (b.text === undefined && b.fields === undefined) problems.push(`${where}: section needs text or fields`);
      if (b.text !== undefined) checkTextObject(`${where}.text`, b.text, SLACK_LIMITS.sectionText, problems);
      if (b.fields !== undefined) {
        if (!Array.isArray(b.fields) || b.fields.length === 0 || b.fields.length > SLACK_LIMITS.sectionFields) {
          problems.push(`${where}.fields: 1-${SLACK_LIMITS.sectionFields} text objects`);
        } else {
          b.fields.forEach((f, i) => checkTextObject(`${where}.fields[${i}]`, f, SLACK_LIMITS.sectionFieldText, problems));
        }
      }
      if (isObj(b.accessory) && b.accessory.type === 'button') checkButton(`${where}.accessory`, b.accessory, problems);
      break;
    }
    case 'context': {
      const els = b.elements;
      if (!Array.isArray(els) || els.length === 0 || els.length > SLACK_LIMITS.contextElements) {
        problems.push(`${where}.elements: 1-${SLACK_LIMITS.contextElements} elements`);
        break;
      }
      els.forEach((e, i) => {
        if (isObj(e) && e.type === 'image') return;
        checkTextObject(`${where}.elements[${i}]`, e, SLACK_LIMITS.contextElementText, problems);
      });
      break;
    }
    case 'actions': {
      const els = b.elements;
      if (!Array.isArray(els) || els.length === 0 || els.length > SLACK_LIMITS.actionsElements) {
        problems.push(`${where}.elements: 1-${SLACK_LIMITS.actionsElements} elements`);
        break;
      }
      els.forEach((e, i) => {
        if (!isObj(e)) problems.push(`${where}.elements[${i}]: not an element`);
        else if (e.type === 'button') checkButton(`${where}.elements[${i}]`, e, problems);
      });
      break;
    }
    default:
      break;
  }
}

function sumBlockText(v: unknown): number {
  if (Array.isArray(v)) return v.reduce((n: number, x) => n + sumBlockText(x), 0);
  if (!isObj(v)) return 0;
  let n = 0;
  for (const [k, x] of Object.entries(v)) {
    if (k === 'text' && typeof x === 'string') n += len(x);
    else if (typeof x === 'object') n += sumBlockText(x);
  }
  return n;
}

function checkBlocks(where: string, blocks: unknown, problems: string[]): number {
  if (!Array.isArray(blocks)) {
    problems.push(`${where}: must be an array`);
    return 0;
  }
  if (blocks.length > SLACK_LIMITS.blocksPerMessage) {
    problems.push(`${where}: ${blocks.length} blocks, limit ${SLACK_LIMITS.blocksPerMessage}`);
  }
  const ids = new Set<string>();
  blocks.forEach((b, i) => checkBlock(`${where}[${i}]`, b, problems, ids));
  return sumBlockText(blocks);
}

/**
 * Everything wrong with a message from Slack's point of view, as readable strings; empty when Slack
 * would accept it. Used by the formatter's tests and by the fake Slack server (which answers
 * `invalid_blocks` when this is non-empty).
 */
export function checkSlackLimits(message: unknown): string[] {
  if (!isObj(message)) return ['message: not a JSON object'];
  const msg = message as Obj;
  const problems: string[] = [];
  if (msg.text !== undefined && typeof msg.text !== 'string') {
    problems.push('text: must be a string');
  } else if (typeof msg.text === 'string' && len(msg.text) > SLACK_LIMITS.messageText) {
    problems.push(`text: ${len(msg.text)} characters, limit ${SLACK_LIMITS.messageText}`);
  } else if (!msg.text && msg.blocks === undefined && msg.attachments === undefined) {
    // With blocks or attachments Slack only warns about a missing fallback; without, it answers no_text.
    problems.push('text: a message without blocks or attachments needs a non-empty text (no_text)');
  }
  let blockText = 0;
  if (msg.blocks !== undefined) blockText += checkBlocks('blocks', msg.blocks, problems);
  if (msg.attachments !== undefined) {
    if (!Array.isArray(msg.attachments)) {
      problems.push('attachments: must be an array');
    } else {
      if (msg.attachments.length > SLACK_LIMITS.attachments) {
        problems.push(`attachments: ${msg.attachments.length}, limit ${SLACK_LIMITS.attachments}`);
      }
      msg.attachments.forEach((a, i) => {
        if (!isObj(a)) {
          problems.push(`attachments[${i}]: not an object`);
          return;
        }
        if (a.color !== undefined && (typeof a.color !== 'string' || !ATTACHMENT_COLORS.test(a.color))) {
          problems.push(`attachments[${i}].color: must be #rrggbb, good, warning or danger`);
        }
        if (a.blocks !== undefined) blockText += checkBlocks(`attachments[${i}].blocks`, a.blocks, problems);
      });
    }
  }
  if (blockText > SLACK_LIMITS.blocksTextTotal) {
    problems.push(`blocks: ${blockText} characters of text in total, limit ${SLACK_LIMITS.blocksTextTotal} (msg_blocks_too_long)`);
  }
  const bytes = Buffer.byteLength(JSON.stringify(msg), 'utf8');
  if (bytes > SLACK_LIMITS.messageBytes) {
    problems.push(`message: ${bytes} bytes of JSON, limit ${SLACK_LIMITS.messageBytes}`);
  }
  return problems;
}
