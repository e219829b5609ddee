/**
 * Shortening long text without losing what an investigator reads it for: a change's diff lines,
 * a multi-line error's exception and innermost frames. Pure, so they are unit-tested.
 */

const ELLIPSIS = '\n…\n';

/** A unified diff's changed line (`-old`, `+new`), not its `---`/`+++` file headers. */
const isChangedLine = (line: string) => /^[+-](?![+-]{2}\s)/.test(line) && line.trim().length > 1;

/**
 * Event text cut to `max` characters, keeping every changed line of a diff it carries: the
 * prose head fills what the changed lines leave, since "what changed" is the point of a change event.
 */
export function keepChangedLines(text: string, max: number): string {
  if (text.length <= max) return text;
  const changed = text
    .split('\n')
    .filter(isChangedLine)
    .join('\n')
    .slice(0, Math.floor(max / 2));
  if (!changed) return text.slice(0, max);
  const head = max - changed.length - ELLIPSIS.length;
  return head > 0 ? `${text.slice(0, head)}${ELLIPSIS}${changed}` : changed.slice(0, max);
}

// The line that names what went wrong: `ValueError: …`, `java.io.IOException: …`, `Caused by: …`, `panic: …`.
const EXCEPTION_LINE = /^\s*(Caused by:|panic:|[\w.$]*(Error|Exception|Exit|Fault|Failure)\b[\w.$]*:?)/;

/**
 * A multi-line message (a stack trace) cut to `max` characters: its first line, its exception
 * lines, then as many of its last lines as fit, since the innermost frames and the exception are
 * at the end of a Python trace and named by `Caused by:` in a Java one. One-line messages are cut.
 */
export function condenseMultiline(message: string, max: number): string {
  if (message.length <= max) return message;
  const lines = message.split('\n');
  if (lines.length < 3) return message.slice(0, max);
  const keep = new Set<number>([0, ...lines.flatMap((l, i) => (i > 0 && EXCEPTION_LINE.test(l) ? [i] : []))]);
  const length = () => [...keep].reduce((n, i) => n + lines[i]!.length + 1, ELLIPSIS.length);
  for (let i = lines.length - 1; i > 0 && length() + lines[i]!.length < max; i--) keep.add(i);
  const kept = [...keep].sort((a, b) => a - b);
  const text = kept.map((i, k) => (k > 0 && i !== kept[k - 1]! + 1 ? `…\n${lines[i]}` : lines[i])).join('\n');
  return text.slice(0, max);
}
