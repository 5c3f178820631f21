/**
 * Format checks behind upstream's `is.EmailFormat`, `is.URL`, `is.Domain` and `is.JSON` rules
 * (ozzo-validation's `is` package on top of govalidator), written from their documented behaviour.
 * As rules, empty strings pass; `required` is a separate rule.
 */
import { newError, type Rule } from "./validation.ts";

// characters govalidator accepts beyond ASCII in e-mail addresses
const U = "\\u00A0-\\uD7FF\\uF900-\\uFDCF\\uFDF0-\\uFFEF";
const ATOM = `[a-zA-Z0-9!#$%&'*+\\-/=?^_\`{|}~${U}]`;
const QUOTED = `"(?:[\\x01-\\x08\\x0b\\x0c\\x0e-\\x1f\\x7f\\x21\\x23-\\x5b\\x5d-\\x7e${U}]|\\\\[\\x01-\\x09\\x0b\\x0c\\x0d-\\x7f${U}]|[\\x20\\x09])*"`;
const LABEL = `(?:[a-zA-Z0-9${U}]|[a-zA-Z0-9${U}][a-zA-Z0-9\\-._~${U}]*[a-zA-Z0-9${U}])`;
const TLD = `(?:[a-zA-Z${U}]|[a-zA-Z${U}][a-zA-Z0-9\\-_~${U}]*[a-zA-Z${U}])`;
const EMAIL_RE = new RegExp(`^(?:${ATOM}+(?:\\.${ATOM}+)*|${QUOTED})@(?:${LABEL}\\.)+${TLD}\\.?$`);

/** govalidator.IsEmail: an address with a dot-atom or quoted local part and a dotted domain. */
export function isEmailFormat(s: string): boolean {
  return EMAIL_RE.test(s);
}

const DOMAIN_RE = /^(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-z0-9])?\.)+(?:[a-zA-Z]{1,63}| xn--[a-z0-9]{1,59})$/;

/** ozzo's is.Domain: dotted labels ending in an alphabetic TLD, at most 255 bytes. */
export function isDomain(s: string): boolean {
  return Buffer.byteLength(s) <= 255 && DOMAIN_RE.test(s);
}

// --- URLs ------------------------------------------------------------------------------------------

const HOST_CHAR = "a-zA-Z0-9\\u00a1-\\uffff";
const HOST_LABEL = `[${HOST_CHAR}](?:[${HOST_CHAR}_-]*[${HOST_CHAR}])?`;
const IPV4 = "(?:25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)(?:\\.(?:25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)){3}";
const URL_RE = new RegExp(
  "^(?:(?:ftp|tcp|udp|wss?|https?)://)?" + // scheme
    "(?:\\S+(?::\\S*)?@)?" + // user info
    `(?:${IPV4}|\\[[0-9a-fA-F:.%a-zA-Z]+\\]|${HOST_LABEL}(?:\\.${HOST_LABEL})*)\\.?` + // host
    "(?::\\d{1,5})?" + // port
    "(?:[/?#]\\S*)?$", // path, query, fragment
);

/** The parts of a URL as Go's url.Parse splits them (enough for the checks here). */
export interface ParsedURL {
  scheme: string;
  /** host[:port] */
  host: string;
  path: string;
}

/** A minimal url.Parse: null where Go reports an error (control characters, a bad port, bad escapes). */
export function parseGoURL(raw: string): ParsedURL | null {
  if (/[\x00-\x1f\x7f]/.test(raw)) return null;
  let rest = raw.split("#")[0]!;
  rest = rest.split("?")[0]!;
  let scheme = "";
  const sm = /^([a-zA-Z][a-zA-Z0-9+.-]*):/.exec(rest);
  if (sm) {
    scheme = sm[1]!.toLowerCase();
    rest = rest.slice(sm[0].length);
  } else if (/^[^/]*:/.test(rest)) {
    return null; // "first path segment in URL cannot contain colon"
  }
  let host = "";
  if (rest.startsWith("//")) {
    rest = rest.slice(2);
    const end = rest.search(/\//);
    const authority = end < 0 ? rest : rest.slice(0, end);
    rest = end < 0 ? "" : rest.slice(end);
    host = authority.slice(authority.lastIndexOf("@") + 1);
    const pm = /:([^\]]*)$/.exec(host);
    if (pm && !host.startsWith("[") && !/^\d*$/.test(pm[1]!)) return null;
    if (host.startsWith("[") && !/\](:\d*)?$/.test(host)) return null;
  }
  if (/%(?![0-9a-fA-F]{2})/.test(rest)) return null;
  return { scheme, host, path: rest };
}

/** govalidator.IsURL (the version upstream pins). */
export function isURL(s: string): boolean {
  if (s === "" || [...s].length >= 2083 || Buffer.byteLength(s) <= 3 || s.startsWith(".")) return false;
  const temp = s.includes(":") && !s.includes("://") ? "http://" + s : s;
  const u = parseGoURL(temp);
  if (!u) return false;
  if (u.host.startsWith(".")) return false;
  if (u.host === "" && u.path !== "" && !u.path.includes(".")) return false;
  return URL_RE.test(s);
}

/** encoding/json's Valid. */
export function isJSON(s: string): boolean {
  try {
    JSON.parse(s);
    return true;
  } catch {
    return false;
  }
}

// --- as rules ----------------------------------------------------------------------------------------

function stringRule(check: (s: string) => boolean, code: string, message: string): Rule {
  return (v) => {
    if (v === null || v === undefined || v === "") return null;
    if (typeof v !== "string")
      return newError("validation_unsupported_value_type", "must be either a string or byte slice");
    return check(v) ? null : newError(code, message);
  };
}

/** is.EmailFormat */
export const emailFormat: Rule = stringRule(isEmailFormat, "validation_is_email", "must be a valid email address");
/** is.URL */
export const url: Rule = stringRule(isURL, "validation_is_url", "must be a valid URL");
/** is.Domain */
export const domain: Rule = stringRule(isDomain, "validation_is_domain", "must be a valid domain");
/** is.JSON */
export const json: Rule = stringRule(isJSON, "validation_is_json", "must be in valid JSON format");
