/// <reference path="../pb_data/types.d.ts" />
// Realtime: each connection is stamped with its start, a client may follow at most 5 topics, and
// the article events a client receives carry its connection's start.
onRealtimeConnectRequest((e) => {
  e.client.set("connectedAt", new Date().toISOString());
  e.next();
});

onRealtimeSubscribeRequest((e) => {
  if (e.subscriptions.length > 5) {
    throw new BadRequestError("Too many subscriptions (at most 5).");
  }
  e.next();
});

onRealtimeMessageSend((e) => {
  if (e.message.name.startsWith("articles/")) {
    // the data is the JSON the client gets, as bytes
    const data = JSON.parse(toString(e.message.data));
    data.connectedAt = e.client.get("connectedAt");
    e.message.data = toBytes(JSON.stringify(data));
  }
  e.next();
});
