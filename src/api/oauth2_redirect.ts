/**
 * `GET|POST /api/oauth2-redirect` (upstream apis/record_auth_with_oauth2_redirect.go): where the
 * provider sends the browser back in the SDK's popup flow. The `state` is the id of the realtime
 * client that started the flow; the code (or error) is forwarded to it as an `@oauth2` message, and
 * the popup is sent to the dashboard's success or failure page (a relative redirect).
 * POST is for `response_mode=form_post` (Apple, which also posts the user's name once).
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { storeAppleRedirectName } from "../core/oauth2/apple_names.ts";
import { REALTIME_CLIENT_IP_KEY, subscriptionsBroker } from "../core/realtime/broker.ts";
import type { Message } from "../core/realtime/client.ts";
import type { RequestEvent } from "../core/request_event.ts";
import { goMarshal } from "../tools/json.ts";
import { DASHBOARD_DIR } from "./dashboard.ts";
import { skipSuccessActivityLog } from "./middlewares/activity_logger.ts";
import { remoteClient, sendToRemoteClient } from "./realtime_cluster.ts";
import type { Router } from "./router.ts";

/** The realtime topic the SDK subscribes to while waiting for the redirect. */
export const OAUTH2_SUBSCRIPTION_TOPIC = "@oauth2";
const FAILURE_PATH = "../_/#/auth/oauth2-redirect-failure";
const SUCCESS_PATH = "../_/#/auth/oauth2-redirect-success";

export function bindOAuth2RedirectApi(router: Router, opts: { dashboardDir?: string } = {}) {
  // without a bundled dashboard there is no page to redirect to: answer with a short text instead
  const hasUI = existsSync(join(opts.dashboardDir ?? DASHBOARD_DIR, "index.html"));
  const handler = (e: RequestEvent) => oauth2SubscriptionRedirect(e, hasUI);
  // successes are not logged: the URL carries the authorization code
  router.get("/api/oauth2-redirect", handler, skipSuccessActivityLog());
  router.post("/api/oauth2-redirect", handler, skipSuccessActivityLog());
}

interface RedirectData {
  state: string;
  code: string;
  error: string;
  /** Apple only: the user JSON with the name (never forwarded). */
  appleUser: string;
}

async function oauth2SubscriptionRedirect(e: RequestEvent, hasUI: boolean) {
  const data = e.method === "POST" ? await readPostedData(e) : readQuery(e.url.searchParams);
  if (!data || data.state === "") return failureRedirect(e, hasUI);

  const client = await waitingClient(e, data.state);
  if (!client) return failureRedirect(e, hasUI);
  // the browser finishing the flow must be the one that opened the realtime connection
  // (clients registered by app code carry no IP and skip the check); a mismatch still ends the flow
  if (typeof client.ip === "string" && client.ip !== "" && client.ip !== e.realIP) {
    await client.answer(null);
    return failureRedirect(e, hasUI);
  }
  if (data.appleUser !== "" && data.error === "" && data.code !== "") {
    try {
      storeAppleRedirectName(e.app, data.code, data.appleUser);
    } catch (err) {
      if (e.app.isDev) console.debug("failed to parse the Apple redirect name", err);
    }
  }
  const delivered = await client.answer(codeMessage(data));
  if (!delivered || data.error !== "" || data.code === "") return failureRedirect(e, hasUI);
  return successRedirect(e, hasUI);
}

/** The popup's realtime client as the redirect reaches it: on this node or, on a cluster, on another. */
interface WaitingClient {
  /** The IP it connected from (none for clients registered by app code). */
  ip: unknown;
  /** Sends `message` (when given) and ends the one-shot subscription; false when it no longer waited. */
  answer(message: Message | null): Promise<boolean>;
}

/** The client `state` names if it waits for the `@oauth2` message, else null. */
async function waitingClient(e: RequestEvent, state: string): Promise<WaitingClient | null> {
  const local = subscriptionsBroker(e.app).clientById(state);
  if (local) {
    if (local.isDiscarded || !local.hasSubscription(OAUTH2_SUBSCRIPTION_TOPIC)) return null;
    return {
      ip: local.get(REALTIME_CLIENT_IP_KEY),
      answer: async (message) => {
        try {
          if (message) local.send(message);
        } finally {
          local.unsubscribe(OAUTH2_SUBSCRIPTION_TOPIC);
        }
        return true;
      },
    };
  }
  // another node's client: checked as its node recorded it, answered by that node
  const remote = await remoteClient(e.app, state);
  if (!remote) return null;
  return {
    ip: remote.get(REALTIME_CLIENT_IP_KEY),
    answer: (message) => sendToRemoteClient(e.app, remote, OAUTH2_SUBSCRIPTION_TOPIC, message, true),
  };
}

/** The `@oauth2` message with the state, the code and any error. */
function codeMessage(data: RedirectData): Message {
  const payload: { [k: string]: string } = { state: data.state, code: data.code };
  if (data.error !== "") payload.error = data.error;
  return { name: OAUTH2_SUBSCRIPTION_TOPIC, data: goMarshal(payload) };
}

function readQuery(q: URLSearchParams): RedirectData {
  return { state: q.get("state") ?? "", code: q.get("code") ?? "", error: q.get("error") ?? "", appleUser: "" };
}

/** A posted body as upstream's form binding reads it (body values before query values); null if unreadable. */
async function readPostedData(e: RequestEvent): Promise<RedirectData | null> {
  const type = e.request.headers.get("content-type") ?? "";
  try {
    if ((await e.bodyBuffer()).length === 0) return { state: "", code: "", error: "", appleUser: "" };
    if (type.startsWith("application/x-www-form-urlencoded") || type.startsWith("multipart/form-data")) {
      const form = new URLSearchParams();
      if (type.startsWith("multipart/form-data")) {
        const body = await e.bindBody();
        for (const [k, v] of Object.entries(body)) form.append(k, String(Array.isArray(v) ? v[0] : v));
      } else {
        for (const [k, v] of new URLSearchParams(new TextDecoder().decode(await e.bodyBuffer()))) form.append(k, v);
      }
      for (const [k, v] of e.url.searchParams) form.append(k, v);
      return {
        state: form.get("state") ?? "",
        code: form.get("code") ?? "",
        error: form.get("error") ?? "",
        appleUser: form.get("user") ?? "",
      };
    }
    if (type.startsWith("application/json")) {
      const body = await e.bindBody();
      const str = (k: string) => {
        const v = body[k];
        if (v === undefined || v === null) return "";
        if (typeof v !== "string") throw new Error(`invalid ${k}`);
        return v;
      };
      return { state: str("state"), code: str("code"), error: str("error"), appleUser: "" };
    }
  } catch {
    return null;
  }
  return null;
}

/** Upstream redirects with 307 for GET and 303 for form posts. */
function redirectStatus(e: RequestEvent): number {
  return e.method === "GET" ? 307 : 303;
}

function failureRedirect(e: RequestEvent, hasUI: boolean) {
  if (!hasUI) {
    e.send(
      200,
      "Failed to authenticate. You can close this window and go back to the app to try again.",
      "text/plain; charset=utf-8",
    );
    return;
  }
  e.responseHeaders.set("Location", FAILURE_PATH);
  e.send(redirectStatus(e), null);
}

function successRedirect(e: RequestEvent, hasUI: boolean) {
  if (!hasUI) {
    e.send(200, "Auth completed. You can close this window and go back to the app.", "text/html; charset=utf-8");
    return;
  }
  e.responseHeaders.set("Location", SUCCESS_PATH);
  e.send(redirectStatus(e), null);
}
