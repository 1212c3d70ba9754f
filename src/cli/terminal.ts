/**
 * Text from files (tensor and layer names, op types, warnings that quote them, .npy headers) reaches
 * the terminal through the CLI. A name can hold escape sequences that retitle the window, clear the
 * screen or rewrite earlier lines, so every control character is shown escaped instead of obeyed.
 */

// C0 controls except TAB and LF, DEL, C1 controls (8-bit CSI/OSC), and the bidirectional overrides
// and isolates that reorder how a line reads ("Trojan Source").
const UNSAFE = /[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

/** `text` with every character a terminal would act on written as a visible \xNN / \uNNNN escape. */
export function terminalSafe(text: string): string {
  return text.replace(UNSAFE, (c) => {
    const code = c.charCodeAt(0);
    return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
  });
}

