/**
 * A real OAuth2/OpenID Connect provider for the tests (oauth2-mock-server), run as its own process
 * by ./oidc.ts. It auto-approves every authorization request. To choose who signs in, the client
 * puts the user's claims in `login_hint` (base64url JSON, see `loginHint`): they become the id_token
 * claims and the userinfo answer for the tokens of that code. Without a hint the user is
 * `{"sub":"johndoe"}`.
 *
 * Usage: bun test/support/oidc_server.ts [port]  → prints `{"issuer":"http://127.0.0.1:PORT"}`.
 */
import { OAuth2Server } from "oauth2-mock-server";

const port = Number(process.argv[2] ?? 0);
const server = new OAuth2Server();
await server.issuer.keys.generate("RS256");

type Claims = { [k: string]: unknown };
const claimsByCode = new Map<string, Claims>();
const claimsByToken = new Map<string, Claims>();

function decodeHint(hint: string): Claims | null {
  try {
    return JSON.parse(Buffer.from(hint, "base64url").toString("utf8")) as Claims;
  } catch {
    return null;
  }
}

server.service.on("beforeAuthorizeRedirect", (redirect: { url: URL }, req: { query: { [k: string]: unknown } }) => {
  const hint = typeof req.query.login_hint === "string" ? decodeHint(req.query.login_hint) : null;
  const code = redirect.url.searchParams.get("code");
  if (hint && code) claimsByCode.set(code, hint);
});

server.service.on("beforeTokenSigning", (token: { payload: Claims }, req: { body: { [k: string]: unknown } }) => {
  const claims = claimsByCode.get(String(req.body?.code ?? ""));
  if (claims) Object.assign(token.payload, claims);
});

server.service.on(
  "beforeResponse",
  (res: { body: Claims; statusCode: number }, req: { body: { [k: string]: unknown } }) => {
    const claims = claimsByCode.get(String(req.body?.code ?? ""));
    if (claims && res.statusCode === 200 && typeof res.body.access_token === "string")
      claimsByToken.set(res.body.access_token, claims);
  },
);

server.service.on(
  "beforeUserinfo",
  (res: { body: Claims; statusCode: number }, req: { headers: { authorization?: string } }) => {
    const token = (req.headers.authorization ?? "").replace(/^Bearer\s+/i, "");
    const claims = claimsByToken.get(token);
    if (claims) res.body = { ...claims };
    else if (!token) {
      res.statusCode = 401;
      res.body = { error: "invalid_token" };
    }
  },
);

// a literal loopback address: "localhost" may resolve to ::1 first
server.issuer.url = port ? `http://127.0.0.1:${port}` : undefined;
await server.start(port, "127.0.0.1");
server.issuer.url = `http://127.0.0.1:${server.address().port}`;
console.log(JSON.stringify({ issuer: server.issuer.url }));

const stop = async () => {
  await server.stop().catch(() => {});
  process.exit(0);
};
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
