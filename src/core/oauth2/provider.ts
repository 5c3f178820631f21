/**
 * The OAuth2 client every provider builds on (upstream tools/auth BaseProvider plus the parts of
 * golang.org/x/oauth2 it relies on): the consent URL, the code→token exchange and the
 * authorized user-info request. A provider is mostly configuration (URLs, scopes, PKCE default)
 * plus `fetchAuthUser`, which maps the vendor's user JSON onto one shape.
 */
import type { OAuth2User } from "../events.ts";

export type { OAuth2User };

/** An access token as the provider's token endpoint returned it. */
export interface OAuth2Token {
  accessToken: string;
  tokenType: string;
  refreshToken: string;
  /** When the access token expires; null when the provider sent no lifetime. */
  expiry: Date | null;
  /** The whole token response: the JSON object, or the form values as strings. */
  raw: { [k: string]: unknown };
  /** True when `raw` came from a form-encoded (or text/plain) response. */
  rawIsForm: boolean;
}

/** A provider's defaults: what `new XxxProvider()` starts with before a collection's config applies. */
export interface ProviderDefaults {
  displayName: string;
  /** SVG markup shown by the dashboard and in auth-methods. */
  logo: string;
  /** Position in the dashboard's provider list (ties sort by name). */
  order: number;
  pkce: boolean;
  scopes: string[];
  authURL?: string;
  tokenURL?: string;
  userInfoURL?: string;
}

/** Raised for any failed provider call; the API maps it onto its own 400 message. */
export class OAuth2Error extends Error {
  constructor(
    message: string,
    /** The raw response body, when there was one (kept for logs). */
    readonly body?: string,
  ) {
    super(message);
  }
}

/** Token responses and user documents are small; refuse to buffer more than this (Go's oauth2 reads 1 MiB). */
const MAX_TOKEN_RESPONSE = 1 << 20;

/** The contract every provider fulfils; `OAuth2Provider` implements all but `fetchAuthUser`. */
export abstract class OAuth2Provider {
  displayName: string;
  logo: string;
  order: number;
  pkce: boolean;
  scopes: string[];
  clientId = "";
  clientSecret = "";
  authURL: string;
  tokenURL: string;
  userInfoURL: string;
  /** The redirect URL sent with the token exchange (it must equal the one of the consent request). */
  redirectURL = "";
  /** Cancels every outgoing request of this provider (the 30 s auth timeout, the client going away). */
  signal: AbortSignal | undefined;
  protected extraData: { [k: string]: unknown } | null = null;

  constructor(d: ProviderDefaults) {
    this.displayName = d.displayName;
    this.logo = d.logo;
    this.order = d.order;
    this.pkce = d.pkce;
    this.scopes = [...d.scopes];
    this.authURL = d.authURL ?? "";
    this.tokenURL = d.tokenURL ?? "";
    this.userInfoURL = d.userInfoURL ?? "";
  }

  /** A shallow copy of the provider-specific settings (`extra` in the collection config). */
  extra(): { [k: string]: unknown } {
    return { ...(this.extraData ?? {}) };
  }

  /** Replaces the provider-specific settings; some providers adjust their defaults from them. */
  setExtra(data: { [k: string]: unknown } | null): void {
    this.extraData = data;
  }

  /**
   * The consent page URL, built as Go's oauth2.Config.AuthCodeURL: `response_type`, `client_id`,
   * `redirect_uri` (when set), `scope`, `state` and `params`, sorted by key and query-escaped.
   */
  buildAuthURL(state: string, params: { [k: string]: string } = {}): string {
    const v: { [k: string]: string } = { response_type: "code", client_id: this.clientId };
    if (this.redirectURL) v.redirect_uri = this.redirectURL;
    if (this.scopes.length > 0) v.scope = this.scopes.join(" ");
    if (state) v.state = state;
    Object.assign(v, params);
    return this.authURL + (this.authURL.includes("?") ? "&" : "?") + encodeQuery(v);
  }

  /**
   * Exchanges an authorization code for a token. `params` are extra form values (`code_verifier`).
   * As Go's oauth2 with an unknown auth style: the client credentials go in a Basic header first,
   * and on any failure the request is repeated with them in the form.
   */
  async fetchToken(code: string, params: { [k: string]: string } = {}): Promise<OAuth2Token> {
    const v: { [k: string]: string } = { grant_type: "authorization_code", code };
    if (this.redirectURL) v.redirect_uri = this.redirectURL;
    Object.assign(v, params);
    try {
      return await this.tokenRoundTrip(v, true);
    } catch (err) {
      if (this.signal?.aborted) throw err;
      const inParams = { ...v };
      if (this.clientId) inParams.client_id = this.clientId;
      if (this.clientSecret) inParams.client_secret = this.clientSecret;
      return this.tokenRoundTrip(inParams, false);
    }
  }

  private async tokenRoundTrip(values: { [k: string]: string }, basicAuth: boolean): Promise<OAuth2Token> {
    const headers = new Headers({ "Content-Type": "application/x-www-form-urlencoded" });
    if (basicAuth) {
      headers.set(
        "Authorization",
        "Basic " + Buffer.from(`${queryEscape(this.clientId)}:${queryEscape(this.clientSecret)}`).toString("base64"),
      );
    }
    const res = await fetch(this.tokenURL, { method: "POST", headers, body: encodeQuery(values), signal: this.signal });
    const body = await readLimited(res, MAX_TOKEN_RESPONSE);
    return parseTokenResponse(res.status, res.headers.get("content-type") ?? "", body);
  }

  /** Sends `init` (GET by default) to `url` with the token's Authorization header. */
  protected authorizedFetch(url: string, token: OAuth2Token, init: RequestInit = {}): Promise<Response> {
    const headers = new Headers(init.headers);
    headers.set("Authorization", `${tokenTypeOf(token)} ${token.accessToken}`);
    return fetch(url, { ...init, headers, signal: this.signal });
  }

  /** The raw user document from `userInfoURL` (providers override this for other endpoints). */
  fetchRawUserInfo(token: OAuth2Token): Promise<string> {
    return this.sendRawUserInfoRequest(this.userInfoURL, token);
  }

  /** Sends an authorized user-info request; a status of 400 or more is an error. */
  protected async sendRawUserInfoRequest(url: string, token: OAuth2Token, init: RequestInit = {}): Promise<string> {
    const res = await this.authorizedFetch(url, token, init);
    const text = await res.text();
    if (res.status >= 400) {
      throw new OAuth2Error(`failed to fetch OAuth2 user profile via ${url} (${res.status})`, text);
    }
    return text;
  }

  /** The user document parsed as a JSON object. */
  protected async fetchRawUserJSON(token: OAuth2Token): Promise<{ [k: string]: unknown }> {
    return parseJSONObject(await this.fetchRawUserInfo(token));
  }

  /** The normalized user; `email` must be empty unless the provider vouches for it. */
  abstract fetchAuthUser(token: OAuth2Token): Promise<OAuth2User>;

  /** An OAuth2User from the mapped fields, the raw document and the token. */
  protected newUser(
    token: OAuth2Token,
    rawUser: { [k: string]: unknown },
    fields: Partial<Omit<OAuth2User, "rawUser">>,
  ): OAuth2User {
    return {
      id: fields.id ?? "",
      name: fields.name ?? "",
      username: fields.username ?? "",
      email: fields.email ?? "",
      avatarURL: fields.avatarURL ?? "",
      accessToken: token.accessToken,
      refreshToken: token.refreshToken,
      expiry: token.expiry ? formatDateTime(token.expiry) : "",
      rawUser,
    };
  }
}

/** The Authorization scheme of a token, normalized as Go's oauth2.Token.Type(). */
export function tokenTypeOf(token: OAuth2Token): string {
  const t = token.tokenType;
  if (t.toLowerCase() === "bearer") return "Bearer";
  if (t.toLowerCase() === "mac") return "MAC";
  if (t.toLowerCase() === "basic") return "Basic";
  return t || "Bearer";
}

/**
 * A value of the token response beyond the standard ones (`id_token`, `email`…), as Go's
 * Token.Extra: form values that look like numbers come back as numbers.
 */
export function tokenExtra(token: OAuth2Token, key: string): unknown {
  const v = token.raw[key];
  if (!token.rawIsForm) return v;
  if (typeof v !== "string") return null;
  const s = v.trim();
  const dots = s.split(".").length - 1;
  if (dots === 0 && /^[+-]?\d+$/.test(s)) return Number(s);
  if (dots === 1 && s !== "." && Number.isFinite(Number(s))) return Number(s);
  return v;
}

/** Reads the token endpoint's answer as Go's oauth2 does (JSON or form encoded, errors in either). */
export function parseTokenResponse(status: number, contentType: string, body: string): OAuth2Token {
  const failure = status < 200 || status > 299;
  const mime = contentType.split(";")[0]!.trim().toLowerCase();
  let token: OAuth2Token;
  let errorCode = "";
  if (mime === "application/x-www-form-urlencoded" || mime === "text/plain") {
    const vals = new URLSearchParams(body);
    const raw: { [k: string]: unknown } = {};
    for (const [k, v] of vals) if (!(k in raw)) raw[k] = v;
    errorCode = vals.get("error") ?? "";
    const expires = Number.parseInt(vals.get("expires_in") ?? "", 10);
    token = {
      accessToken: vals.get("access_token") ?? "",
      tokenType: vals.get("token_type") ?? "",
      refreshToken: vals.get("refresh_token") ?? "",
      expiry: Number.isFinite(expires) && expires !== 0 ? new Date(Date.now() + expires * 1000) : null,
      raw,
      rawIsForm: true,
    };
  } else {
    let parsed: unknown;
    try {
      parsed = JSON.parse(body);
    } catch {
      throw new OAuth2Error(failure ? `oauth2: cannot fetch token (${status})` : "oauth2: cannot parse json", body);
    }
    const raw =
      parsed && typeof parsed === "object" && !Array.isArray(parsed) ? (parsed as { [k: string]: unknown }) : {};
    errorCode = typeof raw.error === "string" ? raw.error : "";
    // expires_in may be a number or a numeric string (PayPal)
    const expRaw = raw.expires_in;
    const expires = typeof expRaw === "number" ? expRaw : typeof expRaw === "string" ? Number(expRaw) : 0;
    token = {
      accessToken: typeof raw.access_token === "string" ? raw.access_token : "",
      tokenType: typeof raw.token_type === "string" ? raw.token_type : "",
      refreshToken: typeof raw.refresh_token === "string" ? raw.refresh_token : "",
      expiry: Number.isFinite(expires) && expires !== 0 ? new Date(Date.now() + Math.trunc(expires) * 1000) : null,
      raw,
      rawIsForm: false,
    };
  }
  if (failure || errorCode)
    throw new OAuth2Error(`oauth2: cannot fetch token (${status}${errorCode ? ` ${errorCode}` : ""})`, body);
  if (!token.accessToken) throw new OAuth2Error("oauth2: server response missing access_token", body);
  return token;
}

/** JSON text that must hold an object (Go's json.Unmarshal into a map). */
export function parseJSONObject(text: string): { [k: string]: unknown } {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (err) {
    throw new OAuth2Error(`invalid user JSON: ${(err as Error).message}`, text);
  }
  if (v === null) return {};
  if (typeof v !== "object" || Array.isArray(v)) throw new OAuth2Error("the user JSON is not an object", text);
  return v as { [k: string]: unknown };
}

/** Go's url.QueryEscape: everything but `A-Za-z0-9-_.~` percent-encoded, spaces as `+`. */
export function queryEscape(s: string): string {
  return encodeURIComponent(s)
    .replace(/[!'()*]/g, (c) => "%" + c.charCodeAt(0).toString(16).toUpperCase())
    .replace(/%20/g, "+");
}

/** Go's url.Values.Encode for single values: `k=v` pairs sorted by key. */
export function encodeQuery(values: { [k: string]: string }): string {
  return Object.keys(values)
    .sort()
    .map((k) => `${queryEscape(k)}=${queryEscape(values[k]!)}`)
    .join("&");
}

/** Upstream's datetime text (`YYYY-MM-DD HH:MM:SS.sssZ`, UTC). */
function formatDateTime(d: Date): string {
  return d.toISOString().replace("T", " ");
}

async function readLimited(res: Response, limit: number): Promise<string> {
  const buf = new Uint8Array(await res.arrayBuffer());
  return new TextDecoder().decode(buf.length > limit ? buf.subarray(0, limit) : buf);
}
