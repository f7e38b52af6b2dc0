// Issuance order inside one reconcile: a Certificate whose issuer needs a
// Secret that another planned Certificate writes (a CA issued from an isCA
// Certificate) waits for it. Returns waves; each wave can run in parallel.
import type { SecretKey } from "../issuers/types.ts";

export interface Orderable {
  /** namespace/secretName this item writes. */
  writes: string;
  needs: SecretKey[];
}

export function issuanceWaves<T extends Orderable>(items: readonly T[]): { waves: T[][]; cyclic: T[] } {
  const writers = new Map(items.map((i) => [i.writes, i]));
  const depth = new Map<T, number>();
  const visiting = new Set<T>();
  const cyclic = new Set<T>();

  const visit = (item: T): number => {
    const known = depth.get(item);
    if (known !== undefined) return known;
    if (visiting.has(item)) {
      cyclic.add(item);
      return 0;
    }
    visiting.add(item);
    let d = 0;
    for (const need of item.needs) {
      const writer = writers.get(`${need.namespace}/${need.name}`);
      if (writer && writer !== item) {
        d = Math.max(d, visit(writer) + 1);
        if (cyclic.has(writer)) cyclic.add(item);
      }
    }
    visiting.delete(item);
    depth.set(item, d);
    return d;
  };

  const waves: T[][] = [];
  for (const item of items) {
    const d = visit(item);
    if (cyclic.has(item)) continue;
    (waves[d] ??= []).push(item);
  }
  return { waves: waves.filter(Boolean), cyclic: [...cyclic] };
}
