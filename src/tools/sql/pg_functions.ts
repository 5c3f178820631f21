/**
 * The helper functions pb installs on PostgreSQL (the dialect's setupScript, run once when a database
 * is opened), so that SQL rendered for PostgreSQL gives SQLite's results:
 *
 * - `pb_json_valid(t)`: SQLite's `json_valid` (strict RFC 8259) without raising, so that a `::json`
 *   cast behind it never fails. PostgreSQL 15 has no `IS JSON` and a plpgsql EXCEPTION block would
 *   start a subtransaction per call; instead a regex accepts the common flat values (a scalar, an array
 *   or object of scalars) and nested ones are checked by reducing innermost containers to a marker
 *   until nothing changes. Strings holding `\u0000` or an unpaired surrogate escape count as invalid
 *   here (PostgreSQL's json accepts them, but extracting them as text raises).
 * - `pb_strftime(fmt, t, VARIADIC mods)`: SQLite's `strftime` (the filter's strftime() function).
 *   Dates are kept as SQLite keeps them, integer milliseconds of Julian day (`iJD`), converted to and
 *   from the proleptic Gregorian calendar with integer arithmetic (astronomical years, year 0 exists),
 *   so no PostgreSQL date type and its range errors are involved. Every time-value form, modifier and
 *   format specifier of SQLite 3.54 is handled; what is not valid gives NULL, as in SQLite, including
 *   SQLite's quirks around a day past its month's end (2024-02-30 is held as written until a modifier
 *   recomputes it; 'floor' takes the overflow back). Known differences: `localtime`/`utc` use the
 *   session's TimeZone (SQLite uses the process's); an hour 24 ('24:00') followed by 'start of day'
 *   gives the next day (SQLite keeps the day as written); seconds 59.9995+ with a modifier; a format
 *   holding the character \x01 (used as a placeholder for '%%').
 *   Cost (measured on PG 15 here): a statement calling pb_strftime plans it once (~15-80 ms), then
 *   ~0.5-1 ms a row: SQL functions that are not inlined are started anew on every call.
 *
 * Everything is LANGUAGE sql and `CREATE OR REPLACE`, so running the script again is harmless. The
 * functions land in the first schema of the search_path (public; pb_aux for the logs database).
 * Our own: upstream runs SQLite only and has no twin.
 */

/** SQLite's iJD of 1970-01-01 00:00:00 UTC. */
const UNIX_EPOCH_JD_MS = "210866760000000";
/** The largest iJD SQLite accepts (9999-12-31 23:59:59.999). */
const MAX_JD_MS = "464269060799999";

// A JSON string without \u0000 or a lone surrogate escape; control characters must be escaped.
const JSON_STRING =
  String.raw`"(?:[^"\\\x01-\x1f]|\\["\\/bfnrt]|\\u(?![dD][89a-fA-F]|0000)[0-9a-fA-F]{4}|\\u[dD][89abAB][0-9a-fA-F]{2}\\u[dD][c-fC-F][0-9a-fA-F]{2})*"`;
const JSON_NUMBER = String.raw`-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?`;
const JSON_WS = String.raw`[ \t\n\r]*`;
const JSON_SCALAR = `(?:${JSON_STRING}|${JSON_NUMBER}|true|false|null)`;
const JSON_FLAT =
  `^${JSON_WS}(?:${JSON_SCALAR}` +
  `|\\[${JSON_WS}(?:${JSON_SCALAR}${JSON_WS}(?:,${JSON_WS}${JSON_SCALAR}${JSON_WS})*)?\\]` +
  `|\\{${JSON_WS}(?:${JSON_STRING}${JSON_WS}:${JSON_WS}${JSON_SCALAR}${JSON_WS}` +
  `(?:,${JSON_WS}${JSON_STRING}${JSON_WS}:${JSON_WS}${JSON_SCALAR}${JSON_WS})*)?\\})${JSON_WS}$`;

/** {year, month, day} of a count of days since 1970-01-01: each step computed once (OFFSET 0 fences). */
function civilSql(z: string): string {
  return `(SELECT ARRAY[yoe + era * 400 + CASE WHEN mp < 10 THEN 0 ELSE 1 END,
                 CASE WHEN mp < 10 THEN mp + 3 ELSE mp - 9 END, doy - (153 * mp + 2) / 5 + 1]
    FROM (SELECT zz, CASE WHEN zz >= 0 THEN zz ELSE zz - 146096 END / 146097 AS era
          FROM (SELECT ${z} + 719468 AS zz OFFSET 0) a OFFSET 0) b,
    LATERAL (SELECT zz - era * 146097 AS doe OFFSET 0) c,
    LATERAL (SELECT (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365 AS yoe OFFSET 0) d,
    LATERAL (SELECT doe - (365 * yoe + yoe / 4 - yoe / 100) AS doy OFFSET 0) e,
    LATERAL (SELECT (5 * doy + 2) / 153 AS mp OFFSET 0) f)`;
}

/** {year, month, day, ms of the day} of an iJD. */
function partsSql(jd: string): string {
  return `(SELECT ${civilSql("z")} || (${jd} - ${UNIX_EPOCH_JD_MS} - z * 86400000)
    FROM (SELECT floor((${jd} - ${UNIX_EPOCH_JD_MS}) / 86400000.0)::bigint AS z OFFSET 0) a)`;
}

// a decimal number as SQLite's strftime reads one, and a time of day with an optional zone
const NUMBER = String.raw`(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]{1,4})?`;
const TIME = String.raw`[0-9]{2}:[0-9]{2}(?::[0-9]{2}(?:\.[0-9]+)?)?\s*(?:[zZ]|[+-][0-9]{2}:[0-9]{2})?\s*`;

function sqlString(s: string): string {
  return "'" + s.replaceAll("'", "''") + "'";
}

// pb_strftime's steps, as SQL text put together here rather than as SQL functions of their own: a
// SQL function with a FROM clause is not inlined, and one called from inside another is planned again
// on every call (measured: milliseconds a row). The arguments are column references.

/** ms of a time of day 'HH:MM[:SS[.SSS]][ ][Z|±HH:MM]' (matched by TIME already) less its zone offset. */
function timeOfDaySql(x: string, capSeconds: string): string {
  // read by position: regex captures are slow
  return `(SELECT CASE WHEN h > 24 OR mi > 59 OR s >= 60 OR tzh > 14 OR tzm > 59 THEN NULL
    ELSE h * 3600000 + mi * 60000
         + CASE WHEN ${capSeconds} THEN least(round(s * 1000), 59999) ELSE round(s * 1000) END
         - tzsign * (tzh * 3600000 + tzm * 60000) END
  FROM (SELECT substr(${x}, 1, 2)::int AS h, substr(${x}, 4, 2)::int AS mi,
               CASE WHEN substr(${x}, 6, 1) = ':' THEN substring(${x} FROM '^.{6}[0-9]{2}(?:\\.[0-9]+)?') END AS sec,
               substring(${x} FROM '[+-][0-9]{2}:[0-9]{2}\\s*$') AS tz OFFSET 0) a,
  LATERAL (SELECT coalesce(substr(sec, 7)::numeric, 0) AS s,
                  CASE WHEN tz IS NULL THEN 0 WHEN left(tz, 1) = '-' THEN -1 ELSE 1 END AS tzsign,
                  coalesce(substr(tz, 2, 2)::int, 0) AS tzh, coalesce(substr(tz, 5, 2)::int, 0) AS tzm OFFSET 0) b)`;
}

/**
 * SQLite's time values: YYYY-MM-DD[ HH:MM[:SS[.SSS]]][tz], HH:MM[:SS[.SSS]][tz], 'now', a Julian day
 * number. {iJD, the number given (NULL for other forms), days the date's day is held past its month's
 * end (Feb 30: 1; none once a zone offset converted it), days a first 'floor' takes back}; NULL when
 * not a time value.
 */
function parseSql(t: string, capSeconds: string): string {
  return `(CASE
    WHEN ${t} IS NULL THEN NULL
    WHEN lower(${t}) = 'now' THEN
      ARRAY[floor(extract(epoch FROM statement_timestamp()) * 1000) + ${UNIX_EPOCH_JD_MS}, NULL]
    WHEN ${t} ~ ${sqlString(`^\\s*[+-]?${NUMBER}\\s*$`)} THEN (
      -- out of range it may still be a unix time (the unixepoch and auto modifiers)
      SELECT ARRAY[CASE WHEN jd >= 0 AND jd <= ${MAX_JD_MS} THEN jd END, r]
      FROM (SELECT r, round(r * 86400000) AS jd
            FROM (SELECT regexp_replace(${t}, '^\\s+|\\s+$', '', 'g')::numeric AS r OFFSET 0) a OFFSET 0) b
    )
    WHEN ${t} ~ ${sqlString(`^${TIME}$`)} THEN (
      SELECT ARRAY[pb_dt_jd(2000, 1, 1, tod), NULL] FROM (SELECT ${timeOfDaySql(t, capSeconds)} AS tod OFFSET 0) a
    )
    WHEN ${t} ~ ${sqlString(`^-?[0-9]{4}-[0-9]{2}-[0-9]{2}[\\sT]*(?:${TIME})?$`)} THEN (
      SELECT CASE WHEN mo BETWEEN 1 AND 12 AND d BETWEEN 1 AND 31
                  THEN ARRAY[pb_dt_jd(y, mo, d, CASE WHEN rest = '' THEN 0 ELSE ${timeOfDaySql("rest", capSeconds)} END), NULL,
                             -- a zone offset converts to UTC, which lets go of the held day
                             CASE WHEN rest ~ '[+-][0-9]{2}:[0-9]{2}\\s*$' THEN 0 ELSE over END, over]
             END
      FROM (SELECT CASE WHEN left(${t}, 1) = '-' THEN 1 ELSE 0 END AS neg OFFSET 0) a,
      LATERAL (SELECT substr(${t}, 1, 4 + neg)::bigint AS y, substr(${t}, 6 + neg, 2)::bigint AS mo,
                      substr(${t}, 9 + neg, 2)::bigint AS d, ltrim(substr(${t}, 11 + neg), E' \\t\\n\\r\\f\\vT') AS rest
               OFFSET 0) b,
      LATERAL (SELECT greatest(d - (pb_dt_days(y, mo + 1, 1) - pb_dt_days(y, mo, 1)), 0) AS over OFFSET 0) c
    )
  END)`;
}

/**
 * One SQLite date modifier applied to {iJD, pending "floor" days, day overflow}; `idx` is the modifier's position
 * (unixepoch, julianday and auto act only first, on a numeric time value, `raw`); NULL when not valid.
 */
function modifySql(jd: string, nfloor: string, ovf: string, raw: string, idx: string, modifier: string): string {
  // f: the date as SQLite still holds it, its day possibly past the month's end (`ovf` days: 2024-02-30
  // is held as such until a modifier recomputes the date from the day count), for the modifiers that
  // work on year, month and day
  return `(SELECT CASE WHEN res[1] IS NULL OR res[1] < 0 OR res[1] > ${MAX_JD_MS} THEN NULL
              ELSE ARRAY[res[1]::bigint, res[2]::bigint, coalesce(res[3], 0)::bigint] END
  FROM (SELECT lower(${modifier}) AS z, ${partsSql(jd)} AS p OFFSET 0) a,
  LATERAL (SELECT CASE WHEN ${ovf} > 0
    THEN ARRAY[p[1], p[2] - 1, pb_dt_days(p[1], p[2], 1) - pb_dt_days(p[1], p[2] - 1, 1) + ${ovf}, p[4]]
    ELSE p END AS f OFFSET 0) a2,
  LATERAL (SELECT CASE
    WHEN z IS NULL THEN NULL
    WHEN z IN ('subsec', 'subsecond') THEN ARRAY[${jd}, 0, ${ovf}]
    -- ceiling lets go of a held day; floor takes the overflow back (again if repeated, as SQLite)
    WHEN z = 'ceiling' THEN ARRAY[${jd}, 0, 0]
    WHEN z = 'floor' THEN ARRAY[${jd} - ${nfloor} * 86400000, ${nfloor}, CASE WHEN ${nfloor} > 0 THEN 0 ELSE ${ovf} END]
    WHEN z = 'unixepoch' THEN CASE WHEN ${idx} = 0 AND ${raw} IS NOT NULL
      THEN ARRAY[round(${raw} * 1000) + ${UNIX_EPOCH_JD_MS}, 0] END
    WHEN z = 'julianday' THEN CASE WHEN ${idx} = 0 AND ${raw} IS NOT NULL THEN ARRAY[${jd}, 0, ${ovf}] END
    WHEN z = 'auto' THEN CASE
      WHEN ${idx} <> 0 THEN NULL
      WHEN ${raw} IS NULL THEN ARRAY[${jd}, 0, ${ovf}]
      WHEN ${raw} >= 0 AND ${raw} < 5373484.5 THEN ARRAY[${jd}, 0]
      WHEN ${raw} >= -210866760000 AND ${raw} <= 253402300799 THEN ARRAY[round(${raw} * 1000) + ${UNIX_EPOCH_JD_MS}, 0]
    END
    WHEN z IN ('localtime', 'utc') THEN (
      SELECT ARRAY[${jd} + CASE WHEN z = 'localtime' THEN off ELSE -off END, ${nfloor}]
      FROM (SELECT round(extract(epoch FROM
              (to_timestamp((${jd} - ${UNIX_EPOCH_JD_MS}) / 1000.0) AT TIME ZONE current_setting('TimeZone'))
              - (to_timestamp((${jd} - ${UNIX_EPOCH_JD_MS}) / 1000.0) AT TIME ZONE 'UTC')) * 1000) AS off OFFSET 0) o
    )
    -- the pending floor days survive these (SQLite resets them only on day/time units and ceiling)
    WHEN z = 'start of day' THEN ARRAY[${jd} - p[4], ${nfloor}, ${ovf}]
    WHEN z = 'start of month' THEN ARRAY[pb_dt_jd(f[1], f[2], 1, 0), ${nfloor}]
    WHEN z = 'start of year' THEN ARRAY[pb_dt_jd(f[1], 1, 1, 0), ${nfloor}]
    WHEN z ~ '^weekday [0-6](\\.0*)?$' THEN (
      SELECT ARRAY[${jd} + (n - (CASE WHEN w > n THEN w - 7 ELSE w END)) * 86400000, ${nfloor}]
      FROM (SELECT substr(z, 9, 1)::bigint AS n, ((${jd} + 129600000) / 86400000) % 7 AS w OFFSET 0) q
    )
    WHEN z ~ ${sqlString(`^[+-]?${NUMBER}\\s+(second|minute|hour|day|month|year)s?$`)} THEN (
      SELECT CASE
        WHEN abs(r) > CASE u WHEN 'second' THEN 464269060800 WHEN 'minute' THEN 7737817680 WHEN 'hour' THEN 128963628
                             WHEN 'day' THEN 5373485 WHEN 'month' THEN 176546 ELSE 14713 END THEN NULL
        WHEN u IN ('month', 'year') THEN (
          SELECT ARRAY[pb_dt_jd(f[1] + CASE WHEN u = 'year' THEN x ELSE 0 END,
                                f[2] + CASE WHEN u = 'month' THEN x ELSE 0 END, f[3], f[4])
                       + round((r - x) * (CASE WHEN u = 'year' THEN 365 ELSE 30 END) * 86400000),
                       -- days past the end of the new month, which 'floor' takes back
                       greatest(f[3] - (pb_dt_days(ny, nm + 1, 1) - pb_dt_days(ny, nm, 1)), 0)]
          FROM (SELECT trunc(r)::bigint AS x OFFSET 0) xx,
          LATERAL (SELECT f[2] - 1 + CASE WHEN u = 'month' THEN x ELSE 0 END AS m0 OFFSET 0) mm,
          LATERAL (SELECT f[1] + CASE WHEN u = 'year' THEN x ELSE 0 END + floor(m0 / 12.0)::bigint AS ny,
                          m0 - 12 * floor(m0 / 12.0)::bigint + 1 AS nm OFFSET 0) n
        )
        ELSE ARRAY[${jd} + round(r * CASE u WHEN 'second' THEN 1000 WHEN 'minute' THEN 60000
                                          WHEN 'hour' THEN 3600000 ELSE 86400000 END), 0]
      END
      FROM (SELECT substring(z FROM '^\\S+')::numeric AS r, rtrim(substring(z FROM '[a-z]+$'), 's') AS u OFFSET 0) v
    )
    WHEN z ~ '^[+-][0-9]{2}:[0-9]{2}(:[0-9]{2}(\\.[0-9]+)?)?$' THEN (
      SELECT CASE WHEN h > 24 OR mi > 59 OR s >= 60 THEN NULL
        ELSE ARRAY[${jd} + sg * (h * 3600000 + mi * 60000 + round(s * 1000)), ${nfloor}] END
      FROM (SELECT CASE left(z, 1) WHEN '-' THEN -1 ELSE 1 END AS sg, substr(z, 2, 2)::bigint AS h,
                   substr(z, 5, 2)::bigint AS mi, coalesce(nullif(substr(z, 8), '')::numeric, 0) AS s OFFSET 0) v
    )
    WHEN z ~ '^[+-][0-9]{4}-[0-9]{2}-[0-9]{2}([\\st]+[0-9]{2}:[0-9]{2}(:[0-9]{2}(\\.[0-9]+)?)?)?$' THEN (
      SELECT CASE WHEN mo > 11 OR dd > 30 OR h > 24 OR mi > 59 OR s >= 60 THEN NULL
        ELSE ARRAY[pb_dt_jd(f[1] + sg * yy, f[2] + sg * mo, f[3], f[4])
                   + sg * (dd * 86400000 + h * 3600000 + mi * 60000 + round(s * 1000)), 0] END
      FROM (SELECT CASE left(z, 1) WHEN '-' THEN -1 ELSE 1 END AS sg, substr(z, 2, 4)::bigint AS yy,
                   substr(z, 7, 2)::bigint AS mo, substr(z, 10, 2)::bigint AS dd,
                   ltrim(substr(z, 12), E' \\t\\n\\r\\f\\vt') AS tm OFFSET 0) v,
      LATERAL (SELECT coalesce(nullif(substr(tm, 1, 2), '')::bigint, 0) AS h,
                      coalesce(nullif(substr(tm, 4, 2), '')::bigint, 0) AS mi,
                      coalesce(nullif(substr(tm, 7), '')::numeric, 0) AS s OFFSET 0) w
    )
  END AS res OFFSET 0) b)`;
}

/**
 * SQLite's strftime format applied to an iJD (`held`: days the date is held past its month's end);
 * NULL for an unknown specifier. Each specifier is replaced
 * in turn ('%%' set aside first as \x01): no replacement holds a '%', so none can make another.
 */
/** C's %0<width>d: zero-padded to width, the sign counting, never cut (lpad cuts). */
function cPad(expr: string, width: number): string {
  const n = `(${expr})`;
  return `CASE WHEN ${n} < 0 THEN '-' || lpad((-${n})::text, greatest(${width - 1}, length((-${n})::text)), '0')
    ELSE lpad(${n}::text, greatest(${width}, length(${n}::text)), '0') END`;
}

function formatSql(fmt: string, jd: string, subsec: string, held: string): string {
  const specifiers: [string, string][] = [
    ["%d", "dt"],
    ["%e", "lpad(d::text, 2, ' ')"],
    ["%f", "st || '.' || lpad(ms::text, 3, '0')"],
    ["%F", "yt || '-' || mot || '-' || dt"],
    ["%G", cPad("tp[1]", 4)],
    ["%g", cPad("tp[1] % 100", 2)],
    ["%H", "ht"],
    ["%I", "lpad(h12::text, 2, '0')"],
    ["%j", "lpad((yd + 1)::text, 3, '0')"],
    ["%J", `CASE WHEN strpos(${fmt}, '%J') > 0 THEN pb_dt_julian_text(${jd}) ELSE '' END`],
    ["%k", "lpad(h::text, 2, ' ')"],
    ["%l", "lpad(h12::text, 2, ' ')"],
    ["%m", "mot"],
    ["%M", "mit"],
    ["%p", "CASE WHEN h >= 12 THEN 'PM' ELSE 'AM' END"],
    ["%P", "CASE WHEN h >= 12 THEN 'pm' ELSE 'am' END"],
    ["%R", "ht || ':' || mit"],
    // the subsec modifier gives %s its milliseconds
    [
      "%s",
      `CASE WHEN ${subsec} THEN round((${jd} - ${UNIX_EPOCH_JD_MS}) / 1000.0, 3)::text
       ELSE floor((${jd} - ${UNIX_EPOCH_JD_MS}) / 1000.0)::bigint::text END`,
    ],
    ["%S", "st"],
    ["%T", "ht || ':' || mit || ':' || st"],
    ["%u", "(CASE WHEN wd = 0 THEN 7 ELSE wd END)::text"],
    ["%U", "lpad(((yd + 7 - wd) / 7)::text, 2, '0')"],
    ["%V", "lpad(((thu - pb_dt_days(tp[1], 1, 1)) / 7 + 1)::text, 2, '0')"],
    ["%w", "wd::text"],
    ["%W", "lpad(((yd + 7 - (wd + 6) % 7) / 7)::text, 2, '0')"],
    ["%Y", "yt"],
  ];
  let text = `replace(${fmt}, '%%', E'\\x01')`;
  for (const [spec, value] of specifiers) text = `replace(${text}, '${spec}', ${value})`;
  const valid = `^(?:[^%\\x01]|%[${specifiers.map(([s]) => s[1]).join("")}%])*$`;
  return `(SELECT CASE WHEN ${fmt} !~ '${valid}' THEN NULL ELSE replace(${text}, E'\\x01', '%') END
  FROM (SELECT ${partsSql(jd)} AS p OFFSET 0) a,
  -- a day held past its month's end (2024-02-30 after a modifier) prints as held, as SQLite prints it
  LATERAL (SELECT p[1] AS y, CASE WHEN ${held} > 0 THEN p[2] - 1 ELSE p[2] END AS mo,
                  CASE WHEN ${held} > 0 THEN pb_dt_days(p[1], p[2], 1) - pb_dt_days(p[1], p[2] - 1, 1) + ${held}
                       ELSE p[3] END AS d, p[4] / 3600000 AS h, p[4] / 60000 % 60 AS mi,
                  p[4] / 1000 % 60 AS s, p[4] % 1000 AS ms, ((${jd} + 129600000) / 86400000) % 7 AS wd,
                  (${jd} - p[4] - ${UNIX_EPOCH_JD_MS}) / 86400000 AS z OFFSET 0) c,
  LATERAL (SELECT z - pb_dt_days(y, 1, 1) AS yd, z - (wd + 6) % 7 + 3 AS thu OFFSET 0) e,
  LATERAL (SELECT ${civilSql("thu")} AS tp OFFSET 0) f,
  LATERAL (SELECT ${cPad("y", 4)} AS yt,
                  lpad(mo::text, 2, '0') AS mot, lpad(d::text, 2, '0') AS dt, lpad(h::text, 2, '0') AS ht,
                  lpad(mi::text, 2, '0') AS mit, lpad(s::text, 2, '0') AS st,
                  CASE WHEN h % 12 = 0 THEN 12 ELSE h % 12 END AS h12 OFFSET 0) g)`;
}

export const PG_FUNCTIONS_SQL = `
-- two servers opening the database at once would race on the catalog rows (CREATE OR REPLACE fails
-- with 'tuple concurrently updated'); a multi-statement script is one transaction, which holds this
SELECT pg_advisory_xact_lock(7417201701);
CREATE OR REPLACE FUNCTION pb_json_valid(t text) RETURNS boolean
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $pb$
  SELECT CASE
    WHEN t IS NULL THEN NULL
    WHEN t ~ ${sqlString(JSON_FLAT)} THEN true
    WHEN t !~ '^[ \\t\\n\\r]*[\\[{]' THEN false
    ELSE (
      -- strings become s, other scalars 0, whitespace goes; then innermost containers of those become
      -- 0 until nothing changes: valid JSON ends as a single s or 0
      WITH RECURSIVE r(v, n) AS (
        SELECT regexp_replace(
                 regexp_replace(
                   regexp_replace(t, ${sqlString(JSON_STRING)}, 's', 'g'),
                   ${sqlString(`${JSON_NUMBER}|true|false|null`)}, '0', 'g'),
                 '[ \\t\\n\\r]+', '', 'g'), 0
        UNION ALL
        SELECT w, n + 1 FROM (
          SELECT regexp_replace(regexp_replace(v, '\\[(?:[s0](?:,[s0])*)?\\]', '0', 'g'),
                                '\\{(?:s:[s0](?:,s:[s0])*)?\\}', '0', 'g') AS w, v, n FROM r
        ) x WHERE w <> v AND n < 10000
      )
      SELECT v ~ '^[s0]$' FROM r ORDER BY n DESC LIMIT 1
    )
  END
$pb$;

-- days since 1970-01-01 of a proleptic Gregorian date (astronomical years: year 0 exists); the month
-- may be out of 1..12 (whole years carried) and the day past the month's end. Counted from March so
-- leap days come last; one expression (no FROM), so PostgreSQL inlines it into the caller.
CREATE OR REPLACE FUNCTION pb_dt_days(y bigint, m bigint, d bigint) RETURNS bigint
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $pb$
  SELECT ${[`365 * yy + floor(yy / 4.0) - floor(yy / 100.0) + floor(yy / 400.0)`].map((e) =>
    e.replaceAll("yy", "(y + floor((m - 3) / 12.0)::bigint)"),
  )}::bigint
         + (153 * (m - 3 - 12 * floor((m - 3) / 12.0)::bigint) + 2) / 5 + d - 719469
$pb$;

-- iJD of a date (as pb_dt_days takes it) and a time of day in ms
CREATE OR REPLACE FUNCTION pb_dt_jd(y bigint, m bigint, d bigint, tod numeric) RETURNS numeric
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $pb$
  SELECT pb_dt_days(y, m, d)::numeric * 86400000 + ${UNIX_EPOCH_JD_MS} + tod
$pb$;

-- a float8's exact decimal value as numeric, for values from 2^20 on (else float8's own 15 digits):
-- v * 2^32 is then an integer, and 2^-32 = 5^32 * 10^-32
CREATE OR REPLACE FUNCTION pb_dt_exact(v float8) RETURNS numeric
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $pb$
  SELECT CASE WHEN v >= 1048576 THEN (v * 4294967296.0::float8)::bigint::numeric * 23283064365386962890625 * 0.${'0'.repeat(31)}1 ELSE v::numeric END
$pb$;

CREATE OR REPLACE FUNCTION pb_dt_julian_text(jd bigint) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $pb$
  SELECT CASE WHEN jd <= 0 THEN '0' ELSE
    rtrim(rtrim(round(pb_dt_exact(jd::float8 / 86400000.0::float8),
                      greatest(16 - (floor(log(pb_dt_exact(jd::float8 / 86400000.0::float8))) + 1)::int, 0))::text,
                '0'), '.')
  END
$pb$;

CREATE OR REPLACE FUNCTION pb_strftime(fmt text, t text, VARIADIC mods text[] DEFAULT '{}') RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE AS $pb$
  WITH RECURSIVE
    parsed AS (SELECT ${parseSql("t", "cardinality(mods) = 0")} AS v),
    steps(i, jd, nfloor, ovf) AS (
      -- a parsed day past its month's end is what a first 'floor' takes back
      SELECT 0, CASE WHEN v[1] BETWEEN 0 AND ${MAX_JD_MS} THEN v[1]::bigint END, coalesce(v[4], 0)::bigint,
             coalesce(v[3], 0)::bigint
      FROM parsed WHERE v[1] BETWEEN 0 AND ${MAX_JD_MS} OR v[2] IS NOT NULL
      UNION ALL
      SELECT s.i + 1, r[1], r[2], r[3]
      FROM steps s, parsed,
           LATERAL (SELECT ${modifySql("s.jd", "s.nfloor", "s.ovf", "parsed.v[2]", "s.i", "mods[s.i + 1]")} AS r) x
      WHERE s.i < cardinality(mods) AND r IS NOT NULL
    )
  SELECT ${formatSql(
    "fmt",
    "jd",
    "EXISTS (SELECT 1 FROM unnest(mods) m WHERE lower(m) IN ('subsec', 'subsecond'))",
    // SQLite lets go of a held day past the month's end when no modifier was given
    "CASE WHEN cardinality(mods) > 0 THEN ovf ELSE 0 END",
  )}
  FROM steps WHERE i = cardinality(mods)
$pb$;
`;
