// A Certificate manifest -> a validated CertificateResource with
// cert-manager's defaults: the schema and its parts (subject, SANs,
// durations, private key, the Secret's shape), the defaults, the reader.
export { certificateFromManifest, validateCertificateObject, type CertificateValidationOptions } from "./read.ts";
export { CERTIFICATE_API_VERSION, DEFAULT_DURATION, MINIMUM_DURATION, MINIMUM_RENEW_BEFORE } from "./defaults.ts";
