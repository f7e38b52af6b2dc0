// The CSR going out and the chain coming back, with failures as VenafiErrors.
import { assembleChain, readCsr, type ChainBundle, type CsrInfo } from "../pki/index.ts";
import { VenafiError, VenafiErrorCode } from "./errors.ts";

export function readCsrOrThrow(csrPem: string): CsrInfo {
  try {
    return readCsr(csrPem);
  } catch (err) {
    throw new VenafiError(VenafiErrorCode.InvalidRequest, `cannot read the certificate request: ${err instanceof Error ? err.message : String(err)}`, { atCA: false });
  }
}

export function assembleChainOrThrow(pem: string, platform: string): ChainBundle {
  try {
    return assembleChain(pem);
  } catch (err) {
    throw new VenafiError(VenafiErrorCode.InvalidResponse, `Venafi ${platform} returned certificates gitcert cannot use: ${err instanceof Error ? err.message : String(err)}`, { atCA: true });
  }
}
