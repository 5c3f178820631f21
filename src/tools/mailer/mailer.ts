/**
 * Mail sending, independent of the app (upstream tools/mailer): a message shape, the `Mailer`
 * interface every client implements, and an `onSend` hook each client fires before it sends, so
 * the app can inspect, change or replace a message (or its mailer).
 */
import { Hook, HookEvent } from "../hook.ts";

/** A mailbox: an address with an optional display name. */
export interface Address {
  address: string;
  name: string;
}

/** Attachment content: bytes, text or a Blob/File. */
export type AttachmentData = Uint8Array | ArrayBuffer | string | Blob;

/** One email. `text` is derived from `html` when empty (SMTP sends both parts). */
export interface Message {
  from: Address;
  to: Address[];
  bcc: Address[];
  cc: Address[];
  subject: string;
  html: string;
  text: string;
  /** Extra headers; a `Message-ID` here replaces the generated one. */
  headers: Record<string, string>;
  /** Regular attachments by file name. */
  attachments: Record<string, AttachmentData>;
  /** Inline attachments by content id (`<img src="cid:NAME">`). */
  inlineAttachments: Record<string, AttachmentData>;
}

/** A message with only the given fields set (the rest empty). */
export function newMessage(init: Partial<Message> & Pick<Message, "from" | "to" | "subject">): Message {
  return { bcc: [], cc: [], html: "", text: "", headers: {}, attachments: {}, inlineAttachments: {}, ...init };
}

/** Fired by a client right before it sends; handlers may edit or replace `message`. */
export class SendEvent extends HookEvent {
  constructor(public message: Message) {
    super();
  }
}

/** Anything that can send a message. */
export interface Mailer {
  send(message: Message): Promise<void>;
  /** Runs before every send of this client (a handler that does not call `next()` cancels it). */
  readonly onSend: Hook<SendEvent>;
}

/** Base of the bundled clients: `send` runs the onSend chain, then the transport. */
export abstract class BaseMailer implements Mailer {
  readonly onSend = new Hook<SendEvent>();

  send(message: Message): Promise<void> {
    return this.onSend.trigger(new SendEvent(message), (e) => this.deliver(e.message));
  }

  /** Hands the message to the transport. */
  protected abstract deliver(message: Message): Promise<void>;
}

/** `Name <address>` (name quoted when needed, RFC 2047-encoded when not ASCII), or the bare address. */
export function formatAddress(a: Address, withName = true): string {
  if (!withName || !a.name) return a.address;
  let name = a.name;
  if (/[^\x20-\x7e]/.test(name)) name = `=?utf-8?q?${qEncode(name)}?=`;
  else if (/[()<>[\]:;@\\,."]/.test(name)) name = `"${name.replaceAll("\\", "\\\\").replaceAll('"', '\\"')}"`;
  return `${name} <${a.address}>`;
}

/** The RFC 2047 "Q" encoding of a UTF-8 string (for header words). */
export function qEncode(s: string): string {
  let out = "";
  for (const byte of Buffer.from(s, "utf8")) {
    const c = String.fromCharCode(byte);
    if (byte === 0x20) out += "_";
    else if (/[A-Za-z0-9!*+\-/]/.test(c)) out += c;
    else out += "=" + byte.toString(16).toUpperCase().padStart(2, "0");
  }
  return out;
}

/** Attachment content as bytes. */
export async function attachmentBytes(data: AttachmentData): Promise<Uint8Array> {
  if (typeof data === "string") return Buffer.from(data, "utf8");
  if (data instanceof Uint8Array) return data;
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  return new Uint8Array(await data.arrayBuffer());
}
