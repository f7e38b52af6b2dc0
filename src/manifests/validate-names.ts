// Syntax checks for names that come from manifests. Each returns the reason a
// value is wrong, or undefined when it is fine, so callers can build messages
// that name the field. Object names and namespaces also become file paths
// later: the DNS-1123 rules here are what keep `../x` and `a/b` out.
import { isIP } from "node:net";

const LABEL_1123 = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/** A Kubernetes namespace (and any other DNS-1123 label): `web`, `team-a`. */
export function dns1123LabelProblem(value: string): string | undefined {
  if (value === "") return "must not be empty";
  if (value.length > 63) return "must be no more than 63 characters";
  if (!LABEL_1123.test(value)) {
    return "must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character";
  }
  return undefined;
}

/** A Kubernetes object name (DNS-1123 subdomain): `web-tls`, `www.example.com`. */
export function dns1123SubdomainProblem(value: string): string | undefined {
  if (value === "") return "must not be empty";
  if (value.length > 253) return "must be no more than 253 characters";
  if (!value.split(".").every((label) => LABEL_1123.test(label))) {
    return "must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character";
  }
  return undefined;
}

// Letters, digits, '-' and '_' (RFC 2181 allows '_'; private CAs sign it).
const DNS_LABEL = /^[A-Za-z0-9_]([-A-Za-z0-9_]*[A-Za-z0-9_])?$/;

/**
 * A DNS name for a certificate SAN or a listener hostname. A wildcard is only
 * allowed as the whole leftmost label (`*.example.com`), which is all that
 * RFC 6125 clients and ACME servers accept.
 */
export function dnsNameProblem(value: string): string | undefined {
  if (value === "") return "must not be empty";
  if (value.trim() !== value) return "must not contain leading or trailing spaces";
  if (value.length > 253) return "must be no more than 253 characters";
  if (isIP(value) !== 0) return "it is an IP address (list it with the IP addresses)";
  // Non-ASCII is rejected rather than converted: the certificate must carry
  // exactly the name written, and that is the punycode form.
  if (/[^\x21-\x7e]/.test(value)) return "must be ASCII (write internationalised names in their xn-- form)";
  if (value.endsWith(".")) return "must not end with a dot";
  const labels = value.split(".");
  for (const [i, label] of labels.entries()) {
    if (label === "") return "must not contain an empty label";
    if (label.includes("*")) {
      if (label !== "*" || i !== 0) return "may only use a wildcard as the whole leftmost label (*.example.com)";
      if (labels.length < 2) return "must have at least one label after a wildcard";
      continue;
    }
    if (label.length > 63) return `label ${JSON.stringify(label)} is longer than 63 characters`;
    if (!DNS_LABEL.test(label)) {
      return `label ${JSON.stringify(label)} must consist of letters, digits, '-' or '_' and must not start or end with '-'`;
    }
  }
  return undefined;
}

/** An IPv4 or IPv6 address as Go's net.ParseIP accepts it (no zone, no leading zeros). */
export function ipAddressProblem(value: string): string | undefined {
  if (value.includes("%")) return "must not carry a zone";
  return isIP(value) === 0 ? "is not a valid IP address" : undefined;
}

// RFC 5322 atext; non-ASCII allowed as in Go's net/mail (SMTPUTF8).
const ATOM = /^[A-Za-z0-9!#$%&'*+\-/=?^_`{|}~\u0080-\uffff]+$/;

/**
 * A bare email address (`ops@example.com`), what cert-manager accepts: Go's
 * mail.ParseAddress must succeed and return exactly the input, which rules
 * out display names (`Ops <ops@example.com>`) and quoted local parts.
 */
export function emailAddressProblem(value: string): string | undefined {
  const at = value.lastIndexOf("@");
  if (at <= 0 || at === value.length - 1) return "is not a valid email address (expected local@domain)";
  const local = value.slice(0, at);
  const domain = value.slice(at + 1);
  if (!local.split(".").every((part) => ATOM.test(part))) {
    return "is not a valid email address (only the address itself, no display name or quoting)";
  }
  if (!domain.split(".").every((part) => ATOM.test(part))) return "is not a valid email address (invalid domain)";
  return undefined;
}

/** An absolute URI (`spiffe://cluster.local/ns/web/sa/app`), as a URI SAN must be. */
export function uriProblem(value: string): string | undefined {
  if (!/^[A-Za-z][A-Za-z0-9+.-]*:/.test(value)) return "is not an absolute URI (it needs a scheme, e.g. spiffe://…)";
  if (/\s/.test(value)) return "must not contain whitespace";
  if (!URL.canParse(value)) return "is not a valid URI";
  return undefined;
}

const QUALIFIED_NAME = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;

/** A label or annotation key: `app`, `example.com/team` (Kubernetes qualified name). */
export function qualifiedNameProblem(key: string): string | undefined {
  const slash = key.indexOf("/");
  const name = slash === -1 ? key : key.slice(slash + 1);
  if (slash !== -1) {
    const prefix = key.slice(0, slash);
    const p = dns1123SubdomainProblem(prefix);
    if (p) return `prefix ${JSON.stringify(prefix)} ${p}`;
  }
  if (name === "") return "name part must not be empty";
  if (name.length > 63) return "name part must be no more than 63 characters";
  if (!QUALIFIED_NAME.test(name)) {
    return "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character";
  }
  return undefined;
}

/** A label value: empty, or up to 63 of [A-Za-z0-9-_.] starting and ending alphanumeric. */
export function labelValueProblem(value: string): string | undefined {
  if (value === "") return undefined;
  if (value.length > 63) return "must be no more than 63 characters";
  if (!QUALIFIED_NAME.test(value)) {
    return "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character";
  }
  return undefined;
}
