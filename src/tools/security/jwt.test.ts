import { expect, test } from "bun:test";
import { newJWT, parseJWT, parseUnverifiedJWT } from "./jwt.ts";

test("signs HS256 with sorted claims and verifies", () => {
  const t = newJWT({ id: "a", type: "auth", collectionId: "c" }, "key", 60);
  const [h, p] = t.split(".");
  expect(JSON.parse(Buffer.from(h!, "base64url").toString())).toEqual({ alg: "HS256", typ: "JWT" });
  expect(Object.keys(JSON.parse(Buffer.from(p!, "base64url").toString()))).toEqual([
    "collectionId",
    "exp",
    "id",
    "type",
  ]);
  expect(parseJWT(t, "key").id).toBe("a");
  expect(() => parseJWT(t, "other")).toThrow("signature is invalid");
});

test("verifies an independently signed token and rejects tampering, expiry and junk", () => {
  // Signed here with a plain HMAC, independent of jwt.ts: {"exp":2524604461,"id":"x","type":"auth"}
  const header = Buffer.from('{"alg":"HS256","typ":"JWT"}').toString("base64url");
  const body = Buffer.from('{"exp":2524604461,"id":"x","type":"auth"}').toString("base64url");
  const sig = new Bun.CryptoHasher("sha256", "test").update(`${header}.${body}`).digest("base64url");
  expect(parseJWT(`${header}.${body}.${sig}`, "test").id).toBe("x");
  const tampered = Buffer.from('{"exp":2524604461,"id":"y","type":"auth"}').toString("base64url");
  expect(() => parseJWT(`${header}.${tampered}.${sig}`, "test")).toThrow();
  const expired = newJWT({ id: "x" }, "k", -10);
  expect(() => parseUnverifiedJWT(expired)).toThrow("expired");
  const alg = Buffer.from('{"alg":"none"}').toString("base64url");
  expect(() => parseJWT(`${alg}.${body}.`, "test")).toThrow();
  for (const junk of ["", "a.b", "a.b.c", "....", "eyJ.eyJ.x"]) expect(() => parseJWT(junk, "k")).toThrow();
});
