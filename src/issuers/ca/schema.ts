// cert-manager's `spec.ca`: the Secret holding the CA key pair, and the URLs
// put into every certificate it signs.
import { z } from "zod";
import { mapping, secretName } from "../../schema/index.ts";

export interface CaIssuerSpec {
  secretName: string;
  crlDistributionPoints?: string[];
  ocspServers?: string[];
  issuingCertificateURLs?: string[];
}

export const caSchema: z.ZodType<CaIssuerSpec, unknown> = mapping({
  secretName: secretName(),
  crlDistributionPoints: z.array(z.string()).optional(),
  ocspServers: z.array(z.string()).optional(),
  issuingCertificateURLs: z.array(z.string()).optional(),
});
