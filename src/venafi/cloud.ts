// Cloud (CyberArk Certificate Manager, SaaS) as cert-manager drives it
// through vcert: the API key in `tppl-api-key`, checked at /v1/useraccounts;
// the zone `Application\Template` looked up by name; then a certificate
// request, polled until ISSUED, and the chain fetched leaf first.
import { hostname } from "node:os";
import { formatDuration } from "../manifests/duration.ts";
import { answerError, callLabel, normalizeBase, serverErrorText, sleep, venafiRequest, type Endpoint, type VenafiCall } from "./api.ts";
import { VenafiError, VenafiErrorCode } from "./errors.ts";
import { assembleChainOrThrow, readCsrOrThrow } from "./material.ts";
import { zoneOverrides } from "./overrides.ts";
import { policyViolations, zoneFromCloud, type CloudTemplate } from "./policy.ts";
import type { CloudConnection, VenafiConnection, VenafiIssued, VenafiRequest } from "./types.ts";

const DEFAULT_URL = "https://api.venafi.cloud/";
const ORIGIN = "cert-manager";

/** `P90D`, `P1DT12H0M0S`, `PT30M0S`: vcert's validityPeriod for a duration. */
export function validityPeriod(seconds: number): string {
  const whole = Math.floor(seconds);
  if (whole <= 0) return "";
  const days = Math.floor(whole / 86400);
  const rest = whole % 86400;
  const clock = formatDuration(rest).toUpperCase();
  if (days === 0) return `PT${clock}`;
  return rest === 0 ? `P${days}D` : `P${days}DT${clock}`;
}

export class CloudClient {
  private readonly conn: CloudConnection & VenafiConnection;
  private readonly endpoint: Endpoint;
  private readonly app: string;
  private readonly template: string;

  constructor(conn: CloudConnection & VenafiConnection) {
    this.conn = conn;
    this.endpoint = { platform: "Cloud", base: normalizeBase(conn.url || DEFAULT_URL), tls: conn.caPem ? { caPem: conn.caPem } : {}, timeoutMs: conn.timeoutMs, secrets: [conn.apiKey] };
    const cut = conn.zone.indexOf("\\");
    this.app = cut === -1 ? conn.zone : conn.zone.slice(0, cut);
    this.template = cut === -1 ? "" : conn.zone.slice(cut + 1);
  }

  private call(method: "GET" | "POST", path: string, body?: unknown): VenafiCall {
    return { method, path, ...(body === undefined ? {} : { body }), headers: { "tppl-api-key": this.conn.apiKey.trim() } };
  }

  /** Issuer readiness: the API key works (cert-manager's VerifyCredentials). */
  async verify(): Promise<void> {
    const call = this.call("GET", "v1/useraccounts");
    const res = await venafiRequest(this.endpoint, call);
    if (res.status !== 200) throw answerError(this.endpoint, VenafiErrorCode.AuthFailed, call, res, "the Cloud API key was refused");
  }

  async issue(request: VenafiRequest): Promise<VenafiIssued> {
    const csr = readCsrOrThrow(request.csrPem);
    if (!this.template) {
      throw new VenafiError(VenafiErrorCode.InvalidRequest, `zone "${this.conn.zone}" is not "Application\\Issuing Template Alias"`, { atCA: false });
    }
    await this.verify();
    const { applicationId, templateId } = await this.lookupZone();
    const template = await this.readTemplate();
    const problems = policyViolations(csr, zoneFromCloud(template));
    if (problems.length > 0) {
      throw new VenafiError(VenafiErrorCode.PolicyViolation, `the Venafi Cloud issuing template "${this.conn.zone}" does not allow this certificate: ${problems.join("; ")}`, { atCA: false });
    }
    const requestId = await this.request(request, applicationId, templateId);
    const certificateId = await this.waitForIssued(requestId);
    const pem = await this.fetchChain(certificateId, requestId);
    const chain = assembleChainOrThrow(pem, "Cloud");
    return { chain, pickupId: requestId, overrides: zoneOverrides(csr, chain.chainPem) };
  }

  private async lookupZone(): Promise<{ applicationId: string; templateId: string }> {
    const call = this.call("GET", `outagedetection/v1/applications/name/${encodeURIComponent(this.app)}`);
    const res = await venafiRequest(this.endpoint, call);
    if (res.status === 404 || res.status === 400) {
      throw new VenafiError(VenafiErrorCode.ZoneNotFound, `Venafi Cloud has no application ${JSON.stringify(this.app)}: ${serverErrorText(res)}`, { atCA: true, status: res.status });
    }
    const app = (res.json ?? {}) as { id?: unknown; certificateIssuingTemplateAliasIdMap?: Record<string, unknown> };
    if (res.status !== 200 || typeof app.id !== "string") throw answerError(this.endpoint, VenafiErrorCode.InvalidResponse, call, res, "cannot read the application");
    const templateId = app.certificateIssuingTemplateAliasIdMap?.[this.template];
    if (typeof templateId !== "string") {
      throw new VenafiError(VenafiErrorCode.ZoneNotFound, `Venafi Cloud application ${JSON.stringify(this.app)} has no issuing template alias ${JSON.stringify(this.template)}`, { atCA: true, status: res.status });
    }
    return { applicationId: app.id, templateId };
  }

  private async readTemplate(): Promise<CloudTemplate> {
    const call = this.call("GET", `outagedetection/v1/applications/${encodeURIComponent(this.app)}/certificateissuingtemplates/${encodeURIComponent(this.template)}`);
    const res = await venafiRequest(this.endpoint, call);
    if (res.status !== 200 || !res.json || typeof res.json !== "object") throw answerError(this.endpoint, VenafiErrorCode.ZoneNotFound, call, res, `cannot read issuing template "${this.conn.zone}"`);
    return res.json as CloudTemplate;
  }

  private async request(request: VenafiRequest, applicationId: string, templateId: string): Promise<string> {
    const period = validityPeriod(request.durationSeconds);
    const call = this.call("POST", "outagedetection/v1/certificaterequests", {
      certificateSigningRequest: request.csrPem,
      applicationId,
      certificateIssuingTemplateId: templateId,
      apiClientInformation: { type: ORIGIN, identifier: hostname() },
      ...(period ? { validityPeriod: period } : {}),
    });
    const res = await venafiRequest(this.endpoint, call);
    const id = (res.json as { certificateRequests?: Array<{ id?: unknown }> } | undefined)?.certificateRequests?.[0]?.id;
    if (res.status !== 201 || typeof id !== "string") throw answerError(this.endpoint, VenafiErrorCode.RequestRejected, call, res, "Venafi Cloud refused the certificate request");
    return id;
  }

  private async waitForIssued(requestId: string): Promise<string> {
    const call = this.call("GET", `outagedetection/v1/certificaterequests/${encodeURIComponent(requestId)}`);
    const deadline = Date.now() + (this.conn.maxWaitMs ?? 60_000);
    for (;;) {
      const res = await venafiRequest(this.endpoint, call);
      if (res.status !== 200) throw answerError(this.endpoint, VenafiErrorCode.IssuanceFailed, call, res, `cannot follow certificate request ${requestId}`);
      const state = (res.json ?? {}) as { status?: unknown; certificateIds?: unknown; errorInformation?: { message?: unknown; code?: unknown } };
      if (state.status === "ISSUED" && Array.isArray(state.certificateIds) && typeof state.certificateIds[0] === "string") return state.certificateIds[0];
      if (state.status === "FAILED" || state.status === "REJECTED") {
        const why = typeof state.errorInformation?.message === "string" ? state.errorInformation.message : "no reason given";
        throw new VenafiError(VenafiErrorCode.IssuanceFailed, `Venafi Cloud request ${requestId} ${String(state.status)}: ${why} (${callLabel(call)})`, { atCA: true, status: res.status });
      }
      if (Date.now() >= deadline) {
        throw new VenafiError(VenafiErrorCode.Pending, `Venafi Cloud has not issued request ${requestId} yet (status ${JSON.stringify(state.status ?? "")}) when the wait ran out`, { atCA: true, status: res.status });
      }
      await sleep(this.conn.pollIntervalMs ?? 2000);
    }
  }

  private async fetchChain(certificateId: string, requestId: string): Promise<string> {
    const call = this.call("GET", `outagedetection/v1/certificates/${encodeURIComponent(certificateId)}/contents?chainOrder=EE_FIRST&format=PEM`);
    const deadline = Date.now() + (this.conn.maxWaitMs ?? 60_000);
    for (;;) {
      const res = await venafiRequest(this.endpoint, call);
      if (res.status === 200) return res.text;
      // 409: issued but not downloadable yet.
      if (res.status !== 409) throw answerError(this.endpoint, VenafiErrorCode.InvalidResponse, call, res, `cannot download certificate ${certificateId}`);
      if (Date.now() >= deadline) throw new VenafiError(VenafiErrorCode.Pending, `Venafi Cloud certificate for request ${requestId} was not downloadable when the wait ran out`, { atCA: true, status: 409 });
      await sleep(this.conn.pollIntervalMs ?? 2000);
    }
  }
}
