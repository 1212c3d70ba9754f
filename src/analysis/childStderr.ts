/**
 * What a child process wrote to stderr, kept for the message when it dies before reporting. Node's
 * own crash reports (a failed internal check, a fatal V8 error, an uncaught C++ exception) put the
 * reason first and a native backtrace of 20–40 numbered frames after it, so the last lines of the
 * output alone were addresses ("28: 0xd32ce1 [/usr/bin/node] | …") that say nothing. The start and
 * the end are kept, and the summary is the last lines that are not backtrace frames.
 */
const KEPT_CHARS = 4000;

/** A backtrace frame as node prints it (" 3: 0x7f… [/lib/…]") or V8's "#" framing lines. */
const FRAME = /^\s*(\d+: 0x[0-9a-f]+|-+ (Native|JavaScript) stack trace -+|#\s*$)/i;

export class ChildStderr {
  private head = '';
  private tail = '';
  private total = 0;

  add(text: string): void {
    if (this.head.length < KEPT_CHARS) this.head += text.slice(0, KEPT_CHARS - this.head.length);
    this.tail = (this.tail + text).slice(-KEPT_CHARS);
    this.total += text.length;
  }

  /** The last `count` lines that are not backtrace frames, joined with " | " ('' if there are none). */
  summary(count: number): string {
    // Past KEPT_CHARS the head ends and the tail starts mid-line: those cut pieces are dropped.
    const lines = (this.total <= KEPT_CHARS ? this.tail.split('\n') : [...this.head.split('\n').slice(0, -1), ...this.tail.split('\n').slice(1)])
      .map((line) => line.trim())
      .filter((line) => line !== '' && !FRAME.test(line));
    return [...new Set(lines)].slice(-count).join(' | ');
  }
}
