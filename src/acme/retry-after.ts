// Retry-After (RFC 9110 §10.2.3): delay-seconds or an HTTP-date.

export function parseRetryAfter(value: string | string[] | undefined, now: Date): Date | undefined {
  const raw = Array.isArray(value) ? value[0] : value;
  if (raw === undefined) return undefined;
  const text = raw.trim();
  if (/^\d+$/.test(text)) return new Date(now.getTime() + Number(text) * 1000);
  const at = Date.parse(text);
  return Number.isNaN(at) ? undefined : new Date(Math.max(at, now.getTime()));
}
