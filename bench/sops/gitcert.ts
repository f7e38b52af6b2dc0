// One gitcert process doing what a reconcile does to many Secret files:
// `encrypt` (each plaintext Secret in FROM encrypted into TO) or `rekey`
// (each file in DIR re-wrapped for RECIPIENT, opened with the identities
// in KEYFILE). Run by bench/sops/index.ts, timed from outside. Files are
// read and written synchronously, one after another: on this machine the
// promise API's file handles cost more CPU than they save in waiting.
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { encryptYaml, parseAgeIdentities, rekeyYaml, SECRET_ENCRYPTED_REGEX } from "../../src/secrets/index.ts";

const [mode, ...args] = process.argv.slice(2);
if (mode === "encrypt") {
  const [from, to, recipient] = args as [string, string, string];
  const rule = { recipients: [recipient], encryptedRegex: SECRET_ENCRYPTED_REGEX };
  for (const name of readdirSync(from).sort()) {
    writeFileSync(join(to, name.replace(/\.yaml$/, ".sops.yaml")), await encryptYaml(readFileSync(join(from, name), "utf8"), rule));
  }
} else if (mode === "rekey") {
  const [dir, recipient, keyFile] = args as [string, string, string];
  const identities = parseAgeIdentities(readFileSync(keyFile, "utf8"));
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name);
    writeFileSync(path, (await rekeyYaml(readFileSync(path, "utf8"), [recipient], identities)).text);
  }
} else {
  throw new Error("usage: gitcert.ts encrypt FROM TO RECIPIENT | rekey DIR RECIPIENT KEYFILE");
}
