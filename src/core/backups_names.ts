/** Small naming helpers of the backups (kept apart so tests and the API can use them without I/O). */

/** Go's `20060102150405` layout of a UTC time. */
export function formatArchiveTimestamp(d: Date): string {
  const p = (n: number, w = 2) => String(n).padStart(w, "0");
  return `${p(d.getUTCFullYear(), 4)}${p(d.getUTCMonth() + 1)}${p(d.getUTCDate())}${p(d.getUTCHours())}${p(d.getUTCMinutes())}${p(d.getUTCSeconds())}`;
}

/** Names a created backup may have (upstream's backupNameRegex). */
export const BACKUP_NAME_RE = /^[a-z0-9_-]+\.zip$/;
