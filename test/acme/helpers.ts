// Plumbing for ACME issuer tests: Certificates and ACME issuers as the
// planner hands them over, a key + CSR like the executor makes, an issuer
// env whose Secret store stands in for the repository, and chain checks
// with openssl.
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { CertificateRequest, IssuerEnv, SecretKey } from "../../src/issuers/types.ts";
import type { CertificateResource, CertificateSpec, IssuerResource } from "../../src/manifests/types.ts";
import { createCsr, generatePrivateKey, publicKeyOf, splitPem } from "../../src/pki/index.ts";
import type { Pebble } from "../peers/pebble.ts";
import { certificateSpec } from "../fixtures/certificate-spec.ts";

export function certificate(name: string, overrides: Partial<CertificateSpec> = {}, labels: Record<string, string> = {}): CertificateResource {
  return {
    name,
    namespace: "shop",
    labels,
    source: { file: `apps/shop/${name}.yaml`, line: 1 },
    spec: certificateSpec({
      secretName: `${name}-tls`,
      dnsNames: [`${name}.example.com`],
      issuerRef: { name: "pebble", kind: "ClusterIssuer", group: "cert-manager.io" },
      privateKey: { algorithm: "ECDSA", size: 256, encoding: "PKCS1", rotationPolicy: "Always" },
      ...overrides,
    }),
  };
}

export function acmeIssuer(pebble: Pebble, acme: Record<string, unknown> = {}, name = "pebble"): IssuerResource {
  return {
    kind: "ClusterIssuer",
    name,
    namespace: "",
    source: { file: "platform/issuers.yaml", line: 1 },
    spec: {
      acme: {
        server: pebble.directoryUrl,
        email: "ops@example.com",
        privateKeySecretRef: { name: `${name}-account` },
        caBundle: Buffer.from(pebble.tlsCaPem).toString("base64"),
        // Pebble picks a random profile for an order without one.
        profile: "default",
        solvers: [{ http01: { ingress: {} } }],
        ...acme,
      },
    },
  };
}

export async function request(cert: CertificateResource, issuer: IssuerResource): Promise<CertificateRequest> {
  const privateKey = await generatePrivateKey(cert.spec.privateKey);
  return { certificate: cert, issuer, csrPem: await createCsr(cert.spec, privateKey), privateKey, publicKey: publicKeyOf(privateKey) };
}

export interface MemoryEnv extends IssuerEnv {
  /** The Secrets "in Git", namespace/name → data. */
  secrets: Map<string, Record<string, Buffer>>;
  writes: SecretKey[];
}

/** An env whose readSecret/writeSecret work on `secrets` — the repository stand-in. */
export function memoryEnv(secrets = new Map<string, Record<string, Buffer>>()): MemoryEnv {
  const writes: SecretKey[] = [];
  return {
    secrets,
    writes,
    readSecret: async (key) => secrets.get(`${key.namespace}/${key.name}`),
    writeSecret: async (key, data) => {
      writes.push(key);
      secrets.set(`${key.namespace}/${key.name}`, data);
    },
    now: () => new Date(),
    clusterResourceNamespace: "cert-manager",
  };
}

/** `openssl verify` of leaf + intermediates against one root; returns its output, throws when it fails. */
export function opensslVerify(chainPem: string, rootPem: string): string {
  const dir = mkdtempSync(join(tmpdir(), "gitcert-verify-"));
  try {
    const [leaf, ...rest] = splitPem(chainPem);
    writeFileSync(join(dir, "leaf.pem"), leaf!);
    writeFileSync(join(dir, "untrusted.pem"), rest.join(""));
    writeFileSync(join(dir, "root.pem"), rootPem);
    const args = ["verify", "-CAfile", join(dir, "root.pem"), ...(rest.length ? ["-untrusted", join(dir, "untrusted.pem")] : []), join(dir, "leaf.pem")];
    return execFileSync("openssl", args, { encoding: "utf8", stdio: "pipe" });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
