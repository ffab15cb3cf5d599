import { COPY_NULL, copyJsonText, copyText } from '#libs/sql/src/copy-text';
import type { ColumnType } from './document-projector.js';

/**
 * Columns of one document row as COPY text (tab-separated, no line end), such that COPY stores
 * exactly what the live upsert would. The live path sends rows as JSON through
 * json_to_recordset, which turns a JSON null (or a missing key) into NULL, gives a json/jsonb
 * column the value's JSON text, and gives any other column a string's contents, or else the
 * value's JSON text as written (`1e+21`, `true`, `{"a":1}`), read by the column type's input
 * function. So here: strings as they are, bigints as decimals (the live path's JSON writes them
 * as strings), everything else as its JSON text. A string JSON cannot carry (a lone surrogate,
 * which the live path refuses) has no COPY text: the function then returns undefined, and the
 * caller writes that row through the live upsert.
 *
 * `toJson` must be the live path's serialiser (bigints as decimal strings).
 */
export function copyFieldsOf(
  values: readonly unknown[],
  types: readonly ColumnType[],
  toJson: (value: unknown) => string | undefined,
): string | undefined {
  let fields = '';
  for (let i = 0; i < values.length; i++) {
    const type = types[i]!;
    const text =
      type === 'json' || type === 'jsonb' ? jsonColumn(values[i], toJson) : column(values[i], toJson);
    if (text === undefined) return undefined;
    fields += i === 0 ? text : `\t${text}`;
  }
  return fields;
}

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

function column(value: unknown, toJson: (value: unknown) => string | undefined): string | undefined {
  if (typeof value === 'string') return LONE_SURROGATE.test(value) ? undefined : copyText(value);
  if (typeof value === 'bigint') return value.toString();
  const json = value === undefined ? undefined : toJson(value);
  if (json === undefined || json === 'null') return COPY_NULL;
  // A value whose JSON is a string (a Date, anything with toJSON): the column gets its contents.
  return json.startsWith('"') ? column(JSON.parse(json) as string, toJson) : copyText(json);
}

function jsonColumn(value: unknown, toJson: (value: unknown) => string | undefined): string {
  const json = value === undefined ? undefined : toJson(value);
  return json === undefined || json === 'null' ? COPY_NULL : copyJsonText(json);
}
