/** The XHTML document every system email body is wrapped in (the body supplies the content). */

/** Wraps an email body (HTML, already resolved) in the system layout. */
export function wrapInLayout(content: string): string {
  return `
<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Strict//EN" "http://www.w3.org/TR/xhtml1/DTD/xhtml1-strict.dtd">
<html xmlns="http://www.w3.org/1999/xhtml">
<head>
    <meta http-equiv="Content-Type" content="text/html; charset=UTF-8" />
    <meta name="viewport" content="width=device-width,initial-scale=1" />
    <style>
        html, body { margin: 0; padding: 0; border: 0; background: #ffffff; color: #16161a; }
        body { padding: 20px 30px; font-family: Source Sans Pro, sans-serif, emoji; font-size: 14px; line-height: 20px; }
        p { display: block; margin: 10px 0; font-family: inherit; }
        strong { font-weight: bold; }
        em, i { font-style: italic; }
        small { font-size: 12px; line-height: 16px; }
        hr { display: block; height: 1px; border: 0; width: 100%; margin: 10px 0; background: #e1e6ea; }
        a { color: inherit; }
        .hidden { display: none !important; }
        .btn {
            display: inline-block; vertical-align: top; box-sizing: border-box;
            min-width: 150px; margin: 5px 0; padding: 0 20px; border: 0; border-radius: 6px;
            line-height: 40px; text-align: center; text-decoration: none !important; cursor: pointer;
            font-family: Source Sans Pro, sans-serif, emoji; font-size: 14px; font-weight: bold;
            color: #ffffff !important; background: #16161a !important;
        }
    </style>
</head>
<body>
    ${content}
</body>
</html>
`;
}
