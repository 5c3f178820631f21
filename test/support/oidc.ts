/**
 * Starts the test OAuth2/OIDC provider (./oidc_server.ts) in a child process on a free loopback
 * port and reads its discovery document.
 *
 * @example
 * const idp = await startOIDCProvider();
 * // configure an auth collection's `oidc` provider with idp.authURL / tokenURL / userInfoURL
 * const res = await fetch(authURL + redirectURL + "&login_hint=" + loginHint({ sub: "u1", email: "a@b.c",
 * email_verified: true }), { redirect: "manual" });
 * await idp.stop();
 */
import { join } from "node:path";

export interface OIDCProvider {
  issuer: string;
  authURL: string;
  tokenURL: string;
  userInfoURL: string;
  jwksURL: string;
  stop(): Promise<void>;
}

/** The claims of the user who will sign in, as the provider's `login_hint`. */
export function loginHint(claims: { [k: string]: unknown }): string {
  return Buffer.from(JSON.stringify(claims)).toString("base64url");
}

export async function startOIDCProvider(): Promise<OIDCProvider> {
  const proc = Bun.spawn([process.execPath, join(import.meta.dir, "oidc_server.ts"), "0"], {
    stdout: "pipe",
    stderr: "pipe",
    stdin: "ignore",
  });
  const reader = (proc.stdout as ReadableStream<Uint8Array>).getReader();
  const dec = new TextDecoder();
  let out = "";
  const deadline = Date.now() + 15_000;
  let issuer = "";
  while (!issuer) {
    const chunk = await Promise.race([reader.read(), Bun.sleep(Math.max(0, deadline - Date.now())).then(() => null)]);
    if (!chunk || chunk.done) {
      proc.kill();
      const err = await new Response(proc.stderr as ReadableStream).text().catch(() => "");
      throw new Error(`the OIDC provider did not start:\n${out}\n${err}`);
    }
    out += dec.decode(chunk.value, { stream: true });
    const line = out.split("\n").find((l) => l.startsWith("{"));
    if (line && line.includes("issuer")) issuer = (JSON.parse(line) as { issuer: string }).issuer;
  }
  reader.releaseLock();
  const discovery = (await (await fetch(`${issuer}/.well-known/openid-configuration`)).json()) as {
    authorization_endpoint: string;
    token_endpoint: string;
    userinfo_endpoint: string;
    jwks_uri: string;
  };
  return {
    issuer,
    authURL: discovery.authorization_endpoint,
    tokenURL: discovery.token_endpoint,
    userInfoURL: discovery.userinfo_endpoint,
    jwksURL: discovery.jwks_uri,
    async stop() {
      if (proc.exitCode === null) proc.kill("SIGTERM");
      await Promise.race([proc.exited, Bun.sleep(5_000).then(() => proc.kill("SIGKILL"))]);
    },
  };
}
