// Logs go to stderr, apart from the tables a person reads on stdout. In a pod
// (no terminal) they are JSON lines (pino) for the log pipeline; on a
// terminal, one readable line each, drawn above the progress line.
// Secrets never reach a log line: nothing that holds key material is ever
// passed to the logger, and the common secret field names are redacted as a
// second line of defence (in both formats: pino redacts before formatting).
import { pino } from "pino";

export type Logger = pino.Logger;
export type LogFormat = "json" | "text";

export interface LoggerOptions {
  /** Default `json`. */
  format?: LogFormat;
  destination?: NodeJS.WritableStream;
  /** `text` only: lines are printed above this terminal's status line. */
  statusLine?: StatusLine;
  /** `text` only: colour the level. */
  color?: boolean;
}

export function createLogger(level: string, options: LoggerOptions = {}): Logger {
  const destination = options.destination ?? process.stderr;
  const { format = "json", statusLine, color = false } = options;
  const sink =
    format === "json"
      ? destination
      : { write: (line: string) => (statusLine ? statusLine.print(textLine(line, color)) : destination.write(textLine(line, color))) };
  return pino(
    {
      level,
      base: undefined,
      redact: { paths: ["token", "*.token", "identity", "*.identity", "privateKey", "*.privateKey", "key", "*.key"], censor: "<redacted>" },
    },
    sink as pino.DestinationStream,
  );
}

const LEVELS: Record<number, [name: string, ansi: string]> = {
  10: ["TRACE", "90"],
  20: ["DEBUG", "90"],
  30: ["INFO ", "36"],
  40: ["WARN ", "33"],
  50: ["ERROR", "31"],
  60: ["FATAL", "31"],
};

/** One pino JSON line as `12:04:05 INFO  message key=value …`. */
export function textLine(json: string, color = false): string {
  let entry: Record<string, unknown>;
  try {
    entry = JSON.parse(json) as Record<string, unknown>;
  } catch {
    return json.endsWith("\n") ? json : json + "\n";
  }
  const { level, time, msg, ...fields } = entry;
  const [name, ansi] = LEVELS[level as number] ?? [String(level).padEnd(5), "0"];
  const clock = typeof time === "number" ? new Date(time).toTimeString().slice(0, 8) : "";
  const rest = Object.entries(fields).map(([k, v]) => `${k}=${fieldText(v)}`);
  const label = color ? `\x1b[${ansi}m${name}\x1b[0m` : name;
  return [clock, label, typeof msg === "string" ? msg : "", ...rest].filter(Boolean).join(" ") + "\n";
}

function fieldText(value: unknown): string {
  if (value !== null && typeof value === "object" && "message" in value && typeof value.message === "string") return JSON.stringify(value.message);
  if (typeof value === "string") return /^[^\s"=]+$/.test(value) ? value : JSON.stringify(value);
  return JSON.stringify(value);
}

/**
 * The one line at the bottom of a terminal that changes in place (progress).
 * Log lines are printed above it, and it is drawn again below them.
 */
export class StatusLine {
  readonly #stream: NodeJS.WritableStream;
  #text = "";

  constructor(stream: NodeJS.WritableStream) {
    this.#stream = stream;
  }

  set(text: string): void {
    this.#text = text;
    this.#stream.write(`\r\x1b[K${text}`);
  }

  clear(): void {
    if (this.#text === "") return;
    this.#text = "";
    this.#stream.write("\r\x1b[K");
  }

  /** A whole line (ending in a newline) above the status line. */
  print(line: string): void {
    this.#stream.write(this.#text === "" ? line : `\r\x1b[K${line}${this.#text}`);
  }
}
