/**
 * Record changes pushed to realtime subscribers (upstream apis/realtime.go bindRealtimeEvents):
 * after a create or update commits, and for a delete (checked before the row goes, sent after it
 * went), every client subscribed to `<collection>/*`, `<collection>/<id>` or `<collection>` gets
 * `{action, record}` — only when the record passes that client's list/view rule (and the filter of
 * its subscription options), enriched and expanded as that client would see it.
 */
import type { App } from "../core/app.ts";
import type { ModelEvent } from "../core/events.ts";
import { Record } from "../core/record.ts";
import { RequestInfo } from "../core/request_info.ts";
import { canAccessRecord, matchesClientFilter, type RecordSource } from "../core/rules.ts";
import {
  clientAuth,
  subscriptionsBroker,
  type Client,
  type Message,
  type SubscriptionOptions,
} from "../core/realtime/index.ts";
import { goMarshal } from "../tools/json.ts";
import { pick } from "../tools/picker/pick.ts";
import { expandRecords } from "../core/record_expand.ts";
import { RecordEnrichEvent } from "../core/events.ts";
import { checkForSuperuserOnlyRuleFields, expandFetch } from "./record_helpers.ts";

const bound = new WeakSet<App>();

/** Binds the broadcasting handlers once per app. */
export function bindRealtimeRecordEvents(app: App): void {
  if (bound.has(app)) return;
  bound.add(app);
  const asRecord = (e: ModelEvent) => (e.model instanceof Record ? e.model : null);

  app.onModelAfterCreateSuccess().bind({
    priority: -99,
    func: async (e) => {
      const r = asRecord(e);
      if (r) await broadcastRecord(app, "create", r, null).catch(() => {});
      await e.next();
    },
  });
  app.onModelAfterUpdateSuccess().bind({
    priority: -99,
    func: async (e) => {
      const r = asRecord(e);
      if (r) await broadcastRecord(app, "update", r, null).catch(() => {});
      await e.next();
    },
  });
  // A deleted record can't be checked against rules afterwards: prepare the messages before the
  // delete, send them once it committed, drop them if it failed.
  app.onModelDelete().bind({
    priority: 99,
    func: async (e) => {
      const r = asRecord(e);
      if (r) await broadcastRecord(app, "delete", r, dryKey(r)).catch(() => {});
      await e.next();
    },
  });
  app.onModelAfterDeleteSuccess().bind({
    priority: -99,
    func: async (e) => {
      const r = asRecord(e);
      if (r) flushDry(app, dryKey(r), true);
      await e.next();
    },
  });
  app.onModelAfterDeleteError().bind({
    priority: -99,
    func: async (e) => {
      const r = asRecord(e);
      if (r) flushDry(app, dryKey(r), false);
      await e.next();
    },
  });
}

function dryKey(r: Record): string {
  return `delete/${r.collection.name}/${r.originalId || r.id}`;
}

function flushDry(app: App, key: string, send: boolean): void {
  for (const client of subscriptionsBroker(app).clients().values()) {
    const messages = client.get(key) as Message[] | undefined;
    if (!messages) continue;
    client.unset(key);
    if (send) for (const m of messages) client.send(m);
  }
}

/**
 * Sends (or, with `dryCacheKey`, stores for later) the record's change to every client allowed to see
 * it. `source.snapshot`: the record's row is gone (a delete made through another node of a cluster).
 */
export async function broadcastRecord(
  app: App,
  action: string,
  record: Record,
  dryCacheKey: string | null,
  source: RecordSource = {},
): Promise<void> {
  const clients = subscriptionsBroker(app).clients();
  if (clients.size === 0) return;
  const c = record.collection;
  const ruleByPrefix: [string, string | null][] = [
    [`${c.name}/${record.id}?`, c.viewRule],
    [`${c.id}/${record.id}?`, c.viewRule],
    [`${c.name}/*?`, c.listRule],
    [`${c.id}/*?`, c.listRule],
    [`${c.name}?`, c.listRule],
    [`${c.id}?`, c.listRule],
  ];
  // Subscribers that share the auth record (object), the rule and the options get the same data:
  // it is computed once for them (fan-out to thousands of guests), unless onRecordEnrich handlers
  // are bound — those run once per subscriber, as upstream calls them.
  const shared = app.onRecordEnrich.hook.length === 0 ? new Map<string, string | null>() : null;
  const authKeys = new Map<object, number>();
  for (const client of clients.values()) {
    for (const [prefix, rule] of ruleByPrefix) {
      const subs = client.subscriptions(prefix);
      if (subs.size === 0) continue;
      const auth = clientAuth(client);
      for (const [sub, options] of subs) {
        let data: string | null | undefined;
        let key = "";
        if (shared) {
          let authKey = 0;
          if (auth) {
            authKey = authKeys.get(auth) ?? authKeys.size + 1;
            authKeys.set(auth, authKey);
          }
          key = `${prefix}\u0000${authKey}\u0000${JSON.stringify(options)}`;
          data = shared.get(key);
        }
        if (data === undefined) {
          data = await recordMessageData(app, action, record, rule, options, auth, source);
          shared?.set(key, data);
        }
        if (data === null) continue;
        const message: Message = { name: sub, data };
        if (dryCacheKey) {
          const list = (client.get(dryCacheKey) as Message[] | undefined) ?? [];
          list.push(message);
          client.set(dryCacheKey, list);
        } else {
          client.send(message);
        }
      }
    }
  }
}

/** The `{action, record}` JSON one subscriber gets, or null when its rule or filter hides the record. */
async function recordMessageData(
  app: App,
  action: string,
  record: Record,
  rule: string | null,
  options: SubscriptionOptions,
  auth: Record | null,
  source: RecordSource,
): Promise<string | null> {
  const c = record.collection;
  const info = new RequestInfo({
    context: "realtime",
    method: "GET",
    query: options.query,
    headers: options.headers,
    auth,
  });
  if (!(await canSee(app, record, info, rule, source))) return null;
  const clean = record.fresh();
  if (info.hasSuperuserAuth()) clean.unhide(...c.fields.map((f) => f.name));
  await app.onRecordEnrich.hook.trigger(new RecordEnrichEvent(app, clean, info), async () => {
    const expand = options.query.expand;
    if (expand) await expandRecords(app, [clean], expand.split(","), expandFetch(app, info));
    if (c.type === "auth") {
      const same = !!auth && auth.id === clean.id && auth.collection.id === c.id;
      if (same || (c.manageRule && (await canSee(app, clean, info, c.manageRule, source))))
        clean.ignoreEmailVisibility = true;
    }
  });
  let recordData: unknown = clean;
  if (options.query.fields) {
    try {
      recordData = pick(clean, options.query.fields);
    } catch {
      recordData = clean;
    }
  }
  return goMarshal({ action, record: recordData });
}

/** The subscriber's rule, then the filter of its subscription options (as a client filter, for superusers too). */
async function canSee(
  app: App,
  record: Record,
  info: RequestInfo,
  rule: string | null,
  source: RecordSource,
): Promise<boolean> {
  if (!(await canAccessRecord(app, record, info, rule, source))) return false;
  const filter = info.query.filter;
  if (!filter) return true;
  try {
    checkForSuperuserOnlyRuleFields(info);
    return await matchesClientFilter(app, record, info, filter, source);
  } catch {
    return false;
  }
}

export type { Client };
