// The fixed failure reasons in words for people (the status page), next to the label value
// that rules and metrics use. A reason added later without words here shows as its label
// value with spaces, never as nothing.
const WORDS: Readonly<Record<string, string>> = {
  timeout: 'No answer within the timeout',
  dns: 'The name does not resolve',
  connection_refused: 'Connection refused',
  connection_reset: 'Connection reset',
  tls: 'TLS handshake or certificate failed',
  tls_expired: 'The TLS certificate has expired',
  http_status: 'Unexpected HTTP status',
  too_many_redirects: 'Too many redirects',
  body_mismatch: 'The body does not match',
  json_condition: 'The JSON condition does not hold',
  too_slow: 'Slower than its response-time ceiling',
  websocket_handshake: 'WebSocket handshake failed',
  websocket_no_reply: 'No WebSocket reply',
  tcp_no_reply: 'No reply on the TCP connection',
  push_missing: 'No heartbeat within its interval',
  push_failure: 'The heartbeat reported a failure',
  error: 'Check failed',
};

export function reasonText(reason: string): string {
  if (Object.hasOwn(WORDS, reason)) return WORDS[reason]!;
  const spaced = reason.replace(/_/g, ' ');
  return spaced.charAt(0).toUpperCase() + spaced.slice(1);
}
