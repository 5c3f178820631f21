/** Console output with upstream's colours, plain when the stream is not a terminal. */
const tty = () => process.stdout.isTTY === true;
const paint = (code: string) => (s: string) => (tty() ? `\x1b[${code}m${s}\x1b[0m` : s);

export const color = {
  green: paint("32"),
  boldGreen: paint("1;32"),
  cyan: paint("36"),
  boldCyan: paint("1;36"),
  magenta: paint("35"),
  yellow: paint("33"),
  red: paint("31"),
  gray: paint("90;3"),
};

/** `YYYY/MM/DD HH:MM:SS` in local time, as Go's log prefix. */
export function logTime(d = new Date()): string {
  const p = (n: number) => String(n).padStart(2, "0");
  return `${d.getFullYear()}/${p(d.getMonth() + 1)}/${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
}
