// One gitcert process doing to many Secret files what a reconcile does,
// run and timed from outside by bench/sops/index.ts. Two ways:
//  - through execute's own code (the figures that mean something):
//    `execute-write INPUTS ROOT DIR`: each Secret of INPUTS (JSON: the
//    fields a Secret is built from, as issuance hands them over) written to
//    DIR/<name>.sops.yaml as execute writes one: the .sops.yaml rule of the
//    file, encrypted, checked, written atomically (temp file, rename),
//    `concurrency` (4, gitcert's default) at a time.
//    `execute-rekey ROOT DIR`: execute's rekey of each file in DIR for the
//    recipients its .sops.yaml now names, with the identity of
//    SOPS_AGE_KEY_FILE, 4 at a time, each file rewritten atomically.
//  - as this bench measured before (kept to compare):
//    `encrypt-files FROM TO RECIPIENT`: each plaintext YAML file encrypted
//    with encryptYaml and written with writeFileSync, one after another.
//    `rekey-files DIR RECIPIENT KEYFILE`: rekeyYaml and writeFileSync.
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { PlanItem } from "../../src/plan/index.ts";

const CONCURRENCY = 4;
const [mode, ...args] = process.argv.slice(2);

interface SecretInput {
  name: string;
  namespace: string;
  type: string;
  annotations: Record<string, string>;
  labels: Record<string, string>;
  data: Record<string, string>;
}

if (mode === "execute-write") {
  const [inputs, root, dir] = args as [string, string, string];
  const [{ secretEncryption }, { secretTarget }, { mapLimit }, { workingTree }] = await Promise.all([
    import("../../src/execute/encryption.ts"),
    import("../../src/execute/write-secret.ts"),
    import("../../src/execute/pool.ts"),
    import("../../src/repo/working-tree.ts"),
  ]);
  const secrets = (JSON.parse(readFileSync(inputs, "utf8")) as SecretInput[]).map((s) => ({
    ...s,
    data: Object.fromEntries(Object.entries(s.data).map(([k, v]) => [k, Buffer.from(v, "base64")])),
  }));
  const tree = workingTree(root);
  const ctx = { tree, encryption: secretEncryption(tree.read, []) };
  await mapLimit(secrets, CONCURRENCY, async (secret) => {
    const target = await secretTarget(`${dir}/${secret.name}.sops.yaml`, { namespace: secret.namespace, name: secret.name }, false, ctx);
    await target.write(secret);
  });
} else if (mode === "execute-rekey") {
  const [root, dir] = args as [string, string];
  const [{ secretEncryption }, { rekeySecret }, { mapLimit }, { workingTree }, { loadAgeIdentities }] = await Promise.all([
    import("../../src/execute/encryption.ts"),
    import("../../src/execute/rekey.ts"),
    import("../../src/execute/pool.ts"),
    import("../../src/repo/working-tree.ts"),
    import("../../src/secrets/index.ts"),
  ]);
  const tree = workingTree(root);
  const ctx = { tree, encryption: secretEncryption(tree.read, []), identities: await loadAgeIdentities(process.env) };
  const files = readdirSync(join(root, dir)).sort();
  const outcomes = await mapLimit(files, CONCURRENCY, (file) => {
    const name = file.replace(/\.sops\.yaml$/, "");
    // What the plan hands execute for a rekey; the recipients come from the file and its rule.
    const item: PlanItem = { action: "rekey", reason: "RecipientsChanged", message: "", object: { kind: "Secret", namespace: "shop", name }, secretPath: `${dir}/${file}`, diagnostics: [] };
    return rekeySecret(item, ctx);
  });
  const failed = outcomes.find((o) => o.kind === "failed");
  if (failed) throw new Error(`rekey failed: ${failed.message}`);
} else if (mode === "encrypt-files") {
  const [from, to, recipient] = args as [string, string, string];
  const { encryptYaml, SECRET_ENCRYPTED_REGEX } = await import("../../src/secrets/index.ts");
  const rule = { recipients: [recipient], encryptedRegex: SECRET_ENCRYPTED_REGEX };
  for (const name of readdirSync(from).sort()) {
    writeFileSync(join(to, name.replace(/\.yaml$/, ".sops.yaml")), await encryptYaml(readFileSync(join(from, name), "utf8"), rule));
  }
} else if (mode === "rekey-files") {
  const [dir, recipient, keyFile] = args as [string, string, string];
  const { parseAgeIdentities, rekeyYaml } = await import("../../src/secrets/index.ts");
  const identities = parseAgeIdentities(readFileSync(keyFile, "utf8"));
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name);
    writeFileSync(path, (await rekeyYaml(readFileSync(path, "utf8"), [recipient], identities)).text);
  }
} else {
  throw new Error("usage: gitcert.ts execute-write INPUTS ROOT DIR | execute-rekey ROOT DIR | encrypt-files FROM TO RECIPIENT | rekey-files DIR RECIPIENT KEYFILE");
}
