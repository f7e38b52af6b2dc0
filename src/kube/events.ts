// Events on cluster objects, deduplicated the way client-go's recorder does
// (tools/record EventCorrelator): the same object, type, reason and message
// again bumps `count` and `lastTimestamp` of the Event already there instead
// of creating another. The Event is found again after a restart or a leader
// change through a field-selected list, so a failure repeating once per
// CronJob run is one Event with a count, not one Event per run.
import { hostname } from "node:os";
import { randomInt } from "node:crypto";
import type { CoreV1Event } from "@kubernetes/client-node";
import { MERGE_PATCH, isNotFound, type Cluster } from "./client.ts";
import type { EventSpec } from "./certificate-events.ts";

export interface InvolvedObject {
  apiVersion: string;
  kind: string;
  name: string;
  /** Empty or undefined for cluster-scoped objects, whose Events go to `default` as client-go's do. */
  namespace?: string;
  uid: string;
}

interface Known {
  name: string;
  namespace: string;
  count: number;
}

export interface RecorderOptions {
  /** source.component and reportingController. */
  component?: string;
  /** source.host and reportingInstance: the pod name in a cluster. */
  instance?: string;
  now?: () => Date;
}

export class EventRecorder {
  private readonly known = new Map<string, Known>();
  private readonly cluster: Cluster;
  private readonly component: string;
  private readonly instance: string;
  private readonly now: () => Date;

  constructor(cluster: Cluster, options: RecorderOptions = {}) {
    this.cluster = cluster;
    this.component = options.component ?? "gitcert";
    this.instance = options.instance ?? hostname();
    this.now = options.now ?? (() => new Date());
  }

  async record(object: InvolvedObject, event: EventSpec): Promise<void> {
    const key = [object.uid, object.kind, object.namespace ?? "", object.name, event.type, event.reason, event.message].join("\0");
    const known = this.known.get(key) ?? (await this.find(object, event));
    if (known) {
      try {
        await this.bump(known);
        this.known.set(key, { ...known, count: known.count + 1 });
        return;
      } catch (err) {
        if (!isNotFound(err)) throw err; // expired (Events live an hour by default): start a new one
      }
    }
    this.known.set(key, await this.create(object, event));
  }

  private async find(object: InvolvedObject, event: EventSpec): Promise<Known | undefined> {
    const namespace = namespaceOf(object);
    const list = await this.cluster.call(`list Events of ${object.kind} ${object.name}`, () =>
      this.cluster.core.listNamespacedEvent({ namespace, fieldSelector: `involvedObject.uid=${object.uid},reason=${event.reason},type=${event.type}` }),
    );
    const same = list.items
      .filter((e) => e.message === event.message && e.source?.component === this.component && e.metadata.name)
      .sort((a, b) => time(b.lastTimestamp) - time(a.lastTimestamp))[0];
    return same ? { name: same.metadata.name!, namespace, count: same.count ?? 1 } : undefined;
  }

  private async bump(known: Known): Promise<void> {
    const body = { count: known.count + 1, lastTimestamp: this.now().toISOString() };
    await this.cluster.call(`update Event ${known.namespace}/${known.name}`, () =>
      this.cluster.core.patchNamespacedEvent({ name: known.name, namespace: known.namespace, body }, MERGE_PATCH),
    );
  }

  private async create(object: InvolvedObject, event: EventSpec): Promise<Known> {
    const namespace = namespaceOf(object);
    const now = this.now();
    // client-go names Events <object>.<unix nanoseconds in hex>
    const name = `${object.name}.${(BigInt(now.getTime()) * 1_000_000n + BigInt(randomInt(1_000_000))).toString(16)}`;
    const body: CoreV1Event = {
      metadata: { name, namespace },
      involvedObject: { apiVersion: object.apiVersion, kind: object.kind, name: object.name, namespace: object.namespace || undefined, uid: object.uid },
      type: event.type,
      reason: event.reason,
      message: event.message,
      source: { component: this.component, host: this.instance },
      reportingComponent: this.component,
      reportingInstance: this.instance,
      firstTimestamp: now,
      lastTimestamp: now,
      count: 1,
    };
    await this.cluster.call(`create Event for ${object.kind} ${object.name}`, () => this.cluster.core.createNamespacedEvent({ namespace, body }));
    return { name, namespace, count: 1 };
  }
}

function namespaceOf(object: InvolvedObject): string {
  return object.namespace || "default";
}

function time(value: Date | string | undefined): number {
  return value ? new Date(value).getTime() : 0;
}
