/** The realtime core: clients, the broker, its hooks and events. */
export { Client, formatSSE, parseSubscriptionOptions, type Message, type SubscriptionOptions } from "./client.ts";
export {
  Broker,
  REALTIME_CLIENT_AUTH_KEY,
  REALTIME_CLIENT_IP_KEY,
  clientAuth,
  realtimeHooks,
  sendToClient,
  subscriptionsBroker,
  type ClientFilter,
  type RealtimeHooks,
} from "./broker.ts";
export { RealtimeConnectRequestEvent, RealtimeMessageEvent, RealtimeSubscribeRequestEvent } from "./events.ts";
