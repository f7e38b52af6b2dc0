// One gitcert process doing what a reconcile does to many Secret files:
// `encrypt` (each plaintext Secret in FROM encrypted into TO) or `rekey`
// (each file in DIR re-wrapped for RECIPIENT, opened with the identities
// in KEYFILE), four files at a time as a reconcile's default concurrency
// does. Run by bench/sops/index.ts, timed from outside.
import { readdirSync, readFileSync } from "node:fs";
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { mapLimit } from "../../src/execute/pool.ts";
import { encryptYaml, parseAgeIdentities, rekeyYaml, SECRET_ENCRYPTED_REGEX } from "../../src/secrets/index.ts";

const CONCURRENCY = 4;
const [mode, ...args] = process.argv.slice(2);
if (mode === "encrypt") {
  const [from, to, recipient] = args as [string, string, string];
  const rule = { recipients: [recipient], encryptedRegex: SECRET_ENCRYPTED_REGEX };
  await mapLimit(readdirSync(from).sort(), CONCURRENCY, async (name) => {
    const encrypted = await encryptYaml(await readFile(join(from, name), "utf8"), rule);
    await writeFile(join(to, name.replace(/\.yaml$/, ".sops.yaml")), encrypted);
  });
} else if (mode === "rekey") {
  const [dir, recipient, keyFile] = args as [string, string, string];
  const identities = parseAgeIdentities(readFileSync(keyFile, "utf8"));
  await mapLimit(readdirSync(dir).sort(), CONCURRENCY, async (name) => {
    const path = join(dir, name);
    await writeFile(path, (await rekeyYaml(await readFile(path, "utf8"), [recipient], identities)).text);
  });
} else {
  throw new Error("usage: gitcert.ts encrypt FROM TO RECIPIENT | rekey DIR RECIPIENT KEYFILE");
}
