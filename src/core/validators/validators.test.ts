import { describe, expect, test } from "bun:test";
import { checkGoRegex, generateFromPattern, goRegexMatch } from "./regex.ts";
import { isDomain, isEmailFormat, isURL, parseGoURL } from "./is.ts";
import { detectMimeType, mimeIs } from "./mime.ts";
import {
  goFormatFloatV,
  interpolate,
  length,
  min,
  newError,
  required,
  runeLength,
  validateStruct,
} from "./validation.ts";

describe("Go regexps", () => {
  test("compile errors carry Go's messages", () => {
    const cases: [string, string][] = [
      ["[a-z", "missing closing ]: `[a-z`"],
      ["(abc", "missing closing ): `(abc`"],
      ["abc)", "unexpected ): `abc)`"],
      ["*a", "missing argument to repetition operator: `*`"],
      ["a**", "invalid nested repetition operator: `**`"],
      ["\\1", "invalid escape sequence: `\\1`"],
      ["a{2,1}", "invalid repeat count: `{2,1}`"],
      ["[z-a]", "invalid character class range: `z-a`"],
      ["(?=a)", "invalid or unsupported Perl syntax: `(?=`"],
    ];
    for (const [pattern, msg] of cases) expect(() => checkGoRegex(pattern)).toThrow("error parsing regexp: " + msg);
    for (const ok of [
      "^[a-z0-9]+$",
      "(?i)abc",
      "(?P<n>x)",
      "[[:alpha:]]+",
      "\\pL",
      "a{2,}",
      "x*?",
      "\\Qa.b\\E",
      "\\x{41}",
    ]) {
      expect(() => checkGoRegex(ok)).not.toThrow();
    }
  });

  test("matching keeps Go's meaning", () => {
    expect(goRegexMatch("^[a-z0-9]+$", "abc123")).toBe(true);
    expect(goRegexMatch("^[a-z0-9]+$", "ABC")).toBe(false);
    expect(goRegexMatch("(?i)^abc$", "AbC")).toBe(true);
    expect(goRegexMatch("[[:digit:]]", "x1")).toBe(true);
    expect(goRegexMatch("\\Aab\\z", "ab")).toBe(true);
    expect(goRegexMatch("b", "abc")).toBe(true); // unanchored
    expect(goRegexMatch("(?m)^b$", "a\nb\nc")).toBe(true);
    expect(goRegexMatch("^b$", "a\nb\nc")).toBe(false);
    expect(goRegexMatch("\\Qa.b\\E", "axb")).toBe(false);
    expect(goRegexMatch("[", "x")).toBe(false); // invalid pattern never matches
  });

  test("random strings by regex (upstream's RandomStringByRegex)", () => {
    for (let i = 0; i < 20; i++) {
      expect(generateFromPattern("[a-z0-9]{15}")).toMatch(/^[a-z0-9]{15}$/);
      expect(generateFromPattern("[a-zA-Z0-9]{50}")).toMatch(/^[a-zA-Z0-9]{50}$/);
      expect(generateFromPattern("pre_\\d{3}(x|yy)")).toMatch(/^pre_\d{3}(x|yy)$/);
      // the upper bound of a range is exclusive, as upstream draws from [0, max-min)
      expect(generateFromPattern("a{1,3}")).toMatch(/^a{1,2}$/);
      expect(generateFromPattern(".{4}")).toMatch(/^[A-Za-z0-9]{4}$/);
      expect(generateFromPattern("[^\\x00-\\x{10FFFE}]")).toBe("\u{10ffff}");
    }
    expect(() => generateFromPattern("^abc$")).toThrow("unsupported pattern operator 9");
    expect(() => generateFromPattern("\\babc")).toThrow("unsupported pattern operator 11");
    expect(() => generateFromPattern("[a-")).toThrow("missing closing ]");
  });
});

describe("format checks", () => {
  test("email", () => {
    for (const ok of [
      "a@example.com",
      "a.b+c@sub.example.co",
      "x@xn--bcher-kva.example",
      '"quoted name"@example.com',
      "ü@exämple.de",
    ]) {
      expect(isEmailFormat(ok)).toBe(true);
    }
    for (const bad of ["plain", "a@b", "@example.com", "a@.com", "a..b@example.com", "a b@example.com", "a@example."]) {
      expect(isEmailFormat(bad)).toBe(false);
    }
  });

  test("url", () => {
    for (const ok of [
      "https://example.com",
      "http://example.com:8080/a?b=c#d",
      "example.com",
      "ftp://1.2.3.4/x",
      "https://sub.example.co.uk/p",
    ]) {
      expect(isURL(ok)).toBe(true);
    }
    for (const bad of [
      "",
      "test",
      "abc",
      "http://",
      ".example.com",
      "https://exa mple.com",
      "http://example.com:abc",
      "https://.example.com",
    ]) {
      expect(isURL(bad)).toBe(false);
    }
    expect(parseGoURL("https://user@host.com:90/p")).toEqual({ scheme: "https", host: "host.com:90", path: "/p" });
  });

  test("domain", () => {
    expect(isDomain("example.com")).toBe(true);
    expect(isDomain("a.b.example.org")).toBe(true);
    expect(isDomain("localhost")).toBe(false);
    expect(isDomain("-a.com")).toBe(false);
  });

  test("mime sniffing", () => {
    const png = detectMimeType(new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0]));
    expect(png.mime).toBe("image/png");
    expect(mimeIs(png, "image/png")).toBe(true);
    expect(mimeIs(png, "image/jpeg")).toBe(false);
    expect(detectMimeType(new TextEncoder().encode("hello")).mime).toBe("text/plain; charset=utf-8");
    expect(mimeIs(detectMimeType(new TextEncoder().encode("hello")), "text/plain")).toBe(true);
    expect(detectMimeType(new TextEncoder().encode('<svg xmlns="http://www.w3.org/2000/svg"></svg>')).mime).toBe(
      "image/svg+xml",
    );
    expect(detectMimeType(new Uint8Array([0, 1, 2, 255])).mime).toBe("application/octet-stream");
    expect(mimeIs(detectMimeType(new Uint8Array([0x1f, 0x8b, 8])), "application/x-gzip")).toBe(true);
  });
});

describe("rules", () => {
  test("messages are interpolated like Go's text/template and sentenized", () => {
    expect(goFormatFloatV(1000000)).toBe("1e+06");
    expect(goFormatFloatV(123456)).toBe("123456");
    expect(goFormatFloatV(0.00001)).toBe("1e-05");
    expect(goFormatFloatV(1.5)).toBe("1.5");
    expect(interpolate("a {{.x}} b {{.y}}", { x: [1, "z"], y: 2.5 })).toBe("a [1 z] b 2.5");
    const e = newError("code", "must be {{.n}}", { n: 3 });
    expect([e.code, e.message, e.rawMessage, e.params]).toEqual(["code", "Must be 3.", "must be 3", { n: 3 }]);
  });

  test("length counts bytes, runeLength characters; empty values pass", () => {
    expect(length(1, 3)("ééé")?.message).toBe("The length must be between 1 and 3.");
    expect(runeLength(1, 3)("ééé")).toBeNull();
    expect(length(2, 0)("")).toBeNull();
    expect(length(5, 5)("abc")?.message).toBe("The length must be exactly 5.");
    expect(min(10)(0)).toBeNull(); // zero is skipped, as ozzo's threshold rules skip empty values
  });

  test("validateStruct: the first failing rule per key", () => {
    const errs = validateStruct([
      ["a", "", required, length(3, 5)],
      ["b", "xy", required, length(3, 5)],
      ["c", "abcd", required, length(3, 5)],
    ]);
    expect(errs?.toJSON()).toEqual({
      a: { code: "validation_required", message: "Cannot be blank." },
      b: {
        code: "validation_length_out_of_range",
        message: "The length must be between 3 and 5.",
        params: { min: 3, max: 5 },
      },
    });
  });
});
