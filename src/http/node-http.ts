// node:http, taken as the module object rather than imported. An ESM import
// of node:http builds its namespace, which reads every export, and Node 24's
// http exports WebSocket, CloseEvent and MessageEvent through getters that
// load the undici bundle and its WebAssembly HTTP parser, though only the
// DNS-01 providers' fetch uses them, and only while they run: 13 MB resident
// in a bare process, 1–2 MB in gitcert serve (which shares most of those
// pages with what it loads anyway).
export const nodeHttp = process.getBuiltinModule("node:http");
