import { COPY_NULL, copyJsonText, copyText } from '#libs/sql/src/copy-text';
import type { ColumnType } from './document-projector.js';

/**
 * One document row as a line of COPY text, such that COPY stores exactly what the live upsert
 * would. The live path sends rows as JSON through jsonb_to_recordset, which turns a JSON null
 * (or a missing key) into NULL, a string into its contents, and any other scalar into its JSON
 * text, all then read by the column type's input function. A value whose JSON text PostgreSQL
 * would print differently (a number in exponent form: 1e21 reads back as
 * 1000000000000000000000), an object in a scalar column, or a string JSON cannot carry (a lone
 * surrogate) has no exact COPY encoding here: the function then returns undefined, and the
 * caller writes that row through the live upsert instead.
 */
export function copyLineOf(
  values: readonly unknown[],
  types: readonly ColumnType[],
  toJson: (value: unknown) => string | undefined,
): string | undefined {
  let line = '';
  for (let i = 0; i < values.length; i++) {
    const text = types[i] === 'jsonb' ? jsonbColumn(values[i], toJson) : scalarColumn(values[i]);
    if (text === undefined) return undefined;
    line += i === 0 ? text : `\t${text}`;
  }
  return `${line}\n`;
}

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

function scalarColumn(value: unknown): string | undefined {
  switch (typeof value) {
    case 'undefined':
      return COPY_NULL;
    case 'string':
      return LONE_SURROGATE.test(value) ? undefined : copyText(value);
    case 'boolean':
      return value ? 'true' : 'false';
    case 'bigint':
      return value.toString();
    case 'number': {
      // JSON has no NaN or Infinity: JSON.stringify writes null.
      if (!Number.isFinite(value)) return COPY_NULL;
      const text = String(value);
      return text.includes('e') ? undefined : text;
    }
    default:
      return value === null ? COPY_NULL : undefined;
  }
}

function jsonbColumn(value: unknown, toJson: (value: unknown) => string | undefined): string {
  const json = value === undefined ? undefined : toJson(value);
  return json === undefined || json === 'null' ? COPY_NULL : copyJsonText(json);
}
