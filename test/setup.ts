// Bun has no EventSource; the official SDK needs one for realtime.
import { EventSource } from "eventsource";
if (typeof (globalThis as any).EventSource === "undefined") (globalThis as any).EventSource = EventSource;
