// JSON logs on stderr (pino). Secrets never reach a log line: nothing that
// holds key material is ever passed to the logger, and the common secret
// field names are redacted as a second line of defence.
import { pino } from "pino";

export type Logger = pino.Logger;

export function createLogger(level: string, destination: NodeJS.WritableStream = process.stderr): Logger {
  return pino(
    {
      level,
      base: undefined,
      redact: { paths: ["token", "*.token", "identity", "*.identity", "privateKey", "*.privateKey", "key", "*.key"], censor: "<redacted>" },
    },
    destination as pino.DestinationStream,
  );
}
