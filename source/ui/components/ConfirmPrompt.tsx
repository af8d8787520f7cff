// Yes or no: y or n answers at once, Enter takes the default (no, unless the question says).
import {Box, useInput, type Key} from 'ink';
import {useCallback, useState} from 'react';
import {controlKey, KeyHelp, Outcome, Question, useCanRead, useSettle, type PromptCallbacks, type Settled} from './common.js';

export interface ConfirmPromptProps extends PromptCallbacks<boolean> {
  message: string;
  /** What Enter answers. Defaults to false. */
  initial?: boolean;
}

export function ConfirmPrompt({message, initial = false, ...callbacks}: ConfirmPromptProps) {
  const [settled, setSettled] = useState<Settled<boolean>>();
  const canRead = useCanRead(settled);
  useSettle(settled, callbacks);

  useInput(
    useCallback(
      (input: string, key: Key) => {
        const control = controlKey(input, key);
        let next: Settled<boolean> | undefined;
        if (control) next = {kind: control};
        else if (input === 'y' || input === 'Y') next = {kind: 'submit', value: true};
        else if (input === 'n' || input === 'N') next = {kind: 'submit', value: false};
        else if (key.return) next = {kind: 'submit', value: initial};
        if (next) setSettled(s => s ?? next);
      },
      [initial],
    ),
    {isActive: canRead},
  );

  if (settled) return <Outcome message={message} settled={settled} answer={settled.kind === 'submit' && settled.value ? 'yes' : 'no'} />;
  return (
    <Box flexDirection="column">
      <Question message={message} suffix={initial ? '(Y/n)' : '(y/N)'} />
      <KeyHelp text="y yes · n no · enter default · esc back" />
    </Box>
  );
}
