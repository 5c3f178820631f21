/**
 * Every provider against a local stand-in of its vendor (a real HTTP server playing the token and
 * user endpoints with the vendor's JSON shapes): the token exchange, the user request (method,
 * headers, body) and the mapping onto the normalized user. Plus the registry and the base client.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { OAuth2ProviderConfig } from "../collection.ts";
import { oauth2Providers } from "../collection_oauth2_providers.ts";
import { encodeQuery, OAuth2Error, parseTokenResponse, queryEscape, tokenExtra, type OAuth2Token } from "./provider.ts";
import { initProvider, newProviderByName, providerNames } from "./registry.ts";

type JSONish = { [k: string]: unknown };

interface Seen {
  method: string;
  path: string;
  headers: Headers;
  body: string;
}

let server: ReturnType<typeof Bun.serve>;
let base = "";
const seen: Seen[] = [];
/** What the fake vendor answers next: token JSON extras, the user document and optional emails. */
const next: { token: JSONish; user: unknown; emails?: unknown; tokenStatus?: number } = { token: {}, user: {} };

beforeAll(() => {
  server = Bun.serve({
    port: 0,
    hostname: "127.0.0.1",
    async fetch(req) {
      const url = new URL(req.url);
      seen.push({ method: req.method, path: url.pathname + url.search, headers: req.headers, body: await req.text() });
      if (url.pathname === "/token") {
        return Response.json(
          { access_token: "at-1", token_type: "bearer", refresh_token: "rt-1", expires_in: 3600, ...next.token },
          { status: next.tokenStatus ?? 200 },
        );
      }
      if (url.pathname === "/user/emails")
        return Response.json(next.emails ?? [], { status: next.emails === undefined ? 404 : 200 });
      if (url.pathname === "/user") return Response.json(next.user);
      return new Response("not found", { status: 404 });
    },
  });
  base = `http://127.0.0.1:${server.port}`;
});

afterAll(async () => {
  await server.stop(true);
});

function config(name: string, extra: JSONish | null = null): OAuth2ProviderConfig {
  return {
    name,
    clientId: "cid",
    clientSecret: "csecret",
    authURL: `${base}/auth`,
    tokenURL: `${base}/token`,
    userInfoURL: `${base}/user`,
    displayName: "",
    pkce: null,
    extra,
  };
}

async function signIn(name: string, user: unknown, opts: { token?: JSONish; emails?: unknown; extra?: JSONish } = {}) {
  next.token = opts.token ?? {};
  next.user = user;
  next.emails = opts.emails;
  seen.length = 0;
  const p = initProvider(config(name, opts.extra ?? null));
  p.redirectURL = "https://app.example.com/cb";
  const token = await p.fetchToken("the-code", p.pkce ? { code_verifier: "v".repeat(43) } : {});
  return { user: await p.fetchAuthUser(token), token, requests: [...seen] };
}

const cases: [name: string, user: unknown, expected: JSONish, opts?: { token?: JSONish; emails?: unknown }][] = [
  [
    "google",
    { sub: "g1", name: "G User", picture: "https://p/g.png", email: "g@x.com", email_verified: true },
    { id: "g1", name: "G User", avatarURL: "https://p/g.png", email: "g@x.com" },
  ],
  ["google", { sub: "g2", email: "g2@x.com", email_verified: false }, { id: "g2", email: "" }],
  [
    "github",
    { id: 123, login: "octo", name: "Octo Cat", avatar_url: "https://gh/a.png", email: "public@x.com" },
    { id: "123", username: "octo", name: "Octo Cat", avatarURL: "https://gh/a.png", email: "o@x.com" },
    {
      emails: [
        { email: "other@x.com", verified: true, primary: false },
        { email: "o@x.com", verified: true, primary: true },
      ],
    },
  ],
  ["github", { id: 124, login: "nomail" }, { id: "124", email: "" }], // /emails answers 404: no email, no error
  [
    "gitlab",
    {
      id: 7,
      name: "GL",
      username: "gl",
      email: "gl@x.com",
      avatar_url: "https://gl/a.png",
      confirmed_at: "2020-01-02T03:04:05Z",
    },
    { id: "7", name: "GL", username: "gl", email: "gl@x.com", avatarURL: "https://gl/a.png" },
  ],
  ["gitlab", { id: 8, email: "gl2@x.com", confirmed_at: null }, { id: "8", email: "" }],
  [
    "microsoft",
    { id: "ms1", displayName: "MS User", mail: "ms@x.com" },
    { id: "ms1", name: "MS User", email: "ms@x.com" },
  ],
  [
    "discord",
    {
      id: "d1",
      username: "disco",
      discriminator: "0",
      global_name: null,
      avatar: "abc",
      email: "d@x.com",
      verified: true,
    },
    {
      id: "d1",
      name: "disco",
      username: "disco",
      avatarURL: "https://cdn.discordapp.com/avatars/d1/abc.png",
      email: "d@x.com",
    },
  ],
  [
    "discord",
    { id: "d2", username: "old", discriminator: "1234", email: "d2@x.com", verified: false },
    { id: "d2", name: "old#1234", avatarURL: "", email: "" },
  ],
  [
    "facebook",
    { id: "f1", name: "FB", email: "f@x.com", picture: { data: { url: "https://fb/p.png" } } },
    { id: "f1", name: "FB", email: "f@x.com", avatarURL: "https://fb/p.png" },
  ],
  [
    "twitter",
    { data: { id: "t1", name: "T", username: "tw", confirmed_email: "t@x.com", profile_image_url: "https://x/p.png" } },
    { id: "t1", name: "T", username: "tw", email: "t@x.com", avatarURL: "https://x/p.png" },
  ],
  [
    "spotify",
    {
      id: "s1",
      display_name: "S",
      images: [{ url: "https://s/1.png" }, { url: "https://s/2.png" }],
      email: "unverified@x.com",
    },
    { id: "s1", name: "S", avatarURL: "https://s/1.png", email: "" },
  ],
  [
    "twitch",
    {
      data: [{ id: "tw1", login: "twl", display_name: "TW", email: "tw@x.com", profile_image_url: "https://tw/p.png" }],
    },
    { id: "tw1", name: "TW", username: "twl", email: "tw@x.com", avatarURL: "https://tw/p.png" },
  ],
  [
    "bitbucket",
    {
      uuid: "{b1}",
      username: "bb",
      display_name: "BB",
      account_status: "active",
      links: { avatar: { href: "https://bb/a.png" } },
    },
    { id: "{b1}", name: "BB", username: "bb", email: "b@x.com", avatarURL: "https://bb/a.png" },
    {
      emails: {
        values: [
          { email: "nope@x.com", is_primary: true, is_confirmed: false },
          { email: "b@x.com", is_primary: true, is_confirmed: true },
        ],
      },
    },
  ],
  [
    "box",
    { id: "bx1", name: "Box U", login: "box@x.com", avatar_url: "https://box/a.png", status: "active" },
    { id: "bx1", name: "Box U", email: "box@x.com", avatarURL: "https://box/a.png" },
  ],
  [
    "gitea",
    { id: 5, login: "gt", full_name: "Gi Tea", avatar_url: "https://gt/a.png", active: true },
    { id: "5", name: "Gi Tea", username: "gt", email: "gt@x.com" },
    { emails: [{ email: "gt@x.com", verified: true, primary: true }] },
  ],
  [
    "gitee",
    { id: 9, login: "ge", name: "Gitee U", email: "ge@x.com", avatar_url: "https://ge/a.png" },
    { id: "9", name: "Gitee U", username: "ge", email: "ge@x.com", avatarURL: "https://ge/a.png" },
  ],
  [
    "instagram2",
    { user_id: "i1", id: "app-scoped", username: "insta", name: "I", profile_picture_url: "https://ig/p.png" },
    { id: "i1", username: "insta", name: "I", avatarURL: "https://ig/p.png" },
    { token: { permissions: "instagram_business_basic" } },
  ],
  [
    "kakao",
    {
      id: 42,
      properties: { nickname: "kk", profile_image: "https://kk/p.png" },
      kakao_account: { email: "k@x.com", is_email_valid: true, is_email_verified: true },
    },
    { id: "42", username: "kk", avatarURL: "https://kk/p.png", email: "k@x.com" },
  ],
  [
    "lark",
    { code: 0, data: { union_id: "on_1", open_id: "ou_1", name: "Lark U", avatar_url: "https://lk/a.png" } },
    { id: "on_1", name: "Lark U", avatarURL: "https://lk/a.png" },
  ],
  [
    "linear",
    {
      data: {
        viewer: {
          id: "l1",
          displayName: "lin",
          name: "Lin Ear",
          email: "l@x.com",
          avatarUrl: "https://li/a.png",
          active: true,
        },
      },
    },
    { id: "l1", name: "Lin Ear", username: "lin", email: "l@x.com", avatarURL: "https://li/a.png" },
  ],
  [
    "livechat",
    { account_id: "lc1", name: "LC", email: "lc@x.com", email_verified: true, avatar_url: "https://lc/a.png" },
    { id: "lc1", name: "LC", email: "lc@x.com", avatarURL: "https://lc/a.png" },
  ],
  [
    "mailcow",
    { id: "mc1", username: "mc@x.com", email: "mc@x.com", full_name: "Mail Cow", active: 1 },
    { id: "mc1", name: "Mail Cow", username: "mc", email: "mc@x.com" },
  ],
  [
    "monday",
    {
      data: {
        me: {
          id: "m1",
          enabled: true,
          name: "Mon",
          email: "m@x.com",
          is_verified: true,
          photo_small: "https://mo/a.png",
        },
      },
    },
    { id: "m1", name: "Mon", email: "m@x.com", avatarURL: "https://mo/a.png" },
  ],
  [
    "notion",
    {
      object: "user",
      type: "bot",
      bot: {
        owner: {
          type: "user",
          user: { id: "n1", name: "No Tion", avatar_url: "https://no/a.png", person: { email: "n@x.com" } },
        },
      },
    },
    { id: "n1", name: "No Tion", email: "n@x.com", avatarURL: "https://no/a.png" },
  ],
  [
    "oidc",
    {
      sub: "o1",
      name: "O",
      preferred_username: "oo",
      picture: "https://o/a.png",
      email: "o@x.com",
      email_verified: "true",
    },
    { id: "o1", name: "O", username: "oo", avatarURL: "https://o/a.png", email: "o@x.com" },
  ],
  ["oidc2", { sub: "o2", email: "o2@x.com", email_verified: 0 }, { id: "o2", email: "" }],
  [
    "patreon",
    {
      data: {
        id: "p1",
        attributes: {
          email: "p@x.com",
          full_name: "Pat",
          vanity: "pat",
          image_url: "https://pa/a.png",
          is_email_verified: true,
        },
      },
    },
    { id: "p1", name: "Pat", username: "pat", email: "p@x.com", avatarURL: "https://pa/a.png" },
  ],
  [
    "planningcenter",
    { data: { id: "pc1", attributes: { status: "active", name: "PC", avatar: "https://pc/a.png" } } },
    { id: "pc1", name: "PC", avatarURL: "https://pc/a.png", email: "" },
  ],
  [
    "strava",
    { id: 77, firstname: "Str", lastname: "Ava", username: "strava", profile: "https://st/a.png" },
    { id: "77", name: "Str Ava", username: "strava", avatarURL: "https://st/a.png" },
  ],
  [
    "trakt",
    {
      user: {
        username: "tk",
        name: "Trakt U",
        ids: { slug: "tk", uuid: "uu-1" },
        images: { avatar: { full: "https://tk/a.png" } },
      },
    },
    { id: "uu-1", name: "Trakt U", username: "tk", avatarURL: "https://tk/a.png" },
  ],
  [
    "vk",
    { response: [{ id: 99, first_name: "V", last_name: "K", screen_name: "vk", photo_max: "https://vk/a.png" }] },
    { id: "99", name: "V K", username: "vk", avatarURL: "https://vk/a.png", email: "vk@x.com" },
    { token: { email: "vk@x.com" } },
  ],
  [
    "wakatime",
    {
      data: {
        id: "w1",
        display_name: "Waka",
        username: "wk",
        email: "w@x.com",
        photo: "https://wk/a.png",
        photo_public: false,
        is_email_confirmed: true,
      },
    },
    { id: "w1", name: "Waka", username: "wk", email: "w@x.com", avatarURL: "" },
  ],
  [
    "yandex",
    {
      id: "y1",
      real_name: "Ya",
      login: "yl",
      default_email: "y@x.com",
      is_avatar_empty: false,
      default_avatar_id: "av1",
    },
    {
      id: "y1",
      name: "Ya",
      username: "yl",
      email: "y@x.com",
      avatarURL: "https://avatars.yandex.net/get-yapic/av1/islands-200",
    },
  ],
];

describe("user mapping", () => {
  for (const [name, user, expected, opts] of cases) {
    test(`${name}: ${JSON.stringify(expected).slice(0, 60)}`, async () => {
      const { user: got, requests } = await signIn(name, user, opts);
      expect(got).toMatchObject(expected);
      expect(got.rawUser).toMatchObject(user as JSONish);
      expect(got.accessToken).toBe("at-1");
      expect(got.refreshToken).toBe("rt-1");
      expect(got.expiry).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}Z$/);
      const userReq = requests.find((r) => r.path.startsWith("/user") && !r.path.startsWith("/user/emails"))!;
      expect(userReq.headers.get("authorization")).toBe("Bearer at-1");
    });
  }

  test("vendor-specific user requests", async () => {
    const userReq = async (name: string, user: unknown) =>
      (await signIn(name, user)).requests.find((r) => r.path === "/user")!;
    expect((await userReq("twitch", { data: [{ id: "1" }] })).headers.get("client-id")).toBe("cid");
    expect((await userReq("notion", {})).headers.get("notion-version")).toBe("2022-06-28");
    const trakt = await userReq("trakt", {});
    expect([trakt.headers.get("trakt-api-key"), trakt.headers.get("trakt-api-version")]).toEqual(["cid", "2"]);
    const linear = await userReq("linear", { data: { viewer: { id: "x", active: true } } });
    expect(linear.method).toBe("POST");
    expect(JSON.parse(linear.body).query).toContain("viewer");
    const monday = await userReq("monday", { data: { me: { id: "x", enabled: true } } });
    expect([monday.method, monday.headers.get("content-type")]).toEqual(["POST", "application/json"]);
    expect(JSON.parse(monday.body).query).toContain("me");
  });

  test("instagram keeps the granted permissions in the raw user", async () => {
    const { user } = await signIn("instagram2", { user_id: "i1" }, { token: { permissions: "a,b" } });
    expect(user.rawUser.permissions).toBe("a,b");
  });

  test("inactive or empty accounts fail", async () => {
    const failing: [string, unknown][] = [
      ["bitbucket", { uuid: "x", account_status: "closed" }],
      ["box", { id: "x", status: "inactive" }],
      ["gitea", { id: 1, active: false }],
      ["linear", { data: { viewer: { id: "x", active: false } } }],
      ["mailcow", { id: "x", active: 0 }],
      ["monday", { data: { me: { id: "x", enabled: false } } }],
      ["planningcenter", { data: { id: "x", attributes: { status: "inactive" } } }],
      ["twitch", { data: [] }],
      ["vk", { response: [] }],
      ["github", { id: "not-a-number" }], // wrong JSON type, as Go's decoder would refuse it
      ["google", [1, 2]],
    ];
    for (const [name, user] of failing) {
      await expect(signIn(name, user)).rejects.toBeInstanceOf(OAuth2Error);
    }
  });

  test("a user endpoint error fails", async () => {
    const p = initProvider({ ...config("google"), userInfoURL: `${base}/missing` });
    const token = await p.fetchToken("c");
    await expect(p.fetchAuthUser(token)).rejects.toThrow("failed to fetch OAuth2 user profile");
  });
});

describe("microsoft email strategies (extra.idTokenEmailClaim)", () => {
  const idToken = (claims: JSONish) =>
    `${b64({ alg: "none" })}.${b64({ iat: Math.floor(Date.now() / 1000), ...claims })}.`;
  const b64 = (o: JSONish) => Buffer.from(JSON.stringify(o)).toString("base64url");
  const msUser = { id: "ms1", displayName: "MS", mail: "graph@x.com" };

  test("adds the openid scope and reads the id_token", async () => {
    const p = initProvider(config("microsoft", { idTokenEmailClaim: "email" }));
    expect(p.scopes).toEqual(["User.Read", "openid"]);
    expect(initProvider(config("microsoft")).scopes).toEqual(["User.Read"]);
    const tok = {
      id_token: idToken({ email: "claim@x.com", verified_primary_email: "primary@x.com", xms_edov: true }),
    };
    const email = async (strategy: string, token = tok) =>
      (await signIn("microsoft", msUser, { extra: { idTokenEmailClaim: strategy }, token })).user.email;
    expect(await email("email")).toBe("claim@x.com");
    expect(await email("verified_primary_email")).toBe("primary@x.com");
    expect(await email("email_and_xms_edov")).toBe("claim@x.com");
    expect(await email("any_verified")).toBe("primary@x.com");
    expect(await email("email_and_xms_edov", { id_token: idToken({ email: "claim@x.com", xms_edov: false }) })).toBe(
      "",
    );
    expect(await email("any_verified", { id_token: idToken({ email: "claim@x.com", xms_edov: "1" }) })).toBe(
      "claim@x.com",
    );
    expect(await email("email", { id_token: "garbage" })).toBe("");
    expect((await signIn("microsoft", msUser)).user.email).toBe("graph@x.com");
  });
});

describe("the OAuth2 client", () => {
  test("consent URL: Go's sorted, query-escaped parameters", () => {
    const p = newProviderByName("google");
    p.clientId = "id with space";
    expect(p.buildAuthURL("st", { code_challenge: "abc", code_challenge_method: "S256" })).toBe(
      "https://accounts.google.com/o/oauth2/v2/auth?client_id=id+with+space&code_challenge=abc&code_challenge_method=S256&response_type=code" +
        "&scope=https%3A%2F%2Fwww.googleapis.com%2Fauth%2Fuserinfo.profile+https%3A%2F%2Fwww.googleapis.com%2Fauth%2Fuserinfo.email&state=st",
    );
    p.authURL = "https://idp.example.com/auth?tenant=x";
    p.scopes = [];
    p.redirectURL = "https://app/cb";
    expect(p.buildAuthURL("")).toBe(
      "https://idp.example.com/auth?tenant=x&client_id=id+with+space&redirect_uri=https%3A%2F%2Fapp%2Fcb&response_type=code",
    );
    expect(queryEscape("a!'()*~-_.b")).toBe("a%21%27%28%29%2A~-_.b");
    expect(encodeQuery({ b: "2", a: "1 1" })).toBe("a=1+1&b=2");
  });

  test("token exchange: credentials in a Basic header first, then in the form", async () => {
    const { requests } = await signIn("google", { sub: "x" });
    const tokenReq = requests.find((r) => r.path === "/token")!;
    expect(tokenReq.headers.get("authorization")).toBe("Basic " + Buffer.from("cid:csecret").toString("base64"));
    expect(Object.fromEntries(new URLSearchParams(tokenReq.body))).toEqual({
      code: "the-code",
      code_verifier: "v".repeat(43),
      grant_type: "authorization_code",
      redirect_uri: "https://app.example.com/cb",
    });

    next.tokenStatus = 401;
    seen.length = 0;
    const p = initProvider(config("bitbucket")); // no PKCE
    await expect(p.fetchToken("c")).rejects.toBeInstanceOf(OAuth2Error);
    next.tokenStatus = undefined;
    const [first, second] = seen;
    expect(first!.headers.get("authorization")).toStartWith("Basic ");
    expect(second!.headers.get("authorization")).toBeNull();
    expect(Object.fromEntries(new URLSearchParams(second!.body))).toEqual({
      client_id: "cid",
      client_secret: "csecret",
      code: "c",
      grant_type: "authorization_code",
    });
  });

  test("token responses: JSON and form encoded, errors, extras", () => {
    const form = parseTokenResponse(
      200,
      "application/x-www-form-urlencoded; charset=utf-8",
      "access_token=abc&token_type=bearer&scope=read&expires_in=60&user_id=42&ratio=1.5",
    );
    expect([form.accessToken, form.tokenType, form.refreshToken]).toEqual(["abc", "bearer", ""]);
    expect(form.expiry!.getTime()).toBeGreaterThan(Date.now());
    expect([
      tokenExtra(form, "user_id"),
      tokenExtra(form, "ratio"),
      tokenExtra(form, "scope"),
      tokenExtra(form, "none"),
    ]).toEqual([42, 1.5, "read", null]);

    const json = parseTokenResponse(
      200,
      "application/json",
      '{"access_token":"x","expires_in":"120","id_token":"t","n":1}',
    );
    expect(json.expiry).not.toBeNull();
    expect([tokenExtra(json, "id_token"), tokenExtra(json, "n")]).toEqual(["t", 1]);
    expect(parseTokenResponse(200, "", '{"access_token":"x"}').expiry).toBeNull();

    const bad: [number, string, string][] = [
      [400, "application/json", '{"error":"invalid_grant"}'],
      [200, "application/json", '{"error":"invalid_grant","access_token":"x"}'], // some vendors answer errors with 200
      [200, "application/json", '{"token_type":"bearer"}'],
      [200, "application/json", "not json"],
      [500, "text/html", "<html>"],
    ];
    for (const [status, type, body] of bad) expect(() => parseTokenResponse(status, type, body)).toThrow(OAuth2Error);
  });

  test("Authorization uses the normalized token type", async () => {
    next.user = { sub: "x" };
    seen.length = 0;
    const p = initProvider(config("oidc"));
    const token: OAuth2Token = {
      accessToken: "zzz",
      tokenType: "MAC",
      refreshToken: "",
      expiry: null,
      raw: {},
      rawIsForm: false,
    };
    await p.fetchAuthUser(token);
    expect(seen[0]!.headers.get("authorization")).toBe("MAC zzz");
  });
});

describe("registry", () => {
  const names =
    "apple bitbucket box discord facebook gitea gitee github gitlab google instagram2 kakao lark linear livechat mailcow microsoft monday notion oidc oidc2 oidc3 patreon planningcenter spotify strava trakt twitch twitter vk wakatime yandex";

  test("has upstream's providers, each with its own SVG logo", () => {
    expect(providerNames().sort()).toEqual(names.split(" "));
    const logos = new Set<string>();
    for (const name of providerNames()) {
      const p = newProviderByName(name);
      expect(p.logo).toMatch(/^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg" viewBox="0 0 64 64"[^>]*>.*<\/svg>$/);
      expect(p.displayName).not.toBe("");
      logos.add(p.logo);
    }
    expect(logos.size).toBe(providerNames().length - 2); // oidc2 and oidc3 share oidc's
    expect(() => newProviderByName("missing")).toThrow("missing provider missing");
  });

  test("defaults as upstream: PKCE off for bitbucket, linear and vk; the dashboard order", () => {
    const noPKCE = providerNames().filter((n) => !newProviderByName(n).pkce);
    expect(noPKCE.sort()).toEqual(["bitbucket", "linear", "vk"]);
    expect(
      oauth2Providers()
        .map((p) => p.name)
        .slice(0, 8),
    ).toEqual(["apple", "google", "microsoft", "yandex", "facebook", "instagram2", "github", "gitlab"]);
    expect(
      oauth2Providers()
        .slice(-3)
        .map((p) => [p.name, p.displayName]),
    ).toEqual([
      ["oidc", "OIDC"],
      ["oidc2", "OIDC"],
      ["oidc3", "OIDC"],
    ]);
  });

  test("a collection config overrides the defaults only where set", () => {
    const p = initProvider({
      name: "github",
      clientId: "a",
      clientSecret: "b",
      authURL: "",
      tokenURL: "https://t",
      userInfoURL: "",
      displayName: "GH",
      pkce: false,
      extra: { k: 1 },
    });
    expect([p.clientId, p.clientSecret, p.authURL, p.tokenURL, p.userInfoURL, p.displayName, p.pkce]).toEqual([
      "a",
      "b",
      "https://github.com/login/oauth/authorize",
      "https://t",
      "https://api.github.com/user",
      "GH",
      false,
    ]);
    expect(p.extra()).toEqual({ k: 1 });
  });
});
