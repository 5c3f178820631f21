/**
 * `completion bash|zsh|fish|powershell`: a small hand-written completion script per shell that
 * completes the commands, the superuser/migrate subcommands and the flags. Cobra generates much
 * larger scripts that call back into the binary; these are static and built from the same tables
 * the help uses, so they stay in step with the commands.
 */
import type { FlagSpec } from "./flags.ts";

export const COMPLETION_SHELLS = ["bash", "zsh", "fish", "powershell"] as const;
export type Shell = (typeof COMPLETION_SHELLS)[number];

export interface CompletionModel {
  /** The program name the script registers for (the executable's base name). */
  name: string;
  /** Top-level commands with their one-line descriptions. */
  commands: { [name: string]: string };
  /** Subcommands of a command (superuser, migrate) with descriptions. */
  subcommands: { [command: string]: { [name: string]: string } };
  globalFlags: FlagSpec[];
  /** Flags only some commands take (serve's --http…). */
  commandFlags: { [command: string]: FlagSpec[] };
}

export function completionHelp(name: string): string {
  return `Generate the autocompletion script for ${name} for the specified shell.

Usage:
  ${name} completion [bash|zsh|fish|powershell]

Examples:
  source <(${name} completion bash)
  ${name} completion zsh > "\${fpath[1]}/_${name}"
  ${name} completion fish > ~/.config/fish/completions/${name}.fish
  ${name} completion powershell | Out-String | Invoke-Expression
`;
}

const flagWords = (specs: FlagSpec[]) => specs.map((f) => `--${f.name}`).join(" ");
/** Shell function names allow only word characters. */
const ident = (name: string) => name.replace(/\W/g, "_");
const sq = (s: string) => `'${s.replace(/'/g, "'\\''")}'`;

export function completionScript(shell: Shell, m: CompletionModel): string {
  switch (shell) {
    case "bash":
      return bashScript(m);
    case "zsh":
      // zsh runs the bash function through its bash compatibility layer
      return `#compdef ${m.name}\nautoload -U +X bashcompinit && bashcompinit\n${bashScript(m)}`;
    case "fish":
      return fishScript(m);
    case "powershell":
      return powershellScript(m);
  }
}

function bashScript(m: CompletionModel): string {
  const fn = `_${ident(m.name)}_completions`;
  const global = flagWords(m.globalFlags);
  const cases = Object.keys(m.commands).map((c) => {
    const flags = `${flagWords(m.commandFlags[c] ?? [])} ${global}`.trim();
    const subs = m.subcommands[c];
    if (subs) {
      return (
        `    ${c}) if [[ $COMP_CWORD -eq 2 ]]; then words="${Object.keys(subs).join(" ")}"; ` +
        `else words="${flags}"; fi ;;`
      );
    }
    if (c === "completion") return `    ${c}) words="bash zsh fish powershell" ;;`;
    if (c === "help") return `    ${c}) words="${Object.keys(m.commands).join(" ")}" ;;`;
    return `    ${c}) words="${flags}" ;;`;
  });
  return `# ${m.name} completion for bash (from \`${m.name} completion bash\`)
${fn}() {
  local cur="\${COMP_WORDS[COMP_CWORD]}" words
  if [[ $COMP_CWORD -eq 1 ]]; then
    words="${Object.keys(m.commands).join(" ")} ${global}"
  else
    case "\${COMP_WORDS[1]}" in
${cases.join("\n")}
    *) words="${global}" ;;
    esac
  fi
  COMPREPLY=( $(compgen -W "$words" -- "$cur") )
}
complete -o default -F ${fn} ${m.name}
`;
}

function fishScript(m: CompletionModel): string {
  const cmds = Object.keys(m.commands);
  const lines = [`# ${m.name} completion for fish (from \`${m.name} completion fish\`)`, `complete -c ${m.name} -f`];
  for (const [c, d] of Object.entries(m.commands)) {
    lines.push(`complete -c ${m.name} -n "not __fish_seen_subcommand_from ${cmds.join(" ")}" -a ${c} -d ${sq(d)}`);
  }
  for (const [c, subs] of Object.entries(m.subcommands)) {
    const names = Object.keys(subs).join(" ");
    for (const [s, d] of Object.entries(subs)) {
      lines.push(
        `complete -c ${m.name} -n "__fish_seen_subcommand_from ${c}; and not __fish_seen_subcommand_from ${names}" ` +
          `-a ${s} -d ${sq(d)}`,
      );
    }
  }
  lines.push(`complete -c ${m.name} -n "__fish_seen_subcommand_from completion" -a "bash zsh fish powershell"`);
  const flag = (f: FlagSpec, cond: string) =>
    `complete -c ${m.name}${cond} -l ${f.name}${f.short ? ` -s ${f.short}` : ""}${f.type === "bool" ? "" : " -r"} ` +
    `-d ${sq(f.usage.split("\n")[0]!)}`;
  for (const f of m.globalFlags) lines.push(flag(f, ""));
  for (const [c, flags] of Object.entries(m.commandFlags)) {
    for (const f of flags) lines.push(flag(f, ` -n "__fish_seen_subcommand_from ${c}"`));
  }
  return lines.join("\n") + "\n";
}

function powershellScript(m: CompletionModel): string {
  const list = (xs: string[]) => xs.map((x) => `'${x}'`).join(", ");
  const subs = Object.entries(m.subcommands)
    .map(([c, s]) => `    '${c}' = @(${list(Object.keys(s))})`)
    .join("\n");
  const flags = Object.entries(m.commandFlags)
    .map(([c, f]) => `    '${c}' = @(${list(f.map((x) => `--${x.name}`))})`)
    .join("\n");
  return `# ${m.name} completion for PowerShell (from \`${m.name} completion powershell\`)
Register-ArgumentCompleter -Native -CommandName '${m.name}' -ScriptBlock {
  param($wordToComplete, $commandAst, $cursorPosition)
  $commands = @(${list(Object.keys(m.commands))})
  $subcommands = @{
${subs}
    'completion' = @('bash', 'zsh', 'fish', 'powershell')
  }
  $commandFlags = @{
${flags}
  }
  $globalFlags = @(${list(m.globalFlags.map((f) => `--${f.name}`))})
  $words = @($commandAst.CommandElements | ForEach-Object { $_.ToString() })
  if ($wordToComplete -ne '') { $words = $words[0..($words.Count - 2)] }
  if ($words.Count -le 1) { $candidates = $commands + $globalFlags }
  elseif ($words.Count -eq 2 -and $subcommands.ContainsKey($words[1])) { $candidates = $subcommands[$words[1]] }
  else { $candidates = @($commandFlags[$words[1]]) + $globalFlags }
  $candidates | Where-Object { $_ -and $_ -like "$wordToComplete*" } | ForEach-Object {
    [System.Management.Automation.CompletionResult]::new($_, $_, 'ParameterValue', $_)
  }
}
`;
}
