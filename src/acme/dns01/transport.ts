// One DNS request, one response, over UDP or TCP (RFC 1035 §4.2), with a
// deadline. Both sides of gitcert's DNS work go through here: RFC 2136
// updates and the lookups behind zone detection, CNAME following and the
// propagation check.
import { createSocket } from "node:dgram";
import { lookup } from "node:dns/promises";
import { isIP, connect } from "node:net";

export interface DnsServer {
  host: string;
  port: number;
}

export type DnsProtocol = "udp" | "tcp";

/** `10.0.0.1`, `10.0.0.1:5353`, `[::1]:53`, `::1`, `ns1.example.com:53`. */
export function parseServer(text: string, defaultPort = 53): DnsServer {
  const s = text.trim();
  const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(s);
  if (bracketed) return { host: bracketed[1]!, port: portOf(bracketed[2], defaultPort, text) };
  if (isIP(s) === 6) return { host: s, port: defaultPort };
  const colon = s.lastIndexOf(":");
  if (colon >= 0) return { host: s.slice(0, colon), port: portOf(s.slice(colon + 1), defaultPort, text) };
  if (s === "") throw new Error("empty nameserver address");
  return { host: s, port: defaultPort };
}

function portOf(text: string | undefined, fallback: number, whole: string): number {
  if (text === undefined || text === "") return fallback;
  const port = Number(text);
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new Error(`invalid port in nameserver address ${JSON.stringify(whole)}`);
  return port;
}

export function formatServer(server: DnsServer): string {
  return isIP(server.host) === 6 ? `[${server.host}]:${server.port}` : `${server.host}:${server.port}`;
}

async function addressOf(host: string): Promise<string> {
  if (isIP(host)) return host;
  return (await lookup(host)).address;
}

/**
 * Sends `message` and resolves with the response whose ID matches. Rejects
 * with an Error whose message says which server, which protocol and what
 * went wrong (timeout, refused connection, short read).
 */
export async function exchange(server: DnsServer, message: Buffer, protocol: DnsProtocol, timeoutMs: number): Promise<Buffer> {
  const address = await addressOf(server.host);
  return protocol === "tcp" ? exchangeTcp(address, server, message, timeoutMs) : exchangeUdp(address, server, message, timeoutMs);
}

function exchangeUdp(address: string, server: DnsServer, message: Buffer, timeoutMs: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const socket = createSocket(isIP(address) === 6 ? "udp6" : "udp4");
    const id = message.readUInt16BE(0);
    const finish = (err: Error | undefined, response?: Buffer) => {
      clearTimeout(timer);
      socket.close();
      if (err) reject(err);
      else resolve(response!);
    };
    const timer = setTimeout(
      () => finish(new Error(`no answer from ${formatServer(server)} over UDP within ${timeoutMs} ms`)),
      timeoutMs,
    );
    socket.on("error", (err) => finish(new Error(`UDP to ${formatServer(server)} failed: ${err.message}`)));
    // Anything else arriving on the port (a late answer to an earlier query,
    // a packet from elsewhere) is not ours; keep waiting for the matching one.
    socket.on("message", (data, from) => {
      if (from.address === address && from.port === server.port && data.length >= 12 && data.readUInt16BE(0) === id) finish(undefined, data);
    });
    socket.send(message, server.port, address);
  });
}

function exchangeTcp(address: string, server: DnsServer, message: Buffer, timeoutMs: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: address, port: server.port });
    let received = Buffer.alloc(0);
    let settled = false;
    const finish = (err: Error | undefined, response?: Buffer) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      if (err) reject(err);
      else resolve(response!);
    };
    const timer = setTimeout(
      () => finish(new Error(`no answer from ${formatServer(server)} over TCP within ${timeoutMs} ms`)),
      timeoutMs,
    );
    socket.on("connect", () => {
      const length = Buffer.alloc(2);
      length.writeUInt16BE(message.length, 0);
      socket.write(Buffer.concat([length, message]));
    });
    socket.on("data", (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      if (received.length < 2) return;
      const size = received.readUInt16BE(0);
      if (received.length < 2 + size) return;
      const response = received.subarray(2, 2 + size);
      if (response.length < 12 || response.readUInt16BE(0) !== message.readUInt16BE(0)) {
        finish(new Error(`${formatServer(server)} answered over TCP with a message that does not match the request`));
      } else {
        finish(undefined, response);
      }
    });
    socket.on("error", (err) => finish(new Error(`TCP to ${formatServer(server)} failed: ${err.message}`)));
    socket.on("close", () => finish(new Error(`${formatServer(server)} closed the TCP connection before answering`)));
  });
}
