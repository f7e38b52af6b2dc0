// Stable codes for everything src/pki throws. Callers turn a GitcertError
// into a Diagnostic against the Certificate they were working on, so the
// code is the contract and the message is for people. No message may carry
// key material: we name the problem, never quote the input bytes.
import { GitcertError } from "../diagnostics.ts";

export const PkiErrorCode = {
  /** privateKey.algorithm is not RSA, ECDSA or Ed25519, or a key of another type was given. */
  UnsupportedKeyAlgorithm: "UnsupportedKeyAlgorithm",
  /** RSA size outside 2048–8192, or an ECDSA size other than 256/384/521. */
  InvalidKeySize: "InvalidKeySize",
  /** Text that should hold a private key does not (or holds an encrypted one). */
  InvalidPrivateKey: "InvalidPrivateKey",
  /** Malformed PEM armour. */
  InvalidPEM: "InvalidPEM",
  /** Text that should hold an X.509 certificate does not. */
  InvalidCertificate: "InvalidCertificate",
  /** spec.literalSubject is not a valid RFC 4514 string. */
  InvalidLiteralSubject: "InvalidLiteralSubject",
  /** An entry of spec.ipAddresses is not an IPv4 or IPv6 address. */
  InvalidIPAddress: "InvalidIPAddress",
  /** A DNS name, email address or URI that cannot be written as an IA5String. */
  InvalidSubjectAltName: "InvalidSubjectAltName",
  /** An entry of spec.usages is not one of cert-manager's usage names. */
  UnknownKeyUsage: "UnknownKeyUsage",
  /** Neither a common name nor any SAN: nothing for the certificate to name. */
  MissingIdentity: "MissingIdentity",
  /** spec.duration is not a positive number of seconds. */
  InvalidDuration: "InvalidDuration",
  /** Self-signing with a private key that does not belong to the public key. */
  KeyPairMismatch: "KeyPairMismatch",
  /** The CA's private key does not belong to the CA certificate. */
  SignerKeyMismatch: "SignerKeyMismatch",
  /** The signing certificate may not sign certificates (not a CA, or no certSign usage). */
  SignerNotCA: "SignerNotCA",
  /** The signing certificate expires before the new certificate would start. */
  SignerExpired: "SignerExpired",
  /** Certificates from a CA that are not one unbroken chain. */
  InvalidChain: "InvalidChain",
} as const;

export type PkiErrorCode = (typeof PkiErrorCode)[keyof typeof PkiErrorCode];

export function pkiError(code: PkiErrorCode, message: string): GitcertError {
  return new GitcertError(code, message);
}
