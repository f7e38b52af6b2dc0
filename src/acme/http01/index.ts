// The HTTP-01 room: the route interface and registry (routes/ holds one
// file per route), gitcert's own listener, the self-check, the solver that
// composes them, and the schema of a solver's http01 block.
export { http01Routes } from "./registry.ts";
export { HTTP01_OVERRIDE, routeWanted, withOverrides } from "./overrides.ts";
export { adler32, challengeHost, challengePath, RECORD, SOLVER_LABEL, solverLabels } from "./routes/challenge-objects.ts";
export { removeChallengePath } from "./routes/edited-ingress.ts";
export { Http01Server, type Http01ServerOptions } from "./server.ts";
export { http01SelfCheck, type SelfCheckOptions } from "./self-check.ts";
export { solveHttp01, type Http01Settings } from "./solver.ts";
export { http01SolverSchema, type Http01GatewayHTTPRouteSpec, type Http01IngressSpec, type Http01SolverSpec } from "./schema.ts";
export type * from "./types.ts";
