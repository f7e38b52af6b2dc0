// The variables a Flux Kustomization substitutes: its `substituteFrom`
// ConfigMaps and Secrets in order (a later one overrides an earlier one),
// then its inline `substitute`, which overrides them all. Only what the
// repository holds can be read: a SOPS-encrypted Secret's values are
// "sealed" unless `run` decrypted it, and a source that is not in the
// repository at all (made in the cluster) makes every unknown name "unseen"
// rather than undefined.
import { objectLabel, type ObjectRef, type SourceRef } from "../diagnostics.ts";
import { isRecord } from "../schema/index.ts";
import { VARIABLE_NAME, type VariableValue } from "./envsubst.ts";
import type { FluxKustomization, SubstituteFromRef } from "./types.ts";

/** A ConfigMap or Secret the repository holds, as a substitution source. */
export interface VariableSource {
  kind: "ConfigMap" | "Secret";
  namespace: string;
  name: string;
  object: Record<string, unknown>;
  source: SourceRef;
  /** A Secret with SOPS metadata: its values are ciphertext. */
  encrypted: boolean;
}

/** The ConfigMaps and Secrets of the repository, looked up as substitution needs them. */
export interface VariableSources {
  get(kind: "ConfigMap" | "Secret", namespace: string, name: string): VariableSource | undefined;
  /** Those that define `variable` (for "defined in … instead" hints). */
  defining(variable: string): VariableSource[];
}

export interface Variables {
  lookup(name: string): VariableValue | undefined;
  /** Is substitution run at all (some variable, or substituteStrategy: Always)? */
  active: boolean;
  /** Where each defined name comes from, for messages. */
  definedIn(name: string): string | undefined;
  /** Was the value of `name` read from a decrypted SOPS Secret (a value its owner keeps out of plain sight)? */
  fromEncrypted(name: string): boolean;
  /** Names Flux refuses (it fails the whole Kustomization). */
  invalidNames: string[];
  /** SOPS Secrets whose values were needed and not decrypted. */
  sealedSources: VariableSource[];
  /** substituteFrom references the repository does not hold. */
  unseenSources: SubstituteFromRef[];
}

export function variablesOf(
  k: FluxKustomization,
  sources: VariableSources,
  decrypted: ReadonlyMap<string, Record<string, string>> | undefined,
): Variables {
  const values = new Map<string, { value: VariableValue; where: string; encrypted?: boolean }>();
  const sealedSources: VariableSource[] = [];
  const unseenSources: SubstituteFromRef[] = [];
  for (const ref of k.postBuild?.substituteFrom ?? []) {
    const source = sources.get(ref.kind, k.namespace, ref.name);
    if (!source) {
      unseenSources.push(ref);
      continue;
    }
    const where = `${objectLabel(refOf(source))} at ${source.source.file}:${source.source.line}`;
    const plain = source.encrypted ? decrypted?.get(`${source.namespace}/${source.name}`) : undefined;
    if (source.encrypted && !plain) {
      sealedSources.push(source);
      for (const name of dataKeys(source.object)) values.set(name, { value: { kind: "sealed" }, where });
      continue;
    }
    for (const [name, value] of Object.entries(plain ?? plainValues(source))) {
      values.set(name, { value: { kind: "value", value: value.replace(/\n/g, "") }, where, ...(plain ? { encrypted: true } : {}) });
    }
  }
  const inline = `spec.postBuild.substitute of Kustomization ${k.namespace}/${k.name}`;
  for (const [name, value] of Object.entries(k.postBuild?.substitute ?? {})) values.set(name, { value: { kind: "value", value }, where: inline });
  return {
    lookup(name) {
      const v = values.get(name)?.value;
      if (v) return v;
      return unseenSources.length > 0 ? { kind: "unseen" } : undefined;
    },
    active: k.postBuild !== undefined && (values.size > 0 || unseenSources.length > 0 || k.postBuild.always),
    definedIn: (name) => values.get(name)?.where,
    fromEncrypted: (name) => values.get(name)?.encrypted === true,
    invalidNames: [...values.keys()].filter((n) => !VARIABLE_NAME.test(n)),
    sealedSources,
    unseenSources,
  };
}

function refOf(s: VariableSource): ObjectRef {
  return { kind: s.kind, namespace: s.namespace, name: s.name };
}

export function dataKeys(object: Record<string, unknown>): string[] {
  return [...Object.keys(isRecord(object.data) ? object.data : {}), ...Object.keys(isRecord(object.stringData) ? object.stringData : {})];
}

/** A ConfigMap's `data`; a plaintext Secret's `data` (base64) and `stringData`. */
function plainValues(source: VariableSource): Record<string, string> {
  const out: Record<string, string> = {};
  const data = isRecord(source.object.data) ? source.object.data : {};
  for (const [k, v] of Object.entries(data)) {
    if (v === null || typeof v === "object") continue;
    out[k] = source.kind === "Secret" ? Buffer.from(String(v), "base64").toString("utf8") : String(v);
  }
  if (source.kind === "Secret" && isRecord(source.object.stringData)) {
    for (const [k, v] of Object.entries(source.object.stringData)) if (v !== null && typeof v !== "object") out[k] = String(v);
  }
  return out;
}
