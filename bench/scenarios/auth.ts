/** `auth`: auth-with-password (bcrypt verify) and auth-refresh as one user (upstream's test_auth.go). */
import { auth, JSON_HEADERS, type Bench } from "../lib/bench.ts";
import { PASSWORD } from "./create.ts";

const SECTION = "auth";

export async function authScenario(b: Bench): Promise<void> {
  const p = b.profile;
  // bcrypt-bound (~50 ms of CPU each): the connection mode does not show, so the primary mode only
  for (const m of b.modesFor("primary")) {
    for (const [n, c] of p.authPassword) {
      await b.cooldown();
      await b.load({
        section: SECTION,
        name: "auth-with-password (bcrypt)",
        requests: [
          {
            method: "POST",
            path: "/api/collections/users/auth-with-password",
            headers: JSON_HEADERS,
            body: JSON.stringify({ identity: b.userEmail, password: PASSWORD }),
          },
        ],
        total: n,
        conc: c,
        mode: m,
      });
    }
  }
  for (const m of b.modesFor("all")) {
    for (const [n, c] of p.authRefresh) {
      await b.cooldown();
      await b.load({
        section: SECTION,
        name: "auth-refresh",
        requests: [{ method: "POST", path: "/api/collections/users/auth-refresh", headers: auth(b.userToken) }],
        total: n,
        conc: c,
        mode: m,
      });
    }
  }
}
