#!/usr/bin/env node
// Runs the compiled CLI when built (npm run build), else the TypeScript
// sources through tsx.
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";

const compiled = new URL("../dist/cli.js", import.meta.url);
if (!existsSync(fileURLToPath(compiled))) await import("tsx/esm");
const { main } = await import(existsSync(fileURLToPath(compiled)) ? compiled.href : new URL("../src/cli.ts", import.meta.url).href);
process.exit(await main(process.argv.slice(2)));
