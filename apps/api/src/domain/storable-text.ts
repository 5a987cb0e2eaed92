/**
 * Postgres stores no NUL character (U+0000) in text or jsonb. A worker's diagnostics (log lines, progress phases,
 * failure messages, device names) carry whatever the trainer, a dataset or an exception put in them; losing the run
 * over one such character would be worse than showing U+FFFD where it was. Names and other input a user chooses are
 * refused instead (errors.ts, nulCharacterError).
 */
export function storableText(text: string): string {
  return text.includes("\u0000") ? text.replaceAll("\u0000", "\uFFFD") : text;
}
