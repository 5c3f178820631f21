/**
 * The parts of acme-client the manager uses, imported from their own files: the package's index also
 * loads node-forge for a legacy crypto API we never call (~300 KB of minified JS, ~1 MB of the compiled
 * binary). The version is pinned; the declarations are the package's own.
 */
import type * as Acme from "acme-client";
// @ts-expect-error: a file of the package, typed below through the package's declarations
import ClientModule from "acme-client/src/client.js";
// @ts-expect-error: as above
import cryptoModule from "acme-client/src/crypto/index.js";
// @ts-expect-error: as above
import axiosModule from "acme-client/src/axios.js";

export const Client = ClientModule as typeof Acme.Client;
export type Client = Acme.Client;
export const crypto = cryptoModule as typeof Acme.crypto;
export const axios = axiosModule as typeof Acme.axios;
