/**
 * Microsoft Entra ID / Azure AD (the "common" tenant by default). Which email to trust is chosen
 * with `extra.idTokenEmailClaim`; any value there also adds the `openid` scope to get an id_token.
 */
import { parseUnverifiedClaims, validateClaims, type Claims } from "../id_token.ts";
import { castBool, castString, jsonStr } from "../json_fields.ts";
import { OAuth2Provider, tokenExtra, type OAuth2Token, type OAuth2User } from "../provider.ts";

const LOGO =
  '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 64 64"><rect x="5" y="5" width="25.5" height="25.5" rx="1.5" fill="#f25022"/>' +
  '<rect x="33.5" y="5" width="25.5" height="25.5" rx="1.5" fill="#7fba00"/><rect x="5" y="33.5" width="25.5" height="25.5" rx="1.5" fill="#00a4ef"/>' +
  '<rect x="33.5" y="33.5" width="25.5" height="25.5" rx="1.5" fill="#ffb900"/></svg>';

/** The `extra` key naming the id_token email strategy. */
export const EXTRA_ID_TOKEN_EMAIL_CLAIM = "idTokenEmailClaim";

export class MicrosoftProvider extends OAuth2Provider {
  constructor() {
    super({
      displayName: "Microsoft",
      logo: LOGO,
      order: 3,
      pkce: true,
      scopes: ["User.Read"],
      authURL: "https://login.microsoftonline.com/common/oauth2/v2.0/authorize",
      tokenURL: "https://login.microsoftonline.com/common/oauth2/v2.0/token",
      userInfoURL: "https://graph.microsoft.com/v1.0/me",
    });
  }

  override setExtra(data: { [k: string]: unknown } | null): void {
    super.setExtra(data);
    if (castString(data?.[EXTRA_ID_TOKEN_EMAIL_CLAIM]) !== "" && !this.scopes.includes("openid")) {
      this.scopes = [...this.scopes, "openid"];
    }
  }

  async fetchAuthUser(token: OAuth2Token): Promise<OAuth2User> {
    const raw = await this.fetchRawUserJSON(token);
    const user = this.newUser(token, raw, { id: jsonStr(raw, "id"), name: jsonStr(raw, "displayName") });
    const claims = () => idTokenClaims(token);
    switch (this.extraData?.[EXTRA_ID_TOKEN_EMAIL_CLAIM]) {
      case "any_verified":
        user.email = verifiedPrimaryEmail(claims()) || verifiedXmsEdovEmail(claims());
        break;
      case "verified_primary_email":
        user.email = verifiedPrimaryEmail(claims());
        break;
      case "email_and_xms_edov":
        user.email = verifiedXmsEdovEmail(claims());
        break;
      case "email":
        user.email = stringClaim(claims(), "email");
        break;
      default:
        // single-tenant apps: Graph's `mail` mirrors the id_token's (verified-only since 2023) email
        user.email = jsonStr(raw, "mail");
    }
    return user;
  }
}

/** The id_token's claims, loosely checked (it came straight from the token endpoint); {} when unusable. */
function idTokenClaims(token: OAuth2Token): Claims {
  const idToken = tokenExtra(token, "id_token");
  if (typeof idToken !== "string" || idToken === "") return {};
  try {
    const claims = parseUnverifiedClaims(idToken);
    validateClaims(claims, {});
    return claims;
  } catch {
    return {};
  }
}

function stringClaim(claims: Claims, name: string): string {
  const v = claims[name];
  return typeof v === "string" ? v : "";
}

function verifiedPrimaryEmail(claims: Claims): string {
  return stringClaim(claims, "verified_primary_email");
}

function verifiedXmsEdovEmail(claims: Claims): string {
  return castBool(claims.xms_edov) ? stringClaim(claims, "email") : "";
}
