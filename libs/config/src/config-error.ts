/**
 * A configuration value or combination Coffer cannot start with. The message is one line
 * that tells the operator what to change; main.ts prints it without a stack trace.
 */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}
