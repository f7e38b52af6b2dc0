// One gitcert measurement in its own process (so its peak memory is its
// own): N certificates through the ACME issuer, `concurrency` at a time as
// the executor runs them, each with its own key and CSR as the executor
// makes them. Prints one JSON line.
//   gitcert.ts DIRECTORY_URL CA_FILE HTTP_PORT DNS_SERVER COUNT CONCURRENCY [PREFIX]
import { readFileSync } from "node:fs";
import { mapLimit } from "../../src/execute/pool.ts";
import { createAcmeIssuer } from "../../src/issuers/acme.ts";
import type { IssuerEnv } from "../../src/issuers/types.ts";
import type { CertificateResource, IssuerResource } from "../../src/manifests/types.ts";
import { createCsr, generatePrivateKey, publicKeyOf } from "../../src/pki/index.ts";
import { certificateSpec } from "../../test/fixtures/certificate-spec.ts";

const [directoryUrl, caFile, portArg, dnsServer, countArg, concurrencyArg, prefix = "bench"] = process.argv.slice(2);
if (!directoryUrl || !caFile || !dnsServer || !concurrencyArg) throw new Error("usage: gitcert.ts DIRECTORY_URL CA_FILE HTTP_PORT DNS_SERVER COUNT CONCURRENCY");
const port = Number(portArg);
const started = process.hrtime.bigint();

const issuerResource: IssuerResource = {
  kind: "ClusterIssuer",
  name: "pebble",
  namespace: "",
  source: { file: "issuers.yaml", line: 1 },
  spec: {
    acme: {
      server: directoryUrl,
      email: "bench@example.com",
      privateKeySecretRef: { name: "pebble-account" },
      caBundle: readFileSync(caFile).toString("base64"),
      profile: "default",
      solvers: [{ http01: { ingress: {} } }],
    },
  },
};
const secrets = new Map<string, Record<string, Buffer>>();
const env: IssuerEnv = {
  readSecret: async (k) => secrets.get(`${k.namespace}/${k.name}`),
  writeSecret: async (k, data) => void secrets.set(`${k.namespace}/${k.name}`, data),
  now: () => new Date(),
  clusterResourceNamespace: "cert-manager",
};
const issuer = createAcmeIssuer({
  http01: { address: "127.0.0.1", port },
  selfCheck: { port, nameservers: [dnsServer], timeoutMs: 10_000, intervalMs: 250 },
});

const names = Array.from({ length: Number(countArg) }, (_, i) => `${prefix}-${i}.example.com`);
const chains = await mapLimit(names, Number(concurrencyArg), async (name) => {
  const cert: CertificateResource = {
    name,
    namespace: "bench",
    labels: {},
    source: { file: "certs.yaml", line: 1 },
    spec: certificateSpec({
      secretName: `${name}-tls`,
      dnsNames: [name],
      issuerRef: { name: "pebble", kind: "ClusterIssuer", group: "cert-manager.io" },
      // ECDSA P-256, as lego's default key type, so both do the same work.
      privateKey: { algorithm: "ECDSA", size: 256, encoding: "PKCS1", rotationPolicy: "Always" },
    }),
  };
  const privateKey = await generatePrivateKey(cert.spec.privateKey);
  const csrPem = await createCsr(cert.spec, privateKey);
  const issued = await issuer.sign({ certificate: cert, issuer: issuerResource, csrPem, privateKey, publicKey: publicKeyOf(privateKey) }, env);
  return issued.chainPem;
});
await issuer.close();
const ms = Number(process.hrtime.bigint() - started) / 1e6;
console.log(JSON.stringify({ issued: chains.filter((c) => c.includes("BEGIN CERTIFICATE")).length, issueMs: ms }));
