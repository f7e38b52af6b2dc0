// A `rekey`: the recipients the repository's .sops.yaml names for a Secret
// file changed, so its data key is re-wrapped for them (secrets/rekey.ts):
// no new certificate, the same values and MAC, one file rewritten.
import { GitcertError, toDiagnostic } from "../diagnostics.ts";
import type { PlanItem } from "../plan/index.ts";
import { recipientChange } from "../plan/recipients.ts";
import { rekeyYaml } from "../secrets/index.ts";
import type { ExecuteContext } from "./execute.ts";
import { failed, rekeyed, type FailedOutcome, type RekeyedOutcome } from "./outcome.ts";

export async function rekeySecret(item: PlanItem, ctx: Pick<ExecuteContext, "tree" | "encryption" | "identities">): Promise<RekeyedOutcome | FailedOutcome> {
  const path = item.secretPath!;
  const where = { source: item.source, object: item.object };
  try {
    if (ctx.identities.length === 0) {
      throw new GitcertError("NoAgeIdentity", `${path}: re-wrapping its data key needs the age identity of one of its recipients, and none is configured (set SOPS_AGE_KEY_FILE or SOPS_AGE_KEY)`, where);
    }
    const text = await ctx.tree.read(path);
    if (text === undefined) throw new GitcertError("SecretNotFound", `${path} is gone`, where);
    const { rule } = await ctx.encryption.targetFor(path);
    let result;
    try {
      result = await rekeyYaml(text, rule.recipients, ctx.identities);
    } catch (err) {
      if (err instanceof GitcertError) throw new GitcertError(err.code, `${path}: ${err.message}`, where);
      throw err;
    }
    await ctx.tree.write(path, result.text);
    // The plan saw the same file moments ago; its change is the fallback only in name.
    return rekeyed(item, recipientChange(result.before, result.after) ?? item.recipients!);
  } catch (err) {
    return failed(item, toDiagnostic(err, { code: "RekeyFailed", ...where }));
  }
}
