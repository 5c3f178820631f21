/**
 * The names and the CA of automatic certificates — what the command line needs before deciding to
 * serve HTTPS, kept apart from the ACME client (which is only loaded when it is used: acme-client and
 * its dependencies take a few hundred ms to load, on every start otherwise).
 */
import { isIP } from "node:net";
import { domainToASCII } from "node:url";

/** Let's Encrypt's production directory: upstream's only CA (autocert's default). */
export const LETS_ENCRYPT_DIRECTORY = "https://acme-v02.api.letsencrypt.org/directory";

/**
 * A domain argument as a certificate name: lower case, IDN as punycode (as autocert's host policy
 * compares them); IP addresses, wildcards and malformed names are refused with a reason. The name also
 * becomes a file name in the cache, which this check keeps inside it.
 */
export function normalizeDomain(arg: string): { name: string; error?: string } {
  const raw = arg.trim().replace(/\.$/, "");
  // letters of any script, digits, dots and hyphens only: the URL parser behind domainToASCII would cut
  // "a/b.com" down to "a"
  const name = /^[\p{L}\p{N}\p{M}.-]+$/u.test(raw) ? domainToASCII(raw).toLowerCase() : "";
  const label = /^(?!-)[a-z0-9-]{1,63}(?<!-)$/;
  if (!arg.trim() || isIP(arg.trim().replace(/^\[|\]$/g, "")))
    return {
      name,
      error: `"${arg}" is not a domain: automatic certificates need a domain name (pb serve example.com)`,
    };
  if (!name || name.length > 253 || !name.split(".").every((l) => label.test(l)))
    return { name, error: `"${arg}" is not a valid domain name` };
  return { name };
}
