// `npm run build` (and `npm install`'s prepare step): the CLI and its
// dependencies bundled into dist/, which bin/gitcert.js runs.
//   node scripts/build.ts [OUTDIR]   (default dist/)
// Why a bundle and not tsc's one file per module: `gitcert serve` stays
// resident for months, and every module Node loads keeps its whole source
// text and its module records on the heap. About 700 modules (310 of them
// gitcert's, with their comments) held 4.8 MB of source; the bundle, with
// whitespace and comments gone, holds 2.2 MB (bench/renewal, idle RSS about
// 8 MB lower). Identifiers keep their names: stack traces and error names stay
// readable. The bundle needs nothing from node_modules at run time.
import { build } from "esbuild";
import { rmSync } from "node:fs";
import { join, resolve } from "node:path";

const root = join(import.meta.dirname, "..");
const outdir = resolve(process.argv[2] ?? join(root, "dist"));

rmSync(outdir, { recursive: true, force: true });
await build({
  absWorkingDir: root,
  // The read worker is a file of its own: snapshot.ts starts it from beside
  // itself (./read-worker.js), so every output sits in the one folder.
  entryPoints: ["src/cli.ts", "src/daemon/read-worker.ts"],
  outdir,
  entryNames: "[name]",
  chunkNames: "[name]-[hash]",
  bundle: true,
  // Code split at the CLI's lazy imports: `gitcert help` does not load the
  // ACME client, a serve without a cluster never loads the Kubernetes client.
  splitting: true,
  platform: "node",
  format: "esm",
  target: "node24",
  minifyWhitespace: true,
  minifySyntax: true,
  // Dependencies' licence notices, kept beside the bundle (dist/*.LEGAL.txt) rather than in memory.
  legalComments: "external",
  sourcemap: "linked",
  sourcesContent: false,
  // CommonJS dependencies call require() for Node's built-ins, which an ES module does not have.
  banner: { js: 'import { createRequire as __gitcertRequire } from "node:module"; const require = __gitcertRequire(import.meta.url);' },
  logLevel: "warning",
});
