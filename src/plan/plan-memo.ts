// A long-running gitcert plans thousands of Certificates on every tick, and
// between two ticks almost none of them changed. A Certificate's plan item
// is a function of the Certificate, its issuer, its Secret file(s), the
// .sops.yaml rules and settings that place and encrypt it, its failure-log
// record, its renew request and its renewal hint, and of the clock only
// through a few instants (expiry, renewal time, end of backoff). So an item
// is kept with all of those and reused while each is the same object or
// value and the clock has not crossed the next of those instants; anything
// else plans it again. Kept by Certificate object (a weak reference): a
// Certificate the scan no longer yields takes its item with it.
import type { CertificateResource, IssuerResource, SecretFile } from "../manifests/types.ts";
import type { EncryptionTarget, SopsConfigFile, SopsConfigIndex } from "../secrets/index.ts";
import { backoffUntil, type FailureRecord } from "./backoff.ts";
import type { PlanItem } from "./planner.ts";
import { issuerHash, requestHash, secretHash } from "./spec-hash.ts";

/** What an item was planned from, beyond the Certificate it is kept by. */
export interface PlanGrounds {
  issuer: IssuerResource;
  secrets: readonly SecretFile[];
  failure: FailureRecord | undefined;
  hint: Date | undefined;
}

/** The settings every item is planned with: a change to any of them plans every Certificate again. */
export interface PlanSettings {
  sops: SopsConfigIndex | undefined;
  secretPathTemplate: string | undefined;
  ageRecipients: readonly string[] | undefined;
  identityRecipients: ReadonlySet<string> | undefined;
}

interface Kept {
  requestHash: string;
  secretHash: string;
  issuerHash: string;
  secretDir: string | undefined;
  hint: number | undefined;
  failure: string;
  issuer: IssuerResource;
  /** The Secret files it was planned with: the one itself when there is one (nearly always), not a list of it. */
  secrets: SecretFile | readonly SecretFile[];
  /** The clock range the item holds for: [from, until). */
  from: number;
  until: number;
  item: PlanItem;
}

export class PlanMemo {
  #kept = new WeakMap<CertificateResource, Kept>();
  #settings: PlanSettings | undefined;
  /** One object for each distinct encryption target under these settings: thousands of items share a few. */
  #targets = new Map<string, EncryptionTarget>();
  /** Items planned afresh / reused by the last plan (tests and benchmarks read them). */
  planned = 0;
  reused = 0;

  /** Called once per plan: forgets every item when the settings changed. */
  begin(settings: PlanSettings): void {
    this.planned = 0;
    this.reused = 0;
    if (this.#settings && sameSettings(this.#settings, settings)) {
      // The newer index is kept: equal, and what the next comparison should start from.
      this.#settings = settings;
      return;
    }
    this.#settings = settings;
    this.#kept = new WeakMap();
    this.#targets = new Map();
  }

  /**
   * The target equal to `target` that kept items already hold, else
   * `target`: the planner makes a new one for each Certificate (its rule,
   * recipients and origin), and items keep them for as long as these
   * settings hold.
   */
  sharedTarget(target: EncryptionTarget): EncryptionTarget {
    const key = JSON.stringify(target);
    const known = this.#targets.get(key);
    if (known) return known;
    this.#targets.set(key, target);
    return target;
  }

  /** The kept item for `certificate` when it still holds at `now`, else `plan()`'s, kept. */
  item(certificate: CertificateResource, grounds: PlanGrounds, now: Date, plan: () => PlanItem): PlanItem {
    const time = now.getTime();
    // Compared field by field, cheapest first: thousands of Certificates on every tick.
    const kept = this.#kept.get(certificate);
    const failure = failureKey(grounds.failure);
    if (
      kept &&
      kept.from <= time &&
      time < kept.until &&
      kept.issuer === grounds.issuer &&
      sameSecrets(kept.secrets, grounds.secrets) &&
      kept.secretDir === certificate.secretDir &&
      kept.hint === grounds.hint?.getTime() &&
      kept.failure === failure &&
      kept.requestHash === requestHash(certificate.spec) &&
      kept.secretHash === secretHash(certificate) &&
      kept.issuerHash === issuerHash(grounds.issuer)
    ) {
      this.reused++;
      return kept.item;
    }
    const item = plan();
    this.planned++;
    this.#kept.set(certificate, {
      requestHash: requestHash(certificate.spec),
      secretHash: secretHash(certificate),
      issuerHash: issuerHash(grounds.issuer),
      secretDir: certificate.secretDir,
      hint: grounds.hint?.getTime(),
      failure,
      issuer: grounds.issuer,
      secrets: grounds.secrets.length === 1 ? grounds.secrets[0]! : [...grounds.secrets],
      from: time,
      until: nextInstant(item, grounds.failure, time),
      item,
    });
    return item;
  }
}

/**
 * The first instant after `now` at which the planner could decide
 * otherwise: expiry (`notAfter <= now`), the renewal time (`renewAt <= now`),
 * the end of backoff (`until > now`). Instants already passed stay passed
 * while the clock moves forward (a clock moved back plans again: `from`).
 */
function nextInstant(item: PlanItem, failure: FailureRecord | undefined, now: number): number {
  let next = Number.POSITIVE_INFINITY;
  const consider = (d: Date | number | undefined) => {
    const t = typeof d === "number" ? d : d?.getTime();
    if (t !== undefined && t > now && t < next) next = t;
  };
  consider(item.state?.notAfter);
  consider(item.renewalTime);
  consider(item.retryAt);
  if (item.requestHash !== undefined && item.issuerHash !== undefined) consider(backoffUntil(failure, { requestHash: item.requestHash, issuerHash: item.issuerHash }));
  return next;
}

function failureKey(f: FailureRecord | undefined): string {
  return f ? `${f.attempts}\u0000${f.lastFailureTime.getTime()}\u0000${f.requestHash}\u0000${f.issuerHash}\u0000${f.notBefore?.getTime() ?? ""}\u0000${f.message}` : "";
}

function sameSecrets(kept: SecretFile | readonly SecretFile[], now: readonly SecretFile[]): boolean {
  return Array.isArray(kept) ? sameList(kept, now) : now.length === 1 && now[0] === kept;
}

function sameList<T>(a: readonly T[], b: readonly T[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

function sameSettings(a: PlanSettings, b: PlanSettings): boolean {
  return (
    a.secretPathTemplate === b.secretPathTemplate &&
    sameList(a.ageRecipients ?? [], b.ageRecipients ?? []) &&
    (a.identityRecipients === undefined) === (b.identityRecipients === undefined) &&
    sameList([...(a.identityRecipients ?? [])].sort(), [...(b.identityRecipients ?? [])].sort()) &&
    sameSopsIndex(a.sops, b.sops)
  );
}

/**
 * Two loaded .sops.yaml indexes (read again for each commit) that say the
 * same: the same folders looked up, the same files found, parsed alike.
 * Only indexes loaded as maps can be compared; any other is taken as changed.
 */
function sameSopsIndex(a: SopsConfigIndex | undefined, b: SopsConfigIndex | undefined): boolean {
  if (a === b) return true;
  if (!(a instanceof Map) || !(b instanceof Map) || a.size !== b.size) return false;
  for (const [dir, file] of a as Map<string, SopsConfigFile | null>) {
    const other = (b as Map<string, SopsConfigFile | null>).get(dir);
    if (other === undefined) return false;
    if (file === other) continue;
    if (file === null || other === null || file.path !== other.path) return false;
    if (JSON.stringify([file.config, file.problem?.code, file.problem?.message]) !== JSON.stringify([other.config, other.problem?.code, other.problem?.message])) return false;
  }
  return true;
}
