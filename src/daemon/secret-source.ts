// A credential given in the environment (or config file) or as a file, the
// file read afresh each time: a Kubernetes Secret volume is updated in
// place, and a rotated webhook secret or API token must apply without a
// restart.
import { readFileSync } from "node:fs";

export interface SecretSource {
  value?: string;
  file?: string;
}

export function secretFrom(source: SecretSource): string {
  if (source.file) {
    try {
      return readFileSync(source.file, "utf8").trim();
    } catch {
      return ""; // unreadable: nothing is authenticated, so nothing runs
    }
  }
  return source.value ?? "";
}
