/**
 * A connection URL as it may appear in logs and error messages: any password replaced by
 * `***`. Works on strings that do not parse as URLs too, since those are what errors quote.
 */
export function describeUrl(raw: string): string {
  try {
    const url = new URL(raw);
    if (url.password !== '') url.password = '***';
    return url.toString();
  } catch {
    return raw.replace(/(\/\/[^:/@]*:)[^@/]*@/, '$1***@');
  }
}
