/** `superuser upsert|create|update|delete|otp|ips`, as upstream's cmd/superuser.go. */
import type { App } from "../core/app.ts";
import { ValidationErrors } from "../core/errors.ts";
import {
  createSuperuser,
  createSuperuserOTP,
  deleteSuperuser,
  updateSuperuserPassword,
  upsertSuperuser,
} from "../core/superusers.ts";
import { color } from "./output.ts";

interface Io {
  out(s: string): void;
  err(s: string): void;
  name: string;
}

/** A subcommand's help: what it does, its arguments and an example (upstream's wording). */
export interface SubcommandHelp {
  short: string;
  args: string;
  example: string;
}

export const SUPERUSER_SUBCOMMANDS: { [name: string]: SubcommandHelp } = {
  create: {
    short: "Creates a new superuser",
    args: "EMAIL PASS",
    example: "superuser create test@example.com 1234567890",
  },
  delete: { short: "Deletes an existing superuser", args: "EMAIL", example: "superuser delete test@example.com" },
  ips: {
    short:
      "Updates the superuser IPs whitelist setting (the IPs/subnets arguments must be space separated; " +
      "leave empty to clear the whitelist restriction)",
    args: "[IP or SUBNET...]",
    example: "superuser ips 127.0.0.1 10.0.0.0/24",
  },
  otp: {
    short: "Creates a new OTP for the specified superuser",
    args: "EMAIL",
    example: "superuser otp test@example.com",
  },
  update: {
    short: "Changes the password of a single superuser",
    args: "EMAIL PASS",
    example: "superuser update test@example.com 1234567890",
  },
  upsert: {
    short: "Creates, or updates if email exists, a single superuser",
    args: "EMAIL PASS",
    example: "superuser upsert test@example.com 1234567890",
  },
};

export const SUPERUSER_HELP = (name: string) => `Manage superusers

Usage:
  ${name} superuser [command]

Available Commands:
${Object.entries(SUPERUSER_SUBCOMMANDS)
  .map(([c, h]) => `  ${c.padEnd(12)}${h.short}`)
  .join("\n")}
`;

export async function superuserCommand(app: App, args: string[], io: Io): Promise<number> {
  const [sub, ...rest] = args;
  const needEmailPass = () => {
    if (rest.length !== 2) throw new Error("missing email and password arguments");
  };
  try {
    switch (sub) {
      case "upsert":
        needEmailPass();
        await upsertSuperuser(app, rest[0]!, rest[1]!);
        io.out(color.green(`Successfully saved superuser "${rest[0]}"!`) + "\n");
        return 0;
      case "create":
        needEmailPass();
        await createSuperuser(app, rest[0]!, rest[1]!);
        io.out(color.green(`Successfully created new superuser "${rest[0]}"!`) + "\n");
        return 0;
      case "update":
        needEmailPass();
        await updateSuperuserPassword(app, rest[0]!, rest[1]!);
        io.out(color.green(`Successfully changed superuser "${rest[0]}" password!`) + "\n");
        return 0;
      case "delete": {
        const deleted = await deleteSuperuser(app, rest[0] ?? "");
        if (!deleted) io.out(color.yellow(`Superuser "${rest[0]}" is missing or already deleted.`) + "\n");
        else io.out(color.green(`Successfully deleted superuser "${rest[0]}"!`) + "\n");
        return 0;
      }
      case "otp": {
        const otp = await createSuperuserOTP(app, rest[0] ?? "");
        io.out(color.green(`Successfully created OTP for superuser "${rest[0]}":`) + "\n");
        io.out(
          color.green(`├─ Id:    ${otp.id}`) +
            "\n" +
            color.green(`├─ Pass:  ${otp.password}`) +
            "\n" +
            color.green(`└─ Valid: ${otp.duration}s`) +
            "\n\n",
        );
        return 0;
      }
      case "ips": {
        const settings = app.settings();
        settings.superuserIPs = rest;
        await app.saveSettings(settings);
        io.out(
          color.green("Successfully updated SuperuserIPs setting:") +
            "\n" +
            (rest.length ? rest.map((ip) => `  - ${ip}\n`).join("") : "  (cleared: any IP is allowed)\n"),
        );
        return 0;
      }
      case undefined:
        io.out(SUPERUSER_HELP(io.name));
        return 0;
      default:
        throw new Error(`unknown command "${sub}" for "${io.name} superuser"`);
    }
  } catch (e) {
    const msg = e instanceof ValidationErrors ? `failed to save superuser account: ${e.message}` : (e as Error).message;
    io.err(color.red(`Error: ${msg}`) + "\n");
    return 1;
  }
}
