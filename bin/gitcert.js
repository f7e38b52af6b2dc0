#!/usr/bin/env node
// Runs the compiled CLI when built (npm run build), else the TypeScript
// sources, which Node 24 runs itself.
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";

const compiled = new URL("../dist/cli.js", import.meta.url);
const entry = existsSync(fileURLToPath(compiled)) ? compiled : new URL("../src/cli.ts", import.meta.url);
const { main } = await import(entry.href);
process.exit(await main(process.argv.slice(2)));
