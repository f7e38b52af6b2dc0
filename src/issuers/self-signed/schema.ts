// cert-manager's `spec.selfSigned`: `{}`, or the CRL distribution points to
// put into the certificates it signs.
import { z } from "zod";
import { mapping } from "../../schema/index.ts";

export interface SelfSignedIssuerSpec {
  crlDistributionPoints?: string[];
}

export const selfSignedSchema: z.ZodType<SelfSignedIssuerSpec, unknown> = mapping({
  crlDistributionPoints: z.array(z.string()).optional(),
}).prefault({});
