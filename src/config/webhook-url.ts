// The one check of a webhook URL, used by the config schema, the channel API and the webhook
// integration. The URL is a secret: no message repeats it, or any part of it.

/** What is wrong with `url` as a webhook URL (a phrase without the URL), or undefined when it is fine. */
export function webhookUrlProblem(url: unknown): string | undefined {
  if (typeof url !== 'string' || url === '') return 'must be an http(s) URL';
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return 'is not a valid URL';
  }
  if (u.protocol !== 'https:' && u.protocol !== 'http:') return 'must be an http(s) URL';
  if (u.hostname === '') return 'must name a host';
  // fetch refuses URLs with credentials, so every delivery would fail; Slack's webhooks never have any.
  if (u.username !== '' || u.password !== '') return 'must not contain user:password@ (credentials in a URL are refused when sending)';
  return undefined;
}
