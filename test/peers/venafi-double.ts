// A test double of Venafi's two APIs — TPP (CyberArk Certificate Manager,
// Self-Hosted: WebSDK under /vedsdk, OAuth under /vedauth) and Cloud
// (CyberArk Certificate Manager, SaaS: /v1 and /outagedetection/v1) — on
// one HTTPS listener on 127.0.0.1. Neither product can run here (TPP is
// proprietary Windows software, Cloud is SaaS), so this speaks their
// documented wire format, and test/venafi/vcert.test.ts proves the dialect
// with Venafi's own client, vcert, enrolling against it. Certificates are
// signed by an intermediate under a root, both made with openssl per run.
// Behaviour a CA can show — a zone policy, a refused request, an issuance
// that stays pending for a while — is set per test with `configure`.
import { execFileSync } from "node:child_process";
import { randomBytes, randomUUID } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import type { IncomingMessage, ServerResponse } from "node:http";
import { createServer } from "node:https";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { listenOnLoopback } from "./loopback.ts";
import { TestCa } from "./test-ca.ts";

/** TPP's checkpolicy `Policy` object and a Cloud issuing template, as far as clients read them. */
export type { CloudTemplate, TppPolicy as TppServerPolicy } from "../../src/venafi/policy.ts";
import type { CloudTemplate, TppPolicy as TppServerPolicy } from "../../src/venafi/policy.ts";

export interface VenafiBehaviour {
  /** TPP policy folders by zone (`Certificates\Web`, without \VED\Policy). */
  tppZones: Record<string, TppServerPolicy>;
  /** Cloud applications: name → issuing template alias → template. */
  cloudApps: Record<string, Record<string, CloudTemplate>>;
  /** Times a retrieve (TPP 202) / status poll (Cloud PENDING, contents 409) answers "not yet". */
  pendingPolls: number;
  /** TPP: certificates/request answers 400 with this Error. */
  tppRejectRequest?: string;
  /** Cloud: the request is accepted, then FAILED with this message. */
  cloudFailIssuance?: string;
  /** Subject fields the CA writes whatever the CSR says (a locked zone value applied server-side). */
  forcedSubject?: { O?: string; OU?: string; C?: string; ST?: string; L?: string };
}

export interface RecordedRequest {
  method: string;
  path: string;
  /** Parsed JSON body; credentials are part of what tests check, so nothing is removed. */
  body: unknown;
}

export interface VenafiDouble {
  /** `https://127.0.0.1:PORT`: TPP's URL (`/vedsdk` optional) and Cloud's base URL. */
  url: string;
  /** CA of the listener's certificate: the caBundle / --trust-bundle. */
  tlsCaPem: string;
  tlsCaFile: string;
  /** The issuing hierarchy. */
  rootPem: string;
  intermediatePem: string;
  /** TPP credentials the double accepts. */
  tpp: { accessToken: string; username: string; password: string; clientId: string };
  /** Cloud API key the double accepts. */
  cloudApiKey: string;
  requests: RecordedRequest[];
  configure(behaviour: Partial<VenafiBehaviour>): void;
  close(): Promise<void>;
}

const DEFAULT_BEHAVIOUR: VenafiBehaviour = {
  tppZones: { "Certificates\\Web": { WhitelistedDomains: [], SubjAltNameDnsAllowed: true, SubjAltNameIpAllowed: true, SubjAltNameUriAllowed: true, SubjAltNameEmailAllowed: true } },
  cloudApps: { Web: { Default: { subjectCNRegexes: [".*"], subjectORegexes: [".*"], subjectOURegexes: [".*"], subjectLRegexes: [".*"], subjectSTRegexes: [".*"], subjectCValues: [".*"], sanRegexes: [".*"], sanIpAddressRegexes: [".*"], sanUniformResourceIdentifierRegexes: [".*"], sanRfc822NameRegexes: [".*"], keyTypes: [{ keyType: "RSA", keyLengths: [2048, 3072, 4096] }, { keyType: "EC", keyCurves: ["P256", "P384", "P521"] }] } } },
  pendingPolls: 0,
};

interface Issuance {
  csr: string;
  days: number;
  polls: number;
  pemChain?: string;
  failure?: string;
}

/** A subject for openssl's -subj: `/O=Acme/CN=x`, `/` and `+` escaped. */
function opensslSubject(fields: Array<[string, string]>): string {
  return fields.map(([k, v]) => `/${k}=${v.replace(/([/+\\])/g, "\\$1")}`).join("");
}

export async function startVenafiDouble(): Promise<VenafiDouble> {
  const dir = mkdtempSync(join(tmpdir(), "gitcert-venafi-"));
  const tlsCa = new TestCa("gitcert test Venafi listener CA");
  const listener = tlsCa.server(["127.0.0.1", "localhost"]);
  const run = (...args: string[]) => execFileSync("openssl", args, { cwd: dir, stdio: "pipe" });
  run("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "60", "-subj", "/CN=Venafi double root", "-keyout", "root.key", "-out", "root.pem");
  writeFileSync(join(dir, "int.cnf"), "basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\nsubjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid:always\n");
  run("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-subj", "/CN=Venafi double intermediate", "-keyout", "int.key", "-out", "int.csr");
  run("x509", "-req", "-in", "int.csr", "-CA", "root.pem", "-CAkey", "root.key", "-CAcreateserial", "-days", "50", "-extfile", "int.cnf", "-out", "int.pem");
  const rootPem = readFileSync(join(dir, "root.pem"), "utf8");
  const intermediatePem = readFileSync(join(dir, "int.pem"), "utf8");

  let behaviour: VenafiBehaviour = structuredClone(DEFAULT_BEHAVIOUR);
  const tpp = { accessToken: randomBytes(18).toString("base64"), username: "gitcert-svc", password: randomBytes(12).toString("hex"), clientId: "cert-manager.io" };
  const cloudApiKey = randomUUID();
  const oauthTokens = new Set<string>([tpp.accessToken]);
  const requests: RecordedRequest[] = [];
  const issuances = new Map<string, Issuance>();
  let serial = 0;

  /** Signs the CSR with the intermediate; leaf, intermediate, root. */
  const sign = (csrPem: string, days: number): string => {
    const id = `leaf${serial++}`;
    writeFileSync(join(dir, `${id}.csr`), csrPem);
    const subject = execFileSync("openssl", ["req", "-in", `${id}.csr`, "-noout", "-subject", "-nameopt", "RFC2253"], { cwd: dir, encoding: "utf8" });
    const cn = /(?:^subject=|,)CN=([^,]+)/.exec(subject.trim())?.[1];
    const forced = behaviour.forcedSubject;
    const args = ["x509", "-req", "-in", `${id}.csr`, "-CA", "int.pem", "-CAkey", "int.key", "-CAcreateserial", "-days", String(Math.max(1, days)), "-copy_extensions", "copy", "-out", `${id}.pem`];
    if (forced) {
      const fields = (["C", "ST", "L", "O", "OU"] as const).filter((k) => forced[k]).map((k): [string, string] => [k, forced[k]!]);
      if (cn) fields.push(["CN", cn]);
      args.push("-subj", opensslSubject(fields));
    }
    run(...args);
    return readFileSync(join(dir, `${id}.pem`), "utf8") + intermediatePem + rootPem;
  };

  const json = (res: ServerResponse, status: number, body: unknown) => {
    res.writeHead(status, { "content-type": "application/json; charset=utf-8" });
    res.end(JSON.stringify(body));
  };
  const daysFrom = (endDate: string | undefined, fallback: number) => {
    if (!endDate) return fallback;
    return Math.ceil((Date.parse(endDate) - Date.now()) / 86400_000);
  };
  const zoneOf = (policyDN: string) => policyDN.replace(/^\\VED\\Policy\\/, "");

  function tppAuthorized(req: IncomingMessage): boolean {
    const m = /^Bearer (.+)$/.exec(req.headers.authorization ?? "");
    return !!m && oauthTokens.has(m[1]!);
  }

  function handleTpp(req: IncomingMessage, res: ServerResponse, path: string, body: Record<string, unknown>): void {
    if (path === "/vedauth/authorize/oauth" && req.method === "POST") {
      if (body.username !== tpp.username || body.password !== tpp.password || body.client_id !== tpp.clientId) {
        return json(res, 400, { error: "invalid_grant", error_description: "Username/password combination not valid" });
      }
      const token = randomBytes(18).toString("base64");
      oauthTokens.add(token);
      const now = Math.floor(Date.now() / 1000);
      return json(res, 200, { access_token: token, expires: now + 3600, expires_in: 3600, identity: `local:{${randomUUID()}}`, refresh_token: randomBytes(18).toString("base64"), refresh_until: now + 86400, scope: String(body.scope ?? ""), token_type: "Bearer" });
    }
    if (!tppAuthorized(req)) return json(res, 401, { error: "invalid_token", error_description: "Failed to authenticate: access token is not valid" });
    if (path === "/vedauth/authorize/verify" && req.method === "GET") {
      return json(res, 200, { access_issued_on_ISO8601: new Date().toISOString(), application: tpp.clientId, expires_ISO8601: new Date(Date.now() + 3600_000).toISOString(), identity: "local:{gitcert}", scope: "certificate:manage", valid_for: 3600 });
    }
    if ((path === "/vedsdk" || path === "/vedsdk/") && req.method === "GET") return json(res, 200, { ApiVersion: "23.1.0" });
    if (path === "/vedsdk/Identity/Self" && req.method === "GET") {
      return json(res, 200, { Identities: [{ FullName: "\\VED\\Identity\\gitcert-svc", Name: "gitcert-svc", Prefix: "local", PrefixedName: "local:gitcert-svc", PrefixedUniversal: "local:{gitcert}", Type: 1, Universal: "{gitcert}" }] });
    }
    if (req.method !== "POST") return json(res, 405, { Error: `${req.method} ${path} is not supported` });
    switch (path) {
      case "/vedsdk/certificates/checkpolicy": {
        const zone = zoneOf(String(body.PolicyDN ?? ""));
        const policy = behaviour.tppZones[zone];
        if (!policy) return json(res, 400, { Error: `PolicyDN: ${String(body.PolicyDN)} does not exist or access denied.` });
        return json(res, 200, { Error: null, Policy: policy });
      }
      case "/vedsdk/certificates/reset": {
        const dn = String(body.CertificateDN ?? "");
        if (!issuances.has(dn)) return json(res, 400, { Error: `Certificate ${dn} does not exist or you do not have sufficient rights to the object.` });
        return json(res, 400, { Error: "Reset is not completed. No reset is required for the certificate." });
      }
      case "/vedsdk/certificates/request": {
        if (behaviour.tppRejectRequest) return json(res, 400, { Error: behaviour.tppRejectRequest });
        const zone = zoneOf(String(body.PolicyDN ?? ""));
        if (!behaviour.tppZones[zone]) return json(res, 400, { Error: `PolicyDN: ${String(body.PolicyDN)} does not exist or access denied.` });
        if (typeof body.PKCS10 !== "string") return json(res, 400, { Error: "PKCS10 is required" });
        const dn = `${String(body.PolicyDN)}\\${String(body.ObjectName ?? randomUUID())}`;
        const attrs = (body.CASpecificAttributes ?? []) as Array<{ Name: string; Value: string }>;
        const days = daysFrom(attrs.find((a) => a.Name === "Specific End Date")?.Value, 90);
        issuances.set(dn, { csr: body.PKCS10, days, polls: 0 });
        return json(res, 200, { CertificateDN: dn, Guid: `{${randomUUID()}}` });
      }
      case "/vedsdk/metadata/get":
        return json(res, 200, { Data: [], Locked: false });
      case "/vedsdk/metadata/getitems":
        return json(res, 200, { Items: [], Locked: false });
      case "/vedsdk/metadata/set":
        return json(res, 200, { Locked: false, Result: 0 });
      case "/vedsdk/certificates/retrieve": {
        const dn = String(body.CertificateDN ?? "");
        const issuance = issuances.get(dn);
        if (!issuance) return json(res, 400, { Error: `Certificate ${dn} does not exist.` });
        if (issuance.polls++ < behaviour.pendingPolls) return json(res, 202, { Stage: 500, Status: "Post CSR" });
        issuance.pemChain ??= sign(issuance.csr, issuance.days);
        return json(res, 200, { CertificateData: Buffer.from(issuance.pemChain).toString("base64"), Filename: "cert.pem", Format: "Base64" });
      }
    }
    return json(res, 404, { Error: `no such WebSDK endpoint: ${path}` });
  }

  const cloudError = (res: ServerResponse, status: number, code: number, message: string) => json(res, status, { errors: [{ code, message, args: [] }] });
  const companyId = randomUUID();
  const appIds = new Map<string, string>();
  const templateIds = new Map<string, string>();
  const idFor = (map: Map<string, string>, key: string) => {
    if (!map.has(key)) map.set(key, randomUUID());
    return map.get(key)!;
  };

  function handleCloud(req: IncomingMessage, res: ServerResponse, url: URL, body: Record<string, unknown>): void {
    if (req.headers["tppl-api-key"] !== cloudApiKey) return cloudError(res, 401, 10501, "Invalid or missing API key");
    const path = url.pathname;
    if (path === "/v1/useraccounts" && req.method === "GET") {
      return json(res, 200, {
        user: { username: "gitcert@example.test", id: randomUUID(), companyId, emailAddress: "gitcert@example.test", userType: "EXTERNAL", userAccountType: "API", userStatus: "ACTIVE", creationDate: new Date().toISOString() },
        company: { id: companyId, name: "gitcert tests", companyType: "TPP_CUSTOMER", active: true, creationDate: new Date().toISOString(), domains: ["example.test"] },
        apiKey: { username: "gitcert@example.test", apitypes: ["ALL"], apiVersion: "ALL", apiKeyStatus: "ACTIVE", creationDate: new Date().toISOString(), validityStartDate: new Date().toISOString(), validityEndDate: new Date(Date.now() + 86400_000).toISOString() },
      });
    }
    let m = /^\/outagedetection\/v1\/applications\/name\/([^/]+)$/.exec(path);
    if (m && req.method === "GET") {
      const name = decodeURIComponent(m[1]!);
      const app = behaviour.cloudApps[name];
      if (!app) return cloudError(res, 404, 10051, `Unable to find application with name ${name}`);
      const aliases = Object.fromEntries(Object.keys(app).map((alias) => [alias, idFor(templateIds, `${name}\\${alias}`)]));
      return json(res, 200, { id: idFor(appIds, name), name, companyId, certificateIssuingTemplateAliasIdMap: aliases, ownerIdsAndTypes: [] });
    }
    m = /^\/outagedetection\/v1\/applications\/([^/]+)\/certificateissuingtemplates\/([^/]+)$/.exec(path);
    if (m && req.method === "GET") {
      const [app, alias] = [decodeURIComponent(m[1]!), decodeURIComponent(m[2]!)];
      const template = behaviour.cloudApps[app]?.[alias];
      if (!template) return cloudError(res, 404, 10051, `Unable to find issuing template ${alias} for application ${app}`);
      return json(res, 200, { id: idFor(templateIds, `${app}\\${alias}`), companyId, certificateAuthority: "BUILTIN", name: alias, status: "AVAILABLE", reason: "", validityPeriod: "P90D", csrUploadAllowed: true, keyGeneratedByVenafiAllowed: false, ...template });
    }
    if (path === "/outagedetection/v1/certificaterequests" && req.method === "POST") {
      const appId = String(body.applicationId ?? "");
      const templateId = String(body.certificateIssuingTemplateId ?? "");
      if (![...appIds.values()].includes(appId) || ![...templateIds.values()].includes(templateId)) return cloudError(res, 400, 10052, "Invalid application or issuing template");
      if (typeof body.certificateSigningRequest !== "string") return cloudError(res, 400, 10730, "certificateSigningRequest is required");
      const period = /^P(\d+)D/.exec(String(body.validityPeriod ?? ""));
      const id = randomUUID();
      const issuance: Issuance = { csr: body.certificateSigningRequest, days: period ? Number(period[1]) : 90, polls: 0 };
      if (behaviour.cloudFailIssuance) issuance.failure = behaviour.cloudFailIssuance;
      issuances.set(id, issuance);
      return json(res, 201, { certificateRequests: [{ id, applicationId: appId, certificateIssuingTemplateId: templateId, status: "REQUESTED", creationDate: new Date().toISOString(), certificateIds: [] }] });
    }
    m = /^\/outagedetection\/v1\/certificaterequests\/([^/]+)$/.exec(path);
    if (m && req.method === "GET") {
      const issuance = issuances.get(m[1]!);
      if (!issuance) return cloudError(res, 404, 10727, `Certificate request ${m[1]} not found`);
      if (issuance.failure) {
        return json(res, 200, { id: m[1], status: "FAILED", certificateIds: [], errorInformation: { type: "CERTIFICATE_REQUEST_ERROR", code: 10400, message: issuance.failure, args: [] } });
      }
      if (issuance.polls++ < behaviour.pendingPolls) return json(res, 200, { id: m[1], status: "PENDING", certificateIds: [] });
      issuance.pemChain ??= sign(issuance.csr, issuance.days);
      return json(res, 200, { id: m[1], status: "ISSUED", certificateIds: [`cert-${m[1]}`] });
    }
    m = /^\/outagedetection\/v1\/certificates\/cert-([^/]+)\/contents$/.exec(path);
    if (m && req.method === "GET") {
      const issuance = issuances.get(m[1]!);
      if (!issuance?.pemChain) return cloudError(res, 409, 10732, "Certificate is not yet available");
      const blocks = issuance.pemChain.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----\n?/g) ?? [];
      const ordered = url.searchParams.get("chainOrder") === "ROOT_FIRST" ? [...blocks].reverse() : blocks;
      res.writeHead(200, { "content-type": "text/plain" });
      res.end(ordered.join(""));
      return;
    }
    return cloudError(res, 404, 10000, `no such endpoint: ${req.method} ${path}`);
  }

  const server = createServer({ cert: listener.certPem, key: listener.keyPem }, (req, res) => {
    let text = "";
    req.setEncoding("utf8");
    req.on("data", (d: string) => (text += d));
    req.on("end", () => {
      const url = new URL(req.url ?? "/", "https://127.0.0.1");
      let body: Record<string, unknown> = {};
      try {
        body = text ? (JSON.parse(text) as Record<string, unknown>) : {};
      } catch {
        return json(res, 400, { Error: "request body is not JSON" });
      }
      requests.push({ method: req.method ?? "", path: url.pathname, body });
      if (url.pathname.startsWith("/vedsdk") || url.pathname.startsWith("/vedauth")) handleTpp(req, res, url.pathname, body);
      else handleCloud(req, res, url, body);
    });
  });
  const listening = await listenOnLoopback(server);
  return {
    url: listening.url.replace(/^http:/, "https:"),
    tlsCaPem: tlsCa.caPem,
    tlsCaFile: tlsCa.caFile,
    rootPem,
    intermediatePem,
    tpp,
    cloudApiKey,
    requests,
    configure(next) {
      behaviour = { ...structuredClone(DEFAULT_BEHAVIOUR), ...structuredClone(next) };
    },
    async close() {
      await listening.close();
      tlsCa.cleanup();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
