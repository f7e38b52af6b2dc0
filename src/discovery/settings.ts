// The discovery and coexistence settings, from gitcert's configuration.
import type { Config } from "../config.ts";
import type { CoexistencePolicy } from "./coexistence.ts";
import type { DiscoverySettings } from "./types.ts";

type Settings = Pick<Config, "discovery.secretFolder" | "discovery.fallbackFolder" | "discovery.unowned" | "coexistence.certManager" | "coexistence.namespaces">;

export function discoverySettings(config: Settings): DiscoverySettings {
  return { secretFolder: config["discovery.secretFolder"], fallbackFolder: config["discovery.fallbackFolder"], unowned: config["discovery.unowned"] === "issue" ? "issue" : "report" };
}

export function coexistencePolicy(config: Settings): CoexistencePolicy {
  return { certManager: config["coexistence.certManager"] === "takeOver" ? "takeOver" : "stepBack", namespaces: config["coexistence.namespaces"] };
}
