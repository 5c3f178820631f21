/** Upstream's default middleware priorities (apis/middlewares*.go), kept so user middlewares interleave alike. */
export const RATE_LIMIT = -1000;
export const ACTIVITY_LOGGER = RATE_LIMIT - 40;
export const CORS = ACTIVITY_LOGGER - 1;
export const PANIC_RECOVER = RATE_LIMIT - 30;
export const LOAD_AUTH_TOKEN = RATE_LIMIT - 20;
export const SUPERUSER_IPS = LOAD_AUTH_TOKEN + 5;
export const SECURITY_HEADERS = RATE_LIMIT - 10;
export const BODY_LIMIT = RATE_LIMIT + 10;
