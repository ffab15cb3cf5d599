/**
 * COPY's text format (https://www.postgresql.org/docs/current/sql-copy.html, "Text Format"):
 * one line per row, columns separated by tabs, `\N` for NULL; a backslash, newline, carriage
 * return or tab inside a value is written as a backslash escape. Everything else (other control
 * characters, any Unicode) may appear as is.
 */
export const COPY_NULL = '\\N';

const SPECIAL = /[\\\n\r\t]/;
const SPECIALS = /[\\\n\r\t]/g;
const ESCAPES: Record<string, string> = { '\\': '\\\\', '\n': '\\n', '\r': '\\r', '\t': '\\t' };

/** A string as one column of a COPY text row. */
export function copyText(value: string): string {
  return SPECIAL.test(value) ? value.replace(SPECIALS, (c) => ESCAPES[c]!) : value;
}

/**
 * JSON text (from JSON.stringify) as one column: JSON already escapes every control character,
 * so only backslashes need doubling. Cheaper than copyText on long documents.
 */
export function copyJsonText(json: string): string {
  return json.includes('\\') ? json.replaceAll('\\', '\\\\') : json;
}
