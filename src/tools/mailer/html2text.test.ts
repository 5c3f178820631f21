import { expect, test } from "bun:test";
import { html2Text } from "./html2text.ts";

test("html2Text: whitespace, inline vs block elements, links, skipped elements", () => {
  const cases: [string, string][] = [
    ["", ""],
    ["ab  c", "ab c"],
    ["<!-- a comment -->", ""],
    ["<!-- a comment -->   a   ", "a"],
    ["<span>a</span>b<span>c</span>", "abc"],
    [`<a href="a/b/c">test</span>`, "[test](a/b/c)"],
    [`<a href="">test</span>`, "[test]"],
    [`<a href="x"></a>`, "[LINK](x)"],
    ["<span>a</span>  <span>b</span>", "a b"],
    ["<span>a</span>   b   <span>c</span>", "a b c"],
    ["<span>a</span>   b   <div>c</div>", "a b \r\nc"],
    ["a&amp;b &lt;tag&gt; &#39;q&#x27;", "a&b <tag> 'q'"],
    ["<p>x</p><script>if (a<b) {}</script><style>p{}</style><p>y</p>", "x\r\ny"],
  ];
  for (const [html, want] of cases) expect(html2Text(html)).toBe(want);
});

test("html2Text: a full email document", () => {
  const doc = `
<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Strict//EN" "http://www.w3.org/TR/xhtml1/DTD/xhtml1-strict.dtd">
<html xmlns="http://www.w3.org/1999/xhtml">
<head>
    <meta http-equiv="Content-Type" content="text/html; charset=UTF-8" />
    <style>body { padding: 0; }</style>
</head>
<body>
    <!-- comment -->
    <div class="wrapper">
        <p>Lorem ipsum</p>
        <p>Dolor sit amet</p>
        <p>
            <a href="a/b/c">Verify</a>
        </p>
        <p>
            <a href="a/b/c"><strong>Verify2.1</strong> <strong>Verify2.2</strong></a>
        </p>
        <br>
        <ul>
            <li>ul.test1</li>
            <li>ul.test2</li>
        </ul>
        <select><option>Option 1</option></select>
        <textarea>test</textarea>
        <input type="text" value="test" />
        <button>test</button>
        <p>
            Thanks,<br/>
            PocketBase team
        </p>
    </div>
</body>
</html>`;
  expect(html2Text(doc)).toBe(
    "Lorem ipsum \r\nDolor sit amet \r\n[Verify](a/b/c)  \r\n[Verify2.1 Verify2.2](a/b/c)  \r\n- ul.test1 \r\n- ul.test2      \r\nThanks,\r\nPocketBase team",
  );
});
