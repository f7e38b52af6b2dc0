// Shared by the pki tests: a Certificate spec with cert-manager's defaults,
// a scratch directory, and openssl as the independent judge.
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { CertificateSpec } from "../../src/manifests/types.ts";
import { certificateSpec } from "../fixtures/certificate-spec.ts";

export function certSpec(overrides: Partial<CertificateSpec> = {}): CertificateSpec {
  return certificateSpec({
    secretName: "example-tls",
    dnsNames: [],
    privateKey: { algorithm: "ECDSA", size: 256, encoding: "PKCS1", rotationPolicy: "Always" },
    ...overrides,
  });
}

/** A scratch directory; call `cleanup` from `after`, which runs even when tests fail. */
export function scratch(): { dir: string; file(name: string, content: string | Buffer): string; cleanup(): void } {
  const dir = mkdtempSync(join(tmpdir(), "gitcert-pki-"));
  return {
    dir,
    file(name, content) {
      const path = join(dir, name);
      writeFileSync(path, content, { mode: 0o600 });
      return path;
    },
    cleanup() {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Runs openssl; throws with its stderr when it exits non-zero. */
export function openssl(args: string[], input?: string | Buffer): string {
  try {
    return execFileSync("openssl", args, { input, encoding: "utf8", stdio: ["pipe", "pipe", "pipe"] });
  } catch (err) {
    const e = err as { stderr?: string; stdout?: string; message: string };
    throw new Error(`openssl ${args.join(" ")} failed: ${e.stderr || e.stdout || e.message}`);
  }
}

/** `openssl x509 -noout -text` of a certificate PEM. */
export function x509Text(pem: string): string {
  return openssl(["x509", "-noout", "-text"], pem);
}

/** The lines of an `openssl ... -text` dump following `heading`, joined. */
export function extensionText(text: string, heading: string): string {
  const lines = text.split("\n");
  const i = lines.findIndex((l) => l.trim().startsWith(heading));
  if (i < 0) return "";
  return [lines[i]!.trim(), lines[i + 1]?.trim() ?? ""].join(" ");
}
