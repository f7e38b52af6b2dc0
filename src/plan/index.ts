export * from "./annotations.ts";
export * from "./backoff.ts";
export * from "./failure-log.ts";
export * from "./placement.ts";
export * from "./planner.ts";
export * from "./renewal-time.ts";
export * from "./spec-hash.ts";
export * from "./unencryptable.ts";
