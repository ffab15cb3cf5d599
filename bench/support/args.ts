/** `--name value` options of a benchmark command line, as numbers, with defaults. */
export function numberOption(name: string, fallback: number): number {
  const argv = process.argv.slice(2);
  const index = argv.indexOf(`--${name}`);
  if (index === -1) return fallback;
  const value = Number(argv[index + 1]);
  if (!Number.isFinite(value) || value <= 0) {
    console.error(`--${name} needs a positive number, got ${JSON.stringify(argv[index + 1])}`);
    process.exit(2);
  }
  return value;
}

/** Whether a bare `--name` flag is present. */
export function flagOption(name: string): boolean {
  return process.argv.slice(2).includes(`--${name}`);
}

/** A `--name value` option as a string, with a default. */
export function stringOption(name: string, fallback: string): string {
  const argv = process.argv.slice(2);
  const index = argv.indexOf(`--${name}`);
  return index === -1 ? fallback : (argv[index + 1] ?? fallback);
}
