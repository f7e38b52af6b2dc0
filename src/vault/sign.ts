// The sign call as cert-manager makes it: names taken from the CSR, every
// value a string, `exclude_cn_from_sans` set, and the answer's certificate,
// issuing_ca and ca_chain laid out as tls.crt and ca.crt.
import { formatDuration } from "../manifests/duration.ts";
import { assembleChain, readCsr, type ChainBundle } from "../pki/index.ts";
import { GitcertError } from "../diagnostics.ts";
import { VaultError, VaultErrorCode } from "./errors.ts";

export function signRequestBody(csrPem: string, durationSeconds: number): Record<string, string> {
  let csr;
  try {
    csr = readCsr(csrPem);
  } catch (err) {
    throw new VaultError(VaultErrorCode.InvalidRequest, `cannot read the certificate request: ${err instanceof Error ? err.message : String(err)}`, { atCA: false });
  }
  return {
    common_name: csr.commonName ?? "",
    alt_names: csr.dnsNames.join(","),
    ip_sans: csr.ipAddresses.join(","),
    uri_sans: csr.uris.join(","),
    ttl: formatDuration(durationSeconds),
    csr: csrPem,
    exclude_cn_from_sans: "true",
  };
}

/** `data.certificate`, `data.issuing_ca`, `data.ca_chain[]` → tls.crt / ca.crt. */
export function chainFromSignResponse(json: unknown, call: string): ChainBundle {
  const data = (json as { data?: Record<string, unknown> } | undefined)?.data;
  const certificate = data?.certificate;
  if (typeof certificate !== "string" || certificate.trim() === "") {
    throw new VaultError(VaultErrorCode.InvalidResponse, `Vault ${call} answered without data.certificate`, { atCA: true });
  }
  const parts: string[] = [];
  if (Array.isArray(data?.ca_chain)) parts.push(...data.ca_chain.filter((c): c is string => typeof c === "string"));
  if (typeof data?.issuing_ca === "string") parts.push(data.issuing_ca);
  parts.push(certificate);
  try {
    return assembleChain(parts.join("\n"));
  } catch (err) {
    const why = err instanceof GitcertError ? err.message : String(err);
    throw new VaultError(VaultErrorCode.InvalidResponse, `Vault ${call} answered with certificates gitcert cannot use: ${why}`, { atCA: true });
  }
}
