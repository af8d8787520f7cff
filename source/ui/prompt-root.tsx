// Runs one question as its own short Ink app and hands the answer back as a promise
// (Shopify's imperative prompt facade). The root holds how the prompt ended in state; its effect
// is the only place exit() is called, so the frame with the transcript line is committed first.
import {render, useApp} from 'ink';
import {useEffect, useMemo, useState, type ReactNode} from 'react';
import {Cancelled, GoBack} from '../profile/prompter.js';
import type {PromptCallbacks} from './components/common.js';
import {FitWidth} from './components/FitWidth.js';

export interface InkStreams {
  stdin?: NodeJS.ReadStream;
  stdout?: NodeJS.WriteStream;
  stderr?: NodeJS.WriteStream;
}

/** Boxed so an answer can never be mistaken by Ink for an error. */
interface Answer<T> {
  value: T;
}

type Ending<T> = {answer: Answer<T>} | {error: Error};

export function PromptRoot<T>({ask}: {ask: (callbacks: PromptCallbacks<T>) => ReactNode}) {
  const {exit} = useApp();
  const [ending, setEnding] = useState<Ending<T>>();
  useEffect(() => {
    if (ending) exit('error' in ending ? ending.error : ending.answer);
  }, [ending, exit]);
  const callbacks = useMemo(
    (): PromptCallbacks<T> => ({
      onSubmit: value => setEnding(e => e ?? {answer: {value}}),
      onBack: () => setEnding(e => e ?? {error: new GoBack()}),
      onCancel: () => setEnding(e => e ?? {error: new Cancelled()}),
    }),
    [],
  );
  return <FitWidth>{ask(callbacks)}</FitWidth>;
}

/**
 * Mounts the prompt, waits for it to end and unmounts it before returning, so the next
 * question can mount on the same streams. Rejects with GoBack (Esc) or Cancelled (Ctrl-C).
 */
export async function runPrompt<T>(ask: (callbacks: PromptCallbacks<T>) => ReactNode, streams: InkStreams = {}): Promise<T> {
  const instance = render(<PromptRoot<T> ask={ask} />, {
    stdin: streams.stdin ?? process.stdin,
    stdout: streams.stdout ?? process.stdout,
    stderr: streams.stderr ?? process.stderr,
    exitOnCtrlC: false,
    // Nothing else runs while a question is open (the flow awaits it), so there is no stray
    // console output to catch; and a patched console would outlive a failed mount.
    patchConsole: false,
  });
  try {
    const answer = (await instance.waitUntilExit()) as Answer<T>;
    return answer.value;
  } finally {
    instance.unmount();
    instance.cleanup();
  }
}
