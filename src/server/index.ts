export * from "./http-server.ts";
export * from "./webhooks.ts";
