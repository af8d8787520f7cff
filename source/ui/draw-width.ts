// Ink keeps the space a line was wrapped at, so a wrapped line can be one column wider than the
// width it was given. Drawn at the terminal's full width, such a line wraps once more on screen
// (and a live view's next frame erases one row too few). One column narrower, it never does.
// Plain TypeScript, so printing a report does not load Ink just for this.

/** The width to draw at on a terminal this many columns wide (80 when it does not say). */
export function drawWidth(columns: number | undefined): number {
  return Math.max(20, (columns || 80) - 1);
}
