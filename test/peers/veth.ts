// A non-loopback address on this machine, for a backend an EndpointSlice
// can name (the API server refuses loopback and link-local addresses): a
// veth pair whose far end sits in a network namespace the test makes, the
// near end holding 198.18.x.1 from the benchmarking range (RFC 2544). No
// traffic leaves the machine; everything is deleted when the test ends.
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import type { TestContext } from "node:test";

export interface Veth {
  /** The near end's address, in this namespace: listen here, name it in the EndpointSlice. */
  address: string;
}

export function makeVeth(t: TestContext): Veth {
  const id = randomBytes(3).toString("hex");
  const netns = `gitcert-${id}`;
  const near = `gc${id}a`;
  const far = `gc${id}b`;
  const [b, c] = [18 + (randomBytes(1)[0]! & 1), randomBytes(1)[0]!];
  const block = (randomBytes(1)[0]! & 0x3f) * 4; // a /30 of its own
  const address = `198.${b}.${c}.${block + 1}`;
  const ip = (...args: string[]) => {
    try {
      return execFileSync("ip", args, { stdio: ["ignore", "pipe", "pipe"] });
    } catch (err) {
      // Network namespaces and veth pairs need CAP_NET_ADMIN: root on the machine, or a container run with NET_ADMIN.
      const stderr = String((err as { stderr?: Buffer }).stderr ?? "").trim();
      throw new Error(`ip ${args.join(" ")} failed (${stderr || (err as Error).message}): the EndpointSlice HTTP-01 test needs root with CAP_NET_ADMIN (a container: --cap-add NET_ADMIN)`);
    }
  };
  ip("netns", "add", netns);
  t.after(() => {
    // Deleting the namespace deletes the veth pair with it.
    execFileSync("ip", ["netns", "del", netns], { stdio: "ignore" });
  });
  ip("link", "add", near, "type", "veth", "peer", "name", far);
  ip("link", "set", far, "netns", netns);
  ip("addr", "add", `${address}/30`, "dev", near);
  ip("link", "set", near, "up");
  ip("-n", netns, "addr", "add", `198.${b}.${c}.${block + 2}/30`, "dev", far);
  ip("-n", netns, "link", "set", far, "up");
  return { address };
}
