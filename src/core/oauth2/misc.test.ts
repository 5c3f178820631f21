/** auth-methods providers, the safe avatar download, and the JSON field readers. */
import { describe, expect, test } from "bun:test";
import { newAuthCollection } from "../collection.ts";
import { authMethodsOAuth2Providers, s256Challenge } from "./auth_methods.ts";
import { castBool, jsonInt, jsonStr } from "./json_fields.ts";
import { assertPublicHost, isDisallowedIP, pathBase, safeFileFromURL } from "./safe_fetch.ts";

describe("authMethodsOAuth2Providers", () => {
  const collection = () => {
    const c = newAuthCollection("people");
    c.oauth2.enabled = true;
    const p = (name: string, more = {}) => ({
      name,
      clientId: "cid",
      clientSecret: "s",
      authURL: "",
      tokenURL: "",
      userInfoURL: "",
      displayName: "",
      pkce: null,
      extra: null,
      ...more,
    });
    c.oauth2.providers = [
      p("apple"),
      p("nope"),
      p("vk"),
      p("gitlab", { displayName: "Our GitLab", authURL: "https://git.example.com/oauth/authorize" }),
    ];
    return c;
  };

  test("config order, unknown providers skipped, upstream's keys", () => {
    const list = authMethodsOAuth2Providers(collection());
    expect(list.map((p) => p.name)).toEqual(["apple", "vk", "gitlab"]);
    expect(Object.keys(list[0]!)).toEqual([
      "name",
      "displayName",
      "logo",
      "state",
      "authURL",
      "authUrl",
      "codeVerifier",
      "codeChallenge",
      "codeChallengeMethod",
    ]);
    const [apple, vk, gitlab] = list;
    // Apple gets the redirect as a form post
    expect(apple!.authURL).toBe(
      `https://appleid.apple.com/auth/authorize?client_id=cid&code_challenge=${apple!.codeChallenge}&code_challenge_method=S256` +
        `&response_mode=form_post&response_type=code&scope=name+email&state=${apple!.state}&redirect_uri=`,
    );
    expect(vk!.authURL).toBe(
      `https://oauth.vk.com/authorize?client_id=cid&response_type=code&scope=email&state=${vk!.state}&redirect_uri=`,
    );
    expect([vk!.codeVerifier, vk!.codeChallenge, vk!.codeChallengeMethod]).toEqual(["", "", ""]);
    expect(gitlab!.displayName).toBe("Our GitLab");
    expect(gitlab!.authURL.startsWith("https://git.example.com/oauth/authorize?client_id=cid&")).toBe(true);
    // fresh state and verifier each time
    expect(authMethodsOAuth2Providers(collection())[0]!.state).not.toBe(apple!.state);
  });

  test("none when OAuth2 is off", () => {
    const c = collection();
    c.oauth2.enabled = false;
    expect(authMethodsOAuth2Providers(c)).toEqual([]);
  });

  test("S256 challenge (RFC 7636 appendix B)", () => {
    expect(s256Challenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk")).toBe(
      "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
    );
  });
});

describe("safe avatar download", () => {
  test("private, loopback, link-local, multicast and unspecified addresses are refused", () => {
    const refused = [
      "127.0.0.1",
      "127.9.9.9",
      "0.0.0.0",
      "10.1.2.3",
      "172.16.0.1",
      "172.31.255.255",
      "192.168.1.1",
      "169.254.169.254",
      "224.0.0.1",
      "239.1.1.1",
      "::1",
      "::",
      "fc00::1",
      "fd12::1",
      "fe80::1",
      "ff02::1",
      "::ffff:127.0.0.1",
      "::ffff:10.0.0.1",
      "not-an-ip",
    ];
    const allowed = ["8.8.8.8", "172.32.0.1", "192.169.0.1", "2606:4700::1111", "::ffff:8.8.8.8"];
    for (const ip of refused) expect([ip, isDisallowedIP(ip)]).toEqual([ip, true]);
    for (const ip of allowed) expect([ip, isDisallowedIP(ip)]).toEqual([ip, false]);
  });

  test("hosts are checked before connecting", async () => {
    await expect(safeFileFromURL("http://127.0.0.1:9/a.png")).rejects.toThrow("disallowed IP");
    await expect(safeFileFromURL("http://[::1]:9/a.png")).rejects.toThrow("disallowed IP");
    await expect(safeFileFromURL("http://localhost:9/a.png")).rejects.toThrow("disallowed IP");
    await expect(safeFileFromURL("file:///etc/passwd")).rejects.toThrow("unsupported protocol");
    await assertPublicHost(new URL("https://93.184.216.34/a.png")); // a public literal needs no lookup
  });

  test("file name as Go's path.Base of the URL", () => {
    expect(pathBase("https://cdn.example.com/a/b/avatar.png")).toBe("avatar.png");
    expect(pathBase("https://cdn.example.com/a/photo?size=200")).toBe("photo?size=200");
    expect(pathBase("https://cdn.example.com/dir/")).toBe("dir");
    expect(pathBase("")).toBe(".");
  });
});

describe("JSON fields as Go decodes them", () => {
  test("types, case-insensitive keys, zero values", () => {
    expect(jsonStr({ Name: "x" }, "name")).toBe("x");
    expect(jsonStr({ name: null }, "name")).toBe("");
    expect(() => jsonStr({ name: 1 }, "name")).toThrow();
    expect(jsonInt({}, "id")).toBe("0");
    expect(jsonInt({ id: 12345678901 }, "id")).toBe("12345678901");
    expect(() => jsonInt({ id: 1.5 }, "id")).toThrow();
    expect(() => jsonInt({ id: "1" }, "id")).toThrow();
    expect([true, 1, "1", "t", "TRUE", "true"].map(castBool)).toEqual([true, true, true, true, true, true]);
    expect([false, 0, "0", "yes", null, undefined, {}].map(castBool)).toEqual([
      false,
      false,
      false,
      false,
      false,
      false,
      false,
    ]);
  });
});
