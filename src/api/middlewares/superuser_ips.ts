/** Refuses superuser-authenticated requests from IPs outside `settings.superuserIPs` (when set). */
import { forbidden } from "../../core/errors.ts";
import type { Middleware } from "../router.ts";
import { SUPERUSER_IPS } from "./priorities.ts";
import { ipInList } from "./real_ip.ts";

export function superuserIPsWhitelist(): Middleware {
  return {
    id: "pbSuperuserIPsWhitelist",
    priority: SUPERUSER_IPS,
    func: (e) => {
      if (e.hasSuperuserAuth()) {
        const ips = (e.app.settings().superuserIPs as string[] | undefined) ?? [];
        if (ips.length && !ipInList(ips, e.realIP))
          throw forbidden("", {}, new Error("superuser IP is not whitelisted"));
      }
      return e.next();
    },
  };
}
