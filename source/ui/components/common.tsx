// Pieces shared by the prompts: how a prompt ends, the keys every prompt knows (Esc, Ctrl-C),
// and the lines drawn while asking and after answering (the transcript).
import {Text, useStdin, type Key} from 'ink';
import {useEffect, useRef} from 'react';
import {hue} from '../colors.js';

/** How a prompt ended: an answer, Esc (go back) or Ctrl-C (cancel). */
export type Settled<T> = {kind: 'submit'; value: T} | {kind: 'back'} | {kind: 'cancel'};

export interface PromptCallbacks<T> {
  /** Called once with the answer, after the transcript line has been drawn. */
  onSubmit: (value: T) => void;
  /** Esc. */
  onBack: () => void;
  /** Ctrl-C. */
  onCancel: () => void;
}

/** Esc goes back, Ctrl-C cancels; every other key belongs to the prompt. */
export function controlKey(input: string, key: Key): 'back' | 'cancel' | undefined {
  if (key.ctrl && input === 'c') return 'cancel';
  if (key.escape) return 'back';
  return undefined;
}

/**
 * Tells the caller how the prompt ended, once. Runs as an effect, so the frame with the
 * transcript line is committed before the caller (and through it Ink's exit) hears of it.
 */
export function useSettle<T>(settled: Settled<T> | undefined, {onSubmit, onBack, onCancel}: PromptCallbacks<T>): void {
  const told = useRef(false);
  useEffect(() => {
    if (settled === undefined || told.current) return;
    told.current = true;
    if (settled.kind === 'submit') onSubmit(settled.value);
    else if (settled.kind === 'back') onBack();
    else onCancel();
  }, [settled, onSubmit, onBack, onCancel]);
}

/**
 * Whether key handlers may be active. A stdin that is not a terminal reports isTTY as
 * undefined, not false, so the Boolean() matters: raw mode would throw.
 */
export function useCanRead(settled: unknown): boolean {
  const {isRawModeSupported} = useStdin();
  return Boolean(isRawModeSupported) && settled === undefined;
}

export function Question({message, suffix}: {message: string; suffix?: string}) {
  return (
    <Text>
      <Text color={hue('cyan')}>?</Text> <Text bold>{message}</Text>
      {suffix ? <Text dimColor> {suffix}</Text> : null}
    </Text>
  );
}

export function KeyHelp({text}: {text: string}) {
  return <Text dimColor>{text}</Text>;
}

export function ErrorLine({text}: {text: string}) {
  return <Text color={hue('red')}>✖ {text}</Text>;
}

/** The transcript line a prompt leaves behind: `✔ Question · answer`, or how it was left. */
export function Outcome<T>({message, settled, answer, notice}: {message: string; settled: Settled<T>; answer: string; notice?: string}) {
  if (settled.kind === 'back') {
    return (
      <Text dimColor>
        ↩ {message} · back
      </Text>
    );
  }
  if (settled.kind === 'cancel') {
    return (
      <Text>
        <Text color={hue('red')}>✖</Text> {message} <Text dimColor>· cancelled</Text>
      </Text>
    );
  }
  return (
    <Text>
      <Text color={hue('green')}>✔</Text> {message} <Text dimColor>·</Text> <Text color={hue('cyan')}>{answer}</Text>
      {notice ? <Text color={hue('yellow')}> ({notice})</Text> : null}
    </Text>
  );
}
