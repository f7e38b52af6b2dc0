// The schema room: one way to read the untyped specs of manifests (zod
// schemas with cert-manager's wording), used by every room that has one.
export { read, mapKey, pathText, problemText, type Problem, type Reading } from "./read.ts";
export { alternatives, describeValue } from "./messages.ts";
export { httpUrl, integer, isRecord, looseMapping, mapping, optionalText, pemBundle, requiredText, stringList, stringMap, validAs } from "./fields.ts";
export { optionalSecretName, secretKeySelector, secretName, type SecretKeySelector } from "./kube.ts";
