// A throwaway CA made with openssl for a test's HTTPS servers and client
// certificates: keys generated at run time, nothing kept after `cleanup`.
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface KeyPair {
  certPem: string;
  keyPem: string;
  certFile: string;
  keyFile: string;
}

export class TestCa {
  readonly dir = mkdtempSync(join(tmpdir(), "gitcert-test-ca-"));
  readonly caPem: string;
  readonly caFile: string;
  private n = 0;

  constructor(commonName = "gitcert test CA") {
    this.run("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "30", "-subj", `/CN=${commonName}`, "-keyout", "ca.key", "-out", "ca.pem");
    this.caFile = join(this.dir, "ca.pem");
    this.caPem = readFileSync(this.caFile, "utf8");
  }

  /** A server certificate for `names` (DNS names and IP addresses). */
  server(names: string[] = ["localhost", "127.0.0.1"]): KeyPair {
    const san = names.map((n) => (/^[\d.]+$|:/.test(n) ? `IP:${n}` : `DNS:${n}`)).join(",");
    return this.issue(names[0] ?? "server", `subjectAltName=${san}\nextendedKeyUsage=serverAuth\nbasicConstraints=CA:FALSE\n`);
  }

  /** A client certificate (extendedKeyUsage clientAuth) for mutual TLS. */
  client(commonName: string): KeyPair {
    return this.issue(commonName, "extendedKeyUsage=clientAuth\nbasicConstraints=CA:FALSE\n");
  }

  cleanup(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }

  private issue(commonName: string, extensions: string): KeyPair {
    const id = `k${this.n++}`;
    writeFileSync(join(this.dir, `${id}.cnf`), extensions);
    this.run("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-subj", `/CN=${commonName}`, "-keyout", `${id}.key`, "-out", `${id}.csr`);
    this.run("x509", "-req", "-in", `${id}.csr`, "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial", "-days", "30", "-extfile", `${id}.cnf`, "-out", `${id}.pem`);
    const certFile = join(this.dir, `${id}.pem`);
    const keyFile = join(this.dir, `${id}.key`);
    return { certPem: readFileSync(certFile, "utf8"), keyPem: readFileSync(keyFile, "utf8"), certFile, keyFile };
  }

  private run(...args: string[]): void {
    execFileSync("openssl", args, { cwd: this.dir, stdio: "pipe" });
  }
}
