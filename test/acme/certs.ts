// Small certificate chains made with openssl, for the pure ARI and
// preferred-chain tests: exact serials and key identifiers when a test
// needs them (RFC 9773's example), named roots for chain choice.
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface Issued {
  certPem: string;
  keyFile: string;
  certFile: string;
}

export class CertFactory {
  private readonly dir = mkdtempSync(join(tmpdir(), "gitcert-acme-certs-"));
  private n = 0;

  private run(...args: string[]): void {
    execFileSync("openssl", args, { cwd: this.dir, stdio: "pipe" });
  }

  /** A self-signed CA; `ski` as colon hex sets its subject key identifier. */
  root(cn: string, ski = "hash"): Issued {
    const id = `c${this.n++}`;
    writeFileSync(join(this.dir, `${id}.cnf`), `basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\nsubjectKeyIdentifier=${ski}\n`);
    this.run("req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-subj", `/CN=${cn}`, "-keyout", `${id}.key`, "-out", `${id}.csr`);
    this.run("x509", "-req", "-in", `${id}.csr`, "-key", `${id}.key`, "-days", "30", "-extfile", `${id}.cnf`, "-out", `${id}.pem`);
    return this.read(id);
  }

  /** A certificate signed by `issuer`: an intermediate when `ca`, else a leaf. */
  signed(cn: string, issuer: Issued, options: { ca?: boolean; serial?: string; ski?: string } = {}): Issued {
    const id = `c${this.n++}`;
    const ext = options.ca
      ? `basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\nsubjectKeyIdentifier=${options.ski ?? "hash"}\n`
      : `basicConstraints=CA:FALSE\nsubjectAltName=DNS:${cn}\n`;
    writeFileSync(join(this.dir, `${id}.cnf`), `${ext}authorityKeyIdentifier=keyid:always\n`);
    this.run("req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-subj", `/CN=${cn}`, "-keyout", `${id}.key`, "-out", `${id}.csr`);
    this.run("x509", "-req", "-in", `${id}.csr`, "-CA", issuer.certFile, "-CAkey", issuer.keyFile, "-days", "10", "-extfile", `${id}.cnf`, "-out", `${id}.pem`, ...(options.serial ? ["-set_serial", options.serial] : ["-CAcreateserial"]));
    return this.read(id);
  }

  private read(id: string): Issued {
    const certFile = join(this.dir, `${id}.pem`);
    return { certPem: readFileSync(certFile, "utf8"), certFile, keyFile: join(this.dir, `${id}.key`) };
  }

  dispose(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}
