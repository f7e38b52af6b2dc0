// The route that is always there: gitcert's own listener answers the token
// for its host (listening only while some challenge is presented). Without
// a cluster route, something outside gitcert sends the domain's
// /.well-known/acme-challenge/ traffic to it (deploy/base's gitcert-http01
// Service).
import type { Http01RouteFactory } from "../types.ts";

export const listenerRoute: Http01RouteFactory = ({ listener }) => ({
  name: "listener",
  present: (challenge) => listener.present(challenge.identifier, challenge.token, challenge.keyAuthorization),
  cleanUp: (challenge) => listener.remove(challenge.token),
});
