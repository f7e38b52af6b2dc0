// The manifests room: repository files -> typed cert-manager resources ->
// each Certificate with its issuer, or the reasons it is blocked.
export type {
  CertificateResource,
  CertificateSpec,
  IssuerRef,
  IssuerResource,
  KeyAlgorithm,
  KustomizationFile,
  Labels,
  ManifestDocument,
  OutputFormat,
  PrivateKeySpec,
  ScanResult,
  SecretFile,
  SecretMaker,
  X509Subject,
} from "./types.ts";
export { certificateRef } from "./types.ts";

export { DEFAULT_SCAN_OPTIONS, readingOf, scanFiles, scanRepository, type CachedScan, type FileReading } from "./scan-repository.ts";
export { ParseCache } from "./parse-cache.ts";
export { updateScan, type FileEdit } from "./scan-update.ts";
export type { ScanOptions, SealedVariableReader, SourceFile } from "./scan-repository.ts";
export { CERT_MANAGER_ISSUER_TYPES, issuerTypesIn, resolve, resolveAgain } from "./resolve.ts";
export type { Resolution, ResolveOptions } from "./resolve.ts";
export { repositorySecrets, secretKey } from "./secret-index.ts";
export type { KnownSecret, SecretIndex } from "./secret-index.ts";
export { chartDirsOf, chartOfTemplate, isTemplateFile, MAX_ALIAS_COUNT, parseManifests } from "./parse.ts";
export type { ParsedFile, ParseOptions } from "./parse.ts";
export { isKustomizationPath, kustomizationFromDocuments, recognize, RECOGNIZED_KINDS } from "./recognize.ts";
export type { RecognizeContext, RecognizeSink } from "./recognize.ts";
export { explicitNamespace, namespaceResolver, parentDir } from "./namespace.ts";
export type { NamespaceResolver } from "./namespace.ts";

// Certificate validation and the shims.
export { certificateFromManifest, validateCertificateObject } from "./certificate/index.ts";
export type { CertificateValidationOptions } from "./certificate/index.ts";
export { certificatesFromGateway, certificatesFromIngress } from "./shim/index.ts";
export type { ShimOptions } from "./shim/index.ts";
export { formatDuration, parseDuration } from "./duration.ts";
export type { DurationResult } from "./duration.ts";
