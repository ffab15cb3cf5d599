import { UsageError } from './usage-error.js';

export type OptionSpec = Record<string, 'string' | 'boolean'>;
export type ParsedOptions<S extends OptionSpec> = {
  [K in keyof S]?: S[K] extends 'string' ? string : boolean;
};

/**
 * `--name value`, `--name=value` and `--flag` options after a command's words. Anything not in
 * the spec, a missing value or a stray word is a UsageError (one line, exit 2).
 */
export function parseOptions<S extends OptionSpec>(words: readonly string[], spec: S): ParsedOptions<S> {
  const options: Record<string, string | boolean> = {};
  for (let i = 0; i < words.length; i++) {
    const word = words[i]!;
    if (!word.startsWith('--')) throw new UsageError(`unexpected argument '${word}'`);
    const eq = word.indexOf('=');
    const name = word.slice(2, eq === -1 ? undefined : eq);
    const kind = Object.hasOwn(spec, name) ? spec[name] : undefined;
    if (!kind)
      throw new UsageError(
        `unknown option '--${name}' (known: ${Object.keys(spec)
          .map((k) => `--${k}`)
          .join(', ')})`,
      );
    if (kind === 'boolean') {
      if (eq !== -1) throw new UsageError(`option '--${name}' takes no value`);
      options[name] = true;
      continue;
    }
    const value = eq !== -1 ? word.slice(eq + 1) : words[++i];
    if (value === undefined || value === '' || (eq === -1 && value.startsWith('--')))
      throw new UsageError(`option '--${name}' needs a value`);
    options[name] = value;
  }
  return options as ParsedOptions<S>;
}

/** A required string option. */
export function required(value: string | undefined, name: string): string {
  if (value === undefined) throw new UsageError(`missing --${name}`);
  return value;
}
