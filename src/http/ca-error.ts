// A failure talking to a CA's API. `atCA` separates the server's own
// failures (an error answer, unreachable, timed out) from ours — a request
// the Certificate should not make, material we cannot read — which no
// amount of waiting fixes.
import { GitcertError } from "../diagnostics.ts";

export class CaApiError extends GitcertError {
  /** HTTP status of the answer, when there was one. */
  readonly status?: number;

  constructor(code: string, message: string, options: { atCA: boolean; status?: number }) {
    super(code, message, {}, { atCA: options.atCA });
    this.name = "CaApiError";
    if (options.status !== undefined) this.status = options.status;
  }
}
