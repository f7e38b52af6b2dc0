// TPP (CyberArk Certificate Manager, Self-Hosted) as cert-manager drives it
// through vcert: an access token checked at /vedauth/authorize/verify, or
// username/password exchanged for one at /vedauth/authorize/oauth; then per
// certificate checkpolicy, reset, request (Origin "cert-manager", custom
// fields, a specific end date), metadata/get, and retrieve until the
// certificate is there or the wait runs out.
import { TokenCache } from "../http/index.ts";
import type { CsrInfo } from "../pki/index.ts";
import { answerError, callLabel, normalizeBase, serverErrorText, sleep, venafiRequest, type Endpoint, type VenafiCall } from "./api.ts";
import { VenafiError, VenafiErrorCode } from "./errors.ts";
import { friendlyName } from "./friendly-name.ts";
import { assembleChainOrThrow, readCsrOrThrow } from "./material.ts";
import { zoneOverrides } from "./overrides.ts";
import { policyViolations, zoneFromTpp, type TppPolicy, type ZonePolicy } from "./policy.ts";
import type { TppConnection, VenafiConnection, VenafiIssued, VenafiRequest } from "./types.ts";

const ORIGIN = "cert-manager";
const DEFAULT_CLIENT_ID = "cert-manager.io";
const SCOPE = "certificate:manage";
// vcert's IssuerHintAllIssuers, which cert-manager sets: every CA driver's end date attribute.
const END_DATE_ATTRIBUTES = ["Microsoft CA:Specific End Date", "DigiCert CA:Specific End Date", "EntrustNET CA:Specific End Date", "Specific End Date"];

export function policyDN(zone: string): string {
  if (/^\\VED\\Policy/.test(zone)) return zone;
  return `\\VED\\Policy${zone.startsWith("\\") ? "" : "\\"}${zone}`;
}

export class TppClient {
  private readonly conn: TppConnection & VenafiConnection;
  private readonly endpoint: Endpoint;
  private readonly tokens: TokenCache;
  private readonly now: () => Date;
  private readonly cacheKey: string;

  constructor(conn: TppConnection & VenafiConnection, options: { tokens?: TokenCache; now?: () => Date } = {}) {
    this.conn = conn;
    const base = normalizeBase(conn.url.trim().replace(/\/vedsdk\/?$/i, ""));
    const creds = conn.credentials;
    const secrets = "accessToken" in creds ? [creds.accessToken] : [creds.password];
    this.endpoint = { platform: "TPP", base, tls: conn.caPem ? { caPem: conn.caPem } : {}, timeoutMs: conn.timeoutMs, secrets };
    this.tokens = options.tokens ?? new TokenCache();
    this.now = options.now ?? (() => new Date());
    this.cacheKey = TokenCache.key(["tpp", base, ...("accessToken" in creds ? [creds.accessToken] : [creds.username, creds.password, creds.clientId ?? ""])]);
  }

  /** Issuer readiness: the credentials work (cert-manager's VerifyCredentials) and the WebSDK answers (Ping). */
  async verify(): Promise<void> {
    const token = await this.token();
    const ping: VenafiCall = { method: "GET", path: "vedsdk/", headers: this.auth(token) };
    const res = await venafiRequest(this.endpoint, ping);
    if (res.status !== 200) throw answerError(this.endpoint, VenafiErrorCode.Unreachable, ping, res, "Venafi TPP is not ready");
  }

  async issue(request: VenafiRequest): Promise<VenafiIssued> {
    const csr = readCsrOrThrow(request.csrPem);
    let token = await this.token();
    let zone: ZonePolicy;
    try {
      zone = await this.readZone(token);
    } catch (err) {
      // A cached token may have been revoked or expired early: get a new one once.
      if (!(err instanceof VenafiError && err.status === 401)) throw err;
      this.tokens.delete(this.cacheKey);
      token = await this.token();
      zone = await this.readZone(token);
    }
    const problems = policyViolations(csr, zone);
    if (problems.length > 0) {
      throw new VenafiError(VenafiErrorCode.PolicyViolation, `the Venafi TPP zone "${this.conn.zone}" does not allow this certificate: ${problems.join("; ")}`, { atCA: false });
    }
    const name = friendlyName(csr);
    const dn = `${policyDN(this.conn.zone)}\\${name}`;
    await this.reset(token, dn);
    const pickupId = await this.request(token, csr, request, name);
    await this.post(token, "vedsdk/metadata/get", { DN: pickupId }).catch(() => undefined); // cert-manager only logs its failures
    const pem = await this.retrieve(token, pickupId);
    const chain = assembleChainOrThrow(pem, "TPP");
    return { chain, pickupId, overrides: zoneOverrides(csr, chain.chainPem) };
  }

  private auth(token: string): Record<string, string> {
    return { authorization: `Bearer ${token}` };
  }

  private post(token: string, path: string, body: unknown) {
    return venafiRequest(this.endpoint, { method: "POST", path, body, headers: this.auth(token) });
  }

  private async token(): Promise<string> {
    const creds = this.conn.credentials;
    const cached = this.tokens.get(this.cacheKey, this.now());
    if (cached) return cached;
    if ("accessToken" in creds) {
      const token = creds.accessToken.trim();
      const call: VenafiCall = { method: "GET", path: "vedauth/authorize/verify", headers: this.auth(token) };
      const res = await venafiRequest(this.endpoint, call);
      if (res.status !== 200) throw answerError(this.endpoint, VenafiErrorCode.AuthFailed, call, res, "the access token was refused");
      const validFor = (res.json as { valid_for?: unknown } | undefined)?.valid_for;
      this.tokens.set(this.cacheKey, token, typeof validFor === "number" ? validFor : 0, this.now());
      return token;
    }
    const call: VenafiCall = {
      method: "POST",
      path: "vedauth/authorize/oauth",
      body: { client_id: creds.clientId || DEFAULT_CLIENT_ID, username: creds.username, password: creds.password, scope: SCOPE },
    };
    const res = await venafiRequest(this.endpoint, call);
    const answer = (res.json ?? {}) as { access_token?: unknown; expires_in?: unknown };
    if (res.status !== 200 || typeof answer.access_token !== "string" || answer.access_token === "") {
      throw answerError(this.endpoint, VenafiErrorCode.AuthFailed, call, res, `TPP refused the username/password of ${JSON.stringify(creds.username)}`);
    }
    const token = answer.access_token;
    const self: VenafiCall = { method: "GET", path: "vedsdk/Identity/Self", headers: this.auth(token) };
    const check = await venafiRequest({ ...this.endpoint, secrets: [...this.endpoint.secrets, token] }, self);
    if (check.status !== 200) throw answerError({ ...this.endpoint, secrets: [...this.endpoint.secrets, token] }, VenafiErrorCode.AuthFailed, self, check, "the OAuth token was refused");
    this.tokens.set(this.cacheKey, token, typeof answer.expires_in === "number" ? answer.expires_in : 0, this.now());
    return token;
  }

  private async readZone(token: string): Promise<ZonePolicy> {
    const body = { PolicyDN: policyDN(this.conn.zone) };
    const call: VenafiCall = { method: "POST", path: "vedsdk/certificates/checkpolicy", body };
    const res = await this.post(token, call.path, body);
    const answer = (res.json ?? {}) as { Policy?: TppPolicy; Error?: unknown };
    if (res.status === 400 && /PolicyDN: .+ does not exist/.test(String(answer.Error ?? ""))) {
      throw new VenafiError(VenafiErrorCode.ZoneNotFound, `Venafi TPP has no policy folder ${body.PolicyDN} (zone "${this.conn.zone}"): ${serverErrorText(res)}`, { atCA: true, status: 400 });
    }
    if (res.status === 401) throw answerError(this.endpoint, VenafiErrorCode.AuthFailed, call, res, "the TPP token was refused");
    if (res.status !== 200 || !answer.Policy) throw answerError(this.endpoint, VenafiErrorCode.InvalidResponse, call, res, "cannot read the zone's policy");
    return zoneFromTpp(answer.Policy);
  }

  // An earlier failed enrollment would block this one ("Fix any errors, and
  // then click Retry"); a reset with Restart false clears it and leaves an
  // issued certificate alone. "Not found" and "nothing to reset" are fine.
  private async reset(token: string, dn: string): Promise<void> {
    const call: VenafiCall = { method: "POST", path: "vedsdk/certificates/reset", body: { CertificateDN: dn, Restart: false } };
    const res = await this.post(token, call.path, call.body);
    if (res.status === 200) return;
    const text = serverErrorText(res);
    if (res.status === 400 && (/No reset is required/.test(text) || /does not exist or you do not have sufficient rights/.test(text))) return;
    throw answerError(this.endpoint, VenafiErrorCode.RequestRejected, call, res, `cannot reset ${dn}`);
  }

  private async request(token: string, csr: CsrInfo, request: VenafiRequest, name: string): Promise<string> {
    const endDate = new Date(this.now().getTime() + request.durationSeconds * 1000).toISOString().replace(/\.\d{3}Z$/, "Z");
    const grouped = new Map<string, string[]>();
    for (const f of request.customFields ?? []) grouped.set(f.name, [...(grouped.get(f.name) ?? []), f.value]);
    const body: Record<string, unknown> = {
      PolicyDN: policyDN(this.conn.zone),
      ObjectName: name,
      PKCS10: request.csrPem,
      SubjectAltNames: [
        ...csr.emailAddresses.map((Name) => ({ Type: 1, Name })),
        ...csr.dnsNames.map((Name) => ({ Type: 2, Name })),
        ...csr.ipAddresses.map((Name) => ({ Type: 7, Name })),
        ...csr.uris.map((Name) => ({ Type: 6, Name })),
      ],
      CASpecificAttributes: [{ Name: "Origin", Value: ORIGIN }, ...END_DATE_ATTRIBUTES.map((Name) => ({ Name, Value: endDate }))],
      Origin: ORIGIN,
      CertificateType: "AUTO",
      DisableAutomaticRenewal: true,
      Reenable: true,
      ...(csr.keyAlgorithm === "RSA" ? { KeyAlgorithm: "RSA", KeyBitSize: csr.keySize } : csr.keyAlgorithm === "ECDSA" ? { KeyAlgorithm: "ECC", EllipticCurve: `P${csr.keySize}` } : {}),
      ...(grouped.size > 0 ? { CustomFields: [...grouped].map(([Name, Values]) => ({ Name, Values })) } : {}),
    };
    const call: VenafiCall = { method: "POST", path: "vedsdk/certificates/request", body };
    const res = await this.post(token, call.path, body);
    const dn = (res.json as { CertificateDN?: unknown } | undefined)?.CertificateDN;
    if ((res.status !== 200 && res.status !== 201) || typeof dn !== "string" || dn === "") {
      throw answerError(this.endpoint, VenafiErrorCode.RequestRejected, call, res, "TPP refused the certificate request");
    }
    return dn;
  }

  private async retrieve(token: string, dn: string): Promise<string> {
    const body = { CertificateDN: dn, Format: "base64", IncludeChain: true };
    const call: VenafiCall = { method: "POST", path: "vedsdk/certificates/retrieve", body };
    const deadline = Date.now() + (this.conn.maxWaitMs ?? 60_000);
    for (;;) {
      const res = await this.post(token, call.path, body);
      const answer = (res.json ?? {}) as { CertificateData?: unknown; Status?: unknown; Stage?: unknown };
      if (res.status === 200 && typeof answer.CertificateData === "string" && answer.CertificateData !== "") {
        return Buffer.from(answer.CertificateData, "base64").toString("utf8");
      }
      if (res.status !== 200 && res.status !== 202) throw answerError(this.endpoint, VenafiErrorCode.IssuanceFailed, call, res, `TPP could not issue ${dn}`);
      if (Date.now() >= deadline) {
        const state = `status ${JSON.stringify(answer.Status ?? "")}, stage ${String(answer.Stage ?? "?")}`;
        throw new VenafiError(VenafiErrorCode.Pending, `TPP has not issued ${dn} yet (${state}); ${callLabel(call)} answered ${res.status} until the wait ran out`, { atCA: true, status: res.status });
      }
      await sleep(this.conn.pollIntervalMs ?? 2000);
    }
  }
}
