// The one place @peculiar/x509 is loaded. It resolves its algorithm table
// through tsyringe, which needs the Reflect metadata polyfill evaluated first,
// and it signs through a WebCrypto provider it does not pick for itself.
// Every module in src/pki imports the library from here, never directly.
import "reflect-metadata";
import * as x509 from "@peculiar/x509";
import { webcrypto } from "node:crypto";

x509.cryptoProvider.set(webcrypto);

export { x509 };
