// Secrets out of text that is about to leave gitcert: error messages,
// diagnostics, the committed failure log, log lines. Servers and proxies echo
// requests back in every encoding, so each secret is removed verbatim,
// URL-encoded and JSON-escaped (with and without `\/`), along with URL
// userinfo and Authorization / Bearer values whatever secret they hold.

const MASK = "***";

/**
 * Short secrets are ignored: masking every "a" would make the message
 * useless and protect nothing.
 */
export function redact(text: string, secrets: Iterable<string> = []): string {
  let out = text;
  const needles = new Set<string>();
  for (const s of secrets) {
    if (!s || s.length < 4) continue;
    const json = JSON.stringify(s).slice(1, -1);
    for (const form of [s, encodeURIComponent(s), json, json.replaceAll("/", "\\/")]) needles.add(form);
  }
  // Longest first so that a secret containing another is masked whole.
  for (const s of [...needles].sort((a, b) => b.length - a.length)) {
    out = out.split(s).join(MASK);
  }
  // scheme://user:password@host -> scheme://***@host. Userinfo cannot hold
  // '/', whitespace or a raw '@', which keeps the match inside one authority.
  out = out.replace(/\b([a-z][a-z0-9+.-]*:\/\/)[^/\s@]+@/gi, `$1${MASK}@`);
  out = out.replace(/(authorization["']?\s*[:=]\s*["']?)(?:(basic|bearer|token)\s+)?[^\s"',}]+/gi, (_m, head: string, scheme?: string) =>
    scheme ? `${head}${scheme} ${MASK}` : `${head}${MASK}`,
  );
  out = out.replace(/\bbearer\s+(?!\*\*\*)[A-Za-z0-9._~+/=-]{8,}/gi, `Bearer ${MASK}`);
  return out;
}

/**
 * A bounded excerpt of a response body, redacted first: cutting first could
 * split a secret so that its remaining half no longer matches.
 */
export function redactedExcerpt(text: string, secrets: Iterable<string>, maxChars: number): string {
  const clean = redact(text, secrets).trim();
  return clean.length > maxChars ? `${clean.slice(0, maxChars)}…` : clean;
}
