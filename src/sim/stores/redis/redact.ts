/** Passwords out of messages: every URL a message shows goes through displayUrl. */

/**
 * The URL without its password, for messages. Also for a string that is no valid URL: whatever
 * follows a ':' in the part before the last '@' (and after the last '/') may be a password.
 */
export function displayUrl(raw: string): string {
  try {
    const url = new URL(raw);
    if (url.password) {
      url.password = '***';
      return url.toString().replace(/\/$/, '');
    }
  } catch {
    // not a URL: redact it as a string below
  }
  return redactUserinfo(raw).replace(/\/$/, '');
}

function redactUserinfo(raw: string): string {
  const at = raw.lastIndexOf('@');
  if (at < 0) return raw;
  const before = raw.slice(0, at);
  const colon = before.indexOf(':', before.lastIndexOf('/') + 1);
  return colon < 0 ? raw : `${before.slice(0, colon + 1)}***${raw.slice(at)}`;
}
