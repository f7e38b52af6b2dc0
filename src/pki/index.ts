// The pki room: keys, CSRs, and X.509 building and parsing. Everything else
// in gitcert reaches these through this file only.
export {
  generatePrivateKey,
  encodePrivateKey,
  encodePrivateKeyDer,
  parsePrivateKey,
  keyMatchesSpec,
  publicKeyOf,
  describeKey,
  normalizeKeySpec,
  MIN_RSA_KEY_SIZE,
  MAX_RSA_KEY_SIZE,
} from "./keys.ts";
export type { KeySpec, PrivateKeyEncoding } from "./keys.ts";
export { createCsr } from "./csr.ts";
export { signCertificate } from "./certificate.ts";
export type { CertificateExtensions, SignCertificateInput, Signer } from "./certificate.ts";
export { parseCertificate, certificateMatchesKey, verifyChain } from "./parse.ts";
export type { CertificateInfo } from "./parse.ts";
export { splitPem } from "./pem.ts";
export { readCsr } from "./csr-read.ts";
export type { CsrInfo } from "./csr-read.ts";
export { assembleChain } from "./chain.ts";
export type { ChainBundle } from "./chain.ts";
export { DEFAULT_USAGES, KNOWN_USAGES } from "./usages.ts";
export { PkiErrorCode } from "./errors.ts";
