// Plaintext Secret annotations the ACME issuer hands back with a
// certificate (IssuedCertificate.annotations): what ARI needs later without
// decrypting anything, and which account and predecessor it came from.

export const ACME_ANNOTATION = {
  /** RFC 9773 CertID of the issued leaf: renewalHint() asks the server about it. */
  ariCertId: "acme.gitcert.dev/ari-cert-id",
  /** The ACME account that ordered it. */
  accountUrl: "acme.gitcert.dev/account-url",
  /** CertID of the certificate this one replaced, when the server accepted `replaces`. */
  replaces: "acme.gitcert.dev/replaces",
} as const;
