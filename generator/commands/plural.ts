/** `1 session`, `3 sessions`: a count with its noun in the right number, for messages. */
export function plural(count: number, singular: string): string {
  return `${count} ${count === 1 ? singular : `${singular}s`}`;
}
