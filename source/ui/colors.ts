// Colours for the Ink prompts. NO_COLOR (https://no-color.org) is honoured here: chalk, which
// Ink uses, only looks at FORCE_COLOR and the terminal, so every colour goes through hue().
export type Tone = 'info' | 'warning' | 'success' | 'error';

/** False when NO_COLOR is set to a non-empty value. Read on each call so a test can change it. */
export function colorsEnabled(env: NodeJS.ProcessEnv = process.env): boolean {
  const value = env['NO_COLOR'];
  return value === undefined || value === '';
}

/** The colour to pass to Ink's `color` prop, or undefined when colours are off. */
export function hue(color: string): string | undefined {
  return colorsEnabled() ? color : undefined;
}

const TONE_COLOR: Record<Tone, string> = {info: 'cyan', warning: 'yellow', success: 'green', error: 'red'};
const TONE_MARK: Record<Tone, string> = {info: 'ℹ', warning: '⚠', success: '✔', error: '✖'};

export function toneColor(tone: Tone): string | undefined {
  return hue(TONE_COLOR[tone]);
}

export function toneMark(tone: Tone): string {
  return TONE_MARK[tone];
}
