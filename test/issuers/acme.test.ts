// The ACME issuer against a real Pebble: Pebble's VA fetches HTTP-01
// challenges from gitcert's own HTTP-01 server and resolves names through
// pebble-challtestsrv; TLS to Pebble is trusted through the issuer's
// caBundle. DNS-01 goes through a provider that writes TXT records into
// challtestsrv, the DNS server Pebble's VA queries (the rfc2136 provider
// against a real BIND is tested with the providers in test/acme/dns01).
import assert from "node:assert/strict";
import { generateKeyPairSync } from "node:crypto";
import { after, before, describe, test } from "node:test";
import { ACME_ANNOTATION, ariCertId, renewalTimeInWindow, type RequestEvent } from "../../src/acme/index.ts";
import type { Dns01Provider } from "../../src/acme/dns01/index.ts";
import { GitcertError, toDiagnostic } from "../../src/diagnostics.ts";
import { createAcmeIssuer, type AcmeIssuer } from "../../src/issuers/acme.ts";
import { certificateRef } from "../../src/manifests/types.ts";
import { parseCertificate, splitPem } from "../../src/pki/index.ts";
import { renewalTime } from "../../src/plan/index.ts";
import { mapping } from "../../src/schema/index.ts";
import { freePorts, startPebble, type Pebble } from "../peers/pebble.ts";
import { acmeIssuer, certificate, memoryEnv, opensslVerify, request } from "../acme/helpers.ts";

let pebble: Pebble;
let port: number;
const issuers: AcmeIssuer[] = [];

/** A TXT-record provider backed by challtestsrv, the DNS server Pebble validates against. */
function challtestsrvProvider(p: Pebble): Dns01Provider {
  return {
    name: "challtestsrv",
    schema: mapping({}),
    secrets: () => [],
    present: (record) => p.challtestsrv("set-txt", { host: record.fqdn, value: record.value }),
    cleanUp: (record) => p.challtestsrv("clear-txt", { host: record.fqdn }),
  };
}

function newIssuer(events: RequestEvent[] = []): AcmeIssuer {
  const issuer = createAcmeIssuer({
    http01: { address: "127.0.0.1", port },
    selfCheck: { port, nameservers: [pebble.dnsServer], timeoutMs: 1500, intervalMs: 50 },
    dns01: { nameservers: [pebble.dnsServer], propagationTimeoutMs: 5000, intervalMs: 200, providers: new Map([["challtestsrv", challtestsrvProvider(pebble)]]) },
    pollTimeoutMs: 20_000,
    onRequest: (e) => events.push(e),
  });
  issuers.push(issuer);
  return issuer;
}

function leafOf(chainPem: string) {
  return parseCertificate(splitPem(chainPem)[0]!);
}

async function rejection(p: Promise<unknown>): Promise<GitcertError> {
  const err = await p.then(
    () => assert.fail("expected a failure"),
    (e: unknown) => e,
  );
  assert.ok(err instanceof GitcertError, `a GitcertError, got ${String(err)}`);
  return err;
}

before(async () => {
  [port] = (await freePorts(1)) as [number];
  pebble = await startPebble({ httpPort: port, alternateRoots: 1, blockedDomains: ["blocked.example.com"] });
});

after(async () => {
  await Promise.all(issuers.map((i) => i.close()));
  await pebble?.stop();
});

describe("HTTP-01 against Pebble", () => {
  test("issues a certificate whose chain verifies against Pebble's root and whose SANs match", async () => {
    const env = memoryEnv();
    const issuer = newIssuer();
    const cert = certificate("web", { dnsNames: ["web.example.com", "www.example.com"], commonName: "web.example.com" });
    const issued = await issuer.sign(await request(cert, acmeIssuer(pebble)), env);

    assert.match(opensslVerify(issued.chainPem, await pebble.root(0)), /OK/);
    const leaf = leafOf(issued.chainPem);
    assert.deepEqual([...leaf.dnsNames].sort(), ["web.example.com", "www.example.com"]);
    assert.equal(issued.caPem, undefined, "ACME does not tell which root a client trusts");

    assert.match(issued.annotations?.[ACME_ANNOTATION.accountUrl] ?? "", /^https:\/\/127\.0\.0\.1:\d+\//);
    assert.equal(issued.annotations?.[ACME_ANNOTATION.ariCertId], ariCertId(issued.chainPem));
    assert.equal(issued.annotations?.[ACME_ANNOTATION.replaces], undefined);

    // The account key was made once and kept as the privateKeySecretRef Secret, RSA as cert-manager makes it.
    assert.deepEqual(env.writes, [{ namespace: "cert-manager", name: "pebble-account" }]);
    assert.match(env.secrets.get("cert-manager/pebble-account")!["tls.key"]!.toString(), /^-----BEGIN RSA PRIVATE[ ]KEY-----/);
  });

  test("an IP address identifier is validated over HTTP-01 too", async () => {
    const issued = await newIssuer().sign(await request(certificate("ip", { dnsNames: [], ipAddresses: ["127.0.0.1"] }), acmeIssuer(pebble)), memoryEnv());
    assert.deepEqual(leafOf(issued.chainPem).ipAddresses, ["127.0.0.1"]);
  });

  test("the account kept in Git is reused by a fresh process: one registration", async () => {
    const first = memoryEnv();
    const one = await newIssuer().sign(await request(certificate("reuse-a"), acmeIssuer(pebble)), first);

    // A new issuer (new pod) with a new work directory, reading the same repository.
    const events: RequestEvent[] = [];
    const second = memoryEnv(new Map(first.secrets));
    const two = await newIssuer(events).sign(await request(certificate("reuse-b"), acmeIssuer(pebble)), second);

    assert.equal(two.annotations?.[ACME_ANNOTATION.accountUrl], one.annotations?.[ACME_ANNOTATION.accountUrl]);
    assert.deepEqual(second.writes, [], "no second account key");
    const registrations = events.filter((e) => e.method === "POST" && e.url.endsWith("/sign-me-up"));
    assert.deepEqual(registrations.map((e) => e.status), [200], "Pebble answered 200: the account already existed");
  });

  test("concurrent orders share one account key and one account", async () => {
    const env = memoryEnv();
    const issuer = newIssuer();
    const names = ["c1", "c2", "c3", "c4", "c5", "c6"];
    const results = await Promise.all(names.map(async (n) => issuer.sign(await request(certificate(n), acmeIssuer(pebble, {}, "concurrent")), env)));
    assert.equal(env.writes.length, 1, "the key is generated once");
    assert.equal(new Set(results.map((r) => r.annotations?.[ACME_ANNOTATION.accountUrl])).size, 1);
    results.forEach((r, i) => assert.deepEqual(leafOf(r.chainPem).dnsNames, [`${names[i]}.example.com`]));
    assert.equal(issuer.type, "acme");
  });
});

describe("failures become diagnostics; the other certificate proceeds", () => {
  test("an unreachable domain fails its self-check while a good one in the same run is issued", async () => {
    // Resolves, but to an address where gitcert's server does not listen.
    await pebble.challtestsrv("add-a", { host: "unreachable.example.com", addresses: ["127.0.0.2"] });
    const issuer = newIssuer();
    const env = memoryEnv();
    const bad = certificate("unreachable");
    const [failed, issued] = await Promise.allSettled([
      issuer.sign(await request(bad, acmeIssuer(pebble)), env),
      issuer.sign(await request(certificate("fine"), acmeIssuer(pebble)), env),
    ]);
    assert.equal(issued.status, "fulfilled");
    assert.equal(failed.status, "rejected");
    const d = toDiagnostic(failed.reason, { code: "IssuanceFailed", object: certificateRef(bad), source: bad.source });
    assert.equal(d.code, "Http01SelfCheckFailed");
    assert.equal(d.severity, "error");
    assert.deepEqual(d.object, certificateRef(bad));
    assert.match(d.message, /GET http:\/\/unreachable\.example\.com:\d+\/\.well-known\/acme-challenge\/<token> from 127\.0\.0\.2:\d+: ECONNREFUSED/);
    assert.match(d.message, /nameservers 127\.0\.0\.1:\d+/);
    assert.match(d.message, /reach the cluster's ingress from the public internet/);
  });

  test("a refused identifier carries the problem's type, detail and identifier", async () => {
    const err = await rejection(newIssuer().sign(await request(certificate("blocked", { dnsNames: ["blocked.example.com"] }), acmeIssuer(pebble)), memoryEnv()));
    assert.equal(err.code, "AcmeOrderFailed");
    assert.match(err.message, /creating the order for dns:blocked\.example\.com failed: urn:ietf:params:acme:error:rejectedIdentifier/);
    assert.match(err.message, /blocked\.example\.com/);
  });

  test("a failed validation by the server carries its problem document, without the token", async () => {
    // Split horizon: the self-check reaches the A record, Pebble dials the AAAA record first.
    await pebble.challtestsrv("add-aaaa", { host: "split.example.com", addresses: ["::1"] });
    const events: RequestEvent[] = [];
    const err = await rejection(newIssuer(events).sign(await request(certificate("split"), acmeIssuer(pebble)), memoryEnv()));
    assert.equal(err.code, "AcmeChallengeFailed");
    assert.match(err.message, /ACME http-01 validation of dns:split\.example\.com failed: urn:ietf:params:acme:error:(connection|unauthorized)/);
    assert.doesNotMatch(err.message, /acme-challenge\/[A-Za-z0-9_-]{20,}/, "no challenge token in the message");
  });

  test("a wildcard without a dns01 solver fails before any order is placed", async () => {
    const events: RequestEvent[] = [];
    const err = await rejection(newIssuer(events).sign(await request(certificate("wild", { dnsNames: ["*.wild.example.com"] }), acmeIssuer(pebble)), memoryEnv()));
    assert.equal(err.code, "AcmeNoSolver");
    assert.match(err.message, /\*\.wild\.example\.com is a wildcard, which ACME validates only with DNS-01, and ClusterIssuer pebble has no dns01 solver/);
    assert.deepEqual(events, [], "not one request to the ACME server");
  });

  test("disableAccountKeyGeneration without the Secret: no key is made", async () => {
    const env = memoryEnv();
    const err = await rejection(newIssuer().sign(await request(certificate("nokey"), acmeIssuer(pebble, { disableAccountKeyGeneration: true }, "nokey")), env));
    assert.equal(err.code, "AcmeAccountKeyMissing");
    assert.match(err.message, /cert-manager\/nokey-account/);
    assert.deepEqual(env.writes, []);
  });
});

describe("DNS-01, chains, profiles", () => {
  test("a wildcard and its apex through DNS-01, following a CNAME", async () => {
    await pebble.challtestsrv("set-cname", { host: "_acme-challenge.dns.example.com.", target: "_acme-challenge.delegated.example.net." });
    const issuer = acmeIssuer(pebble, {
      solvers: [
        { http01: { ingress: {} } },
        { selector: { dnsZones: ["dns.example.com"] }, dns01: { cnameStrategy: "Follow", challtestsrv: {} } },
      ],
    }, "dns");
    const issued = await newIssuer().sign(await request(certificate("dns", { dnsNames: ["dns.example.com", "*.dns.example.com"] }), issuer), memoryEnv());
    assert.deepEqual([...leafOf(issued.chainPem).dnsNames].sort(), ["*.dns.example.com", "dns.example.com"]);
  });

  test("preferredChain picks the alternate chain whose root-most issuer has that CN", async () => {
    const root1 = await pebble.root(1);
    const name = parseCertificate(root1).commonName!;
    const issued = await newIssuer().sign(await request(certificate("alt"), acmeIssuer(pebble, { preferredChain: name })), memoryEnv());
    assert.match(opensslVerify(issued.chainPem, root1), /OK/);
    assert.throws(() => opensslVerify(issued.chainPem, "\n"));
    const certs = splitPem(issued.chainPem);
    assert.equal(parseCertificate(certs[certs.length - 1]!).issuerCommonName, name);
  });

  test("the profile is sent with the order", async () => {
    const issued = await newIssuer().sign(await request(certificate("short"), acmeIssuer(pebble, { profile: "shortlived" })), memoryEnv());
    const leaf = leafOf(issued.chainPem);
    const lifetime = (leaf.notAfter.getTime() - leaf.notBefore.getTime()) / 1000;
    assert.ok(Math.abs(lifetime - 518400) <= 1, `six days, got ${lifetime}s`);
  });
});

describe("ARI (RFC 9773)", () => {
  test("the hint follows Pebble's window; a moved window moves it; the renewal order carries replaces", async () => {
    const issuerRes = acmeIssuer(pebble, {}, "ari");
    const secrets = memoryEnv().secrets;
    const cert = certificate("ari");
    // Pebble 2.10 finds the certificate a `replaces` names by its serial as big.Int.Bytes(): a serial whose
    // DER content starts with 0x00 (a 7-byte value with its top bit set, 1 in 256 of Pebble's serials) is
    // "not found" there, though the CertID is RFC 9773's. Such a certificate is issued again.
    let first = await newIssuer().sign(await request(cert, issuerRes), memoryEnv(secrets));
    for (let tries = 0; Buffer.from(first.annotations![ACME_ANNOTATION.ariCertId]!.split(".")[1]!, "base64url")[0] === 0 && tries < 5; tries++) {
      first = await newIssuer().sign(await request(cert, issuerRes), memoryEnv(secrets));
    }
    const annotations = first.annotations!;
    const certId = annotations[ACME_ANNOTATION.ariCertId]!;
    const leaf = leafOf(first.chainPem);
    const now = new Date();

    // Pebble's own window: around notAfter − lifetime/3, ±24h.
    const hint = (await newIssuer().renewalHint(issuerRes, annotations, now))!;
    assert.ok(hint.window.start <= hint.renewalTime && hint.renewalTime <= hint.window.end);
    const ideal = leaf.notAfter.getTime() - (leaf.notAfter.getTime() - leaf.notBefore.getTime()) / 3;
    assert.ok(Math.abs(hint.renewalTime.getTime() - ideal) <= 24 * 3600_000 + 2000);
    assert.ok(hint.nextCheck > now, "Retry-After is respected");
    assert.deepEqual((await newIssuer().renewalHint(issuerRes, annotations, now))!.renewalTime, hint.renewalTime, "the same moment from every pod");

    // The CA moves the window to now: the hint moves into it, well before the spec's renewal time.
    const window = { start: new Date(now.getTime() - 3600_000), end: new Date(now.getTime() + 3600_000) };
    await pebble.setRenewalInfo(splitPem(first.chainPem)[0]!, { suggestedWindow: { start: window.start.toISOString(), end: window.end.toISOString() } });
    const moved = (await newIssuer().renewalHint(issuerRes, annotations, now))!;
    assert.deepEqual(moved.window, window);
    assert.deepEqual(moved.renewalTime, renewalTimeInWindow(moved.window, certId));
    assert.ok(moved.renewalTime < renewalTime(leaf.notBefore, leaf.notAfter, cert.spec)!);

    // Renewal: the Secret in Git holds the old certificate; the new order replaces it.
    secrets.set(`shop/${cert.spec.secretName}`, { "tls.crt": Buffer.from(first.chainPem) });
    const renewed = await newIssuer().sign(await request(cert, issuerRes), memoryEnv(secrets));
    assert.equal(renewed.annotations?.[ACME_ANNOTATION.replaces], certId);
    assert.notEqual(renewed.annotations?.[ACME_ANNOTATION.ariCertId], certId);

    // Replacing it again is refused (alreadyReplaced): the renewal goes ahead without `replaces`.
    const again = await newIssuer().sign(await request(cert, issuerRes), memoryEnv(secrets));
    assert.equal(again.annotations?.[ACME_ANNOTATION.replaces], undefined);
    assert.ok(again.chainPem.includes("BEGIN CERTIFICATE"));
  });

  test("no ARI CertID in the annotations: no hint", async () => {
    assert.equal(await newIssuer().renewalHint(acmeIssuer(pebble), {}, new Date()), undefined);
  });
});

describe("readiness", () => {
  test("ready when the ACME server answers its directory and knows the account; not ready, with the reason, when it does not", async () => {
    const issuer = newIssuer();
    // No account key yet: the directory is all a check can ask, and it makes no key.
    const fresh = memoryEnv();
    assert.deepEqual(await issuer.ready!(acmeIssuer(pebble), fresh), { ready: true, message: `the ACME server ${pebble.directoryUrl} answers its directory; the account is registered with the first order (no account key yet)` });
    assert.deepEqual(fresh.writes, []);
    // With the key kept in Git: the account, as cert-manager's setup registers it.
    const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
    const withKey = memoryEnv(new Map([["cert-manager/pebble-account", { "tls.key": Buffer.from(privateKey.export({ type: "pkcs1", format: "pem" }) as string) }]]));
    assert.deepEqual(await issuer.ready!(acmeIssuer(pebble), withKey), { ready: true, message: "The ACME account was registered with the ACME server" });
    const broken = memoryEnv(new Map([["cert-manager/pebble-account", { "tls.key": Buffer.from("not a key") }]]));
    assert.deepEqual(await issuer.ready!(acmeIssuer(pebble), broken), { ready: false, message: 'Failed to register ACME account: Secret cert-manager/pebble-account key "tls.key" is not an RSA or ECDSA private key in PEM' });
    const [closed] = (await freePorts(1)) as [number];
    const unreachable = await issuer.ready!(acmeIssuer(pebble, { server: `https://127.0.0.1:${closed}/dir` }, "gone"), memoryEnv());
    assert.equal(unreachable.ready, false);
    assert.match(unreachable.message, new RegExp(`^the ACME server https://127\\.0\\.0\\.1:${closed}/dir does not answer: .*ECONNREFUSED`));
  });

  test("a cluster that will not show the account key Secret: ready with no account key yet, as issuing would make one", async () => {
    const issuer = newIssuer();
    const env = memoryEnv();
    env.readSecret = async (key) => Promise.reject(new GitcertError("SecretForbidden", `Secret ${key.namespace}/${key.name} is not in the repository, and gitcert may not read it`));
    assert.deepEqual(await issuer.ready!(acmeIssuer(pebble), env), { ready: true, message: `the ACME server ${pebble.directoryUrl} answers its directory; the account is registered with the first order (no account key yet)` });
    assert.deepEqual(env.writes, []);
  });
});
