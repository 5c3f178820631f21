/**
 * A real SMTP server for tests (smtp-server + mailparser), run as its own process by ./smtp.ts.
 * It accepts every message (AUTH PLAIN/LOGIN optional, no TLS), parses it and keeps it in memory,
 * and serves the captured messages over a tiny HTTP API:
 *   GET /messages → [CapturedMail…]   DELETE /messages → clear   POST /fail?count=N → reject the next N
 * Prints `{"smtpPort":…,"httpPort":…}` on stdout once listening.
 */
import { SMTPServer } from "smtp-server";
import { simpleParser } from "mailparser";

interface Captured {
  envelope: { from: string; to: string[] };
  user: string;
  authMethod: string;
  /** The EHLO/HELO name the client gave. */
  clientName: string;
  from: string;
  to: string[];
  subject: string;
  html: string;
  text: string;
  headers: Record<string, string>;
  attachments: { filename: string; contentType: string; size: number; cid: string }[];
  receivedAt: number;
}

const messages: Captured[] = [];
let failNext = 0;

const addrs = (v: unknown): string[] => {
  const list = Array.isArray(v) ? v : v ? [v] : [];
  return list.flatMap((a: { value?: { address?: string; name?: string }[] }) =>
    (a.value ?? []).map((x) => (x.name ? `${x.name} <${x.address}>` : (x.address ?? ""))),
  );
};

const smtp = new SMTPServer({
  authOptional: true,
  allowInsecureAuth: true,
  hideSTARTTLS: true,
  disableReverseLookup: true,
  logger: false,
  onAuth(auth, _session, cb) {
    cb(null, { user: JSON.stringify({ name: auth.username ?? "", method: auth.method }) });
  },
  onData(stream, session, cb) {
    if (failNext > 0) {
      failNext--;
      stream.resume();
      stream.on("end", () => {
        const err = new Error("rejected by the test SMTP server") as Error & { responseCode: number };
        err.responseCode = 550;
        cb(err);
      });
      return;
    }
    simpleParser(stream)
      .then((parsed) => {
        const headers: Record<string, string> = {};
        for (const [k, v] of parsed.headers) headers[k] = typeof v === "string" ? v : JSON.stringify(v);
        messages.push({
          envelope: {
            from: session.envelope.mailFrom ? session.envelope.mailFrom.address : "",
            to: session.envelope.rcptTo.map((r) => r.address),
          },
          user: session.user ? JSON.parse(String(session.user)).name : "",
          authMethod: session.user ? JSON.parse(String(session.user)).method : "",
          clientName: session.hostNameAppearsAs ?? "",
          from: addrs(parsed.from)[0] ?? "",
          to: addrs(parsed.to),
          subject: parsed.subject ?? "",
          html: typeof parsed.html === "string" ? parsed.html : "",
          text: parsed.text ?? "",
          headers,
          attachments: (parsed.attachments ?? []).map((a) => ({
            filename: a.filename ?? "",
            contentType: a.contentType,
            size: a.size,
            cid: a.cid ?? "",
          })),
          receivedAt: Date.now(),
        });
        cb();
      })
      .catch((err) => cb(err));
  },
});

smtp.listen(0, "127.0.0.1", () => {
  const address = smtp.server.address();
  const smtpPort = typeof address === "object" && address ? address.port : 0;
  const http = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    fetch(req) {
      const url = new URL(req.url);
      if (url.pathname === "/messages" && req.method === "GET") return Response.json(messages);
      if (url.pathname === "/messages" && req.method === "DELETE") {
        messages.length = 0;
        return new Response(null, { status: 204 });
      }
      if (url.pathname === "/fail" && req.method === "POST") {
        failNext = Number(url.searchParams.get("count") ?? "1");
        return new Response(null, { status: 204 });
      }
      return new Response("not found", { status: 404 });
    },
  });
  console.log(JSON.stringify({ smtpPort, httpPort: http.port }));
});

process.on("SIGTERM", () => smtp.close(() => process.exit(0)));
