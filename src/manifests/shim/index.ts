// cert-manager's certificate-shim: Ingresses and Gateways annotated with an
// issuer ask for Certificates. The annotations (names, how each is read),
// the issuer choice, the object read far enough to derive Certificates, and
// one file per kind of object.
export { certificatesFromIngress } from "./ingress.ts";
export { certificatesFromGateway } from "./gateway.ts";
export type { ShimOptions } from "./shim-object.ts";
