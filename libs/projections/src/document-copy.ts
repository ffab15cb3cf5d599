import type { CopyBinaryBuffer } from '#libs/sql/src/copy-binary';
import type { ColumnType } from './document-projector.js';

/**
 * One document row in COPY's binary format: `values` (of columns of `types`), then `docJson`
 * (the json document, already serialised), such that COPY stores exactly what the live upsert
 * would. The live path sends rows as JSON through json_to_recordset, which turns a JSON null (or
 * a missing key) into NULL, gives a json/jsonb column the value's JSON text, and gives any other
 * column a string's contents, or else the value's JSON text as written (`1e+21`, `true`,
 * `{"a":1}`), read by the column type's input function. So here: a text column gets strings as
 * they are, bigints as decimals (the live path's JSON writes them as strings), everything else
 * its JSON text; json and jsonb columns get the JSON text. A bigint, integer or boolean column
 * gets the binary value only when that text is the type's plain form (`-12`, `true`), which its
 * input function reads as exactly that value.
 *
 * A value with no such encoding (a string JSON cannot carry, such as a lone surrogate, which the
 * live path refuses; `' 7'`, `1.5` or `'yes'` in a bigint or boolean column, which the input
 * functions read or refuse in their own ways) writes nothing and returns false: the caller
 * writes that row through the live upsert, which accepts or refuses it as live would.
 *
 * `toJson` must be the live path's serialiser (bigints as decimal strings).
 *
 * Returns the document's mark in `copy` (CopyBinaryBuffer.textAt reads it back), or false.
 */
export function writeCopyRow(
  copy: CopyBinaryBuffer,
  values: readonly unknown[],
  types: readonly ColumnType[],
  toJson: (value: unknown) => string | undefined,
  docJson: string,
): number | false {
  // Encode every field before writing any, so that a row with no encoding writes nothing.
  const fields = scratch;
  for (let i = 0; i < values.length; i++) {
    const field = encode(values[i], types[i]!, toJson);
    if (field === undefined) return false;
    fields[i] = field;
  }
  copy.row(values.length + 1);
  for (let i = 0; i < values.length; i++) {
    const field = fields[i]!;
    if (field === null) copy.null();
    else
      switch (types[i]!) {
        case 'bigint':
          copy.int8(field as number | bigint);
          break;
        case 'integer':
          copy.int4(field as number);
          break;
        case 'boolean':
          copy.bool(field as boolean);
          break;
        case 'jsonb':
          copy.jsonb(field as string);
          break;
        default:
          copy.text(field as string);
      }
  }
  return copy.markedText(docJson);
}

/** A field: text (text, json or jsonb), int8 (a safe integer or a bigint), int4, bool, NULL. */
type Field = string | bigint | number | boolean | null;
const scratch: Field[] = [];

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
const INT32_MIN = -(2 ** 31);
const INT32_MAX = 2 ** 31 - 1;
const INTEGER = /^-?(?:0|[1-9][0-9]*)$/;

function encode(
  value: unknown,
  type: ColumnType,
  toJson: (value: unknown) => string | undefined,
): Field | undefined {
  switch (type) {
    case 'json':
    case 'jsonb': {
      const json = value === undefined ? undefined : toJson(value);
      return json === undefined || json === 'null' ? null : json;
    }
    case 'text':
      return columnText(value, toJson);
    case 'bigint': {
      if (typeof value === 'number' && Number.isSafeInteger(value)) return value;
      const n = integerOf(value, toJson);
      return n === null || n === undefined || (n >= INT64_MIN && n <= INT64_MAX) ? n : undefined;
    }
    case 'integer': {
      if (typeof value === 'number' && Number.isInteger(value) && value >= INT32_MIN && value <= INT32_MAX)
        return value;
      const n = integerOf(value, toJson);
      return n === null || n === undefined ? n : n >= INT32_MIN && n <= INT32_MAX ? Number(n) : undefined;
    }
    case 'boolean': {
      if (typeof value === 'boolean') return value;
      const text = columnText(value, toJson);
      if (text === null || text === undefined) return text;
      return text === 'true' ? true : text === 'false' ? false : undefined;
    }
  }
}

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** The text json_to_recordset gives a non-JSON column (null: NULL; undefined: none exact). */
function columnText(
  value: unknown,
  toJson: (value: unknown) => string | undefined,
): string | null | undefined {
  if (typeof value === 'string') return LONE_SURROGATE.test(value) ? undefined : value;
  if (typeof value === 'bigint') return value.toString();
  const json = value === undefined ? undefined : toJson(value);
  if (json === undefined || json === 'null') return null;
  // A value whose JSON is a string (a Date, anything with toJSON): the column gets its contents.
  return json.startsWith('"') ? columnText(JSON.parse(json) as string, toJson) : json;
}

/** The integer a column's text is the plain form of (null: NULL; undefined: not one). */
function integerOf(
  value: unknown,
  toJson: (value: unknown) => string | undefined,
): bigint | null | undefined {
  const text = columnText(value, toJson);
  if (text === null || text === undefined) return text;
  return INTEGER.test(text) ? BigInt(text) : undefined;
}
