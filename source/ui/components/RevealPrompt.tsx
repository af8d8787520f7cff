// A secret the tool made (the unit admin password), shown once: on screen until the operator
// presses Enter, then taken off it, so it stays in neither the screen nor the scrollback. The
// line left behind says where the secret is kept.
import {Box, Text, useInput, type Key} from 'ink';
import {useCallback, useState} from 'react';
import {hue} from '../colors.js';
import {KeyHelp, Question, useCanRead, useSettle, type PromptCallbacks, type Settled} from './common.js';

export interface RevealPromptProps extends PromptCallbacks<void> {
  message: string;
  secret: string;
  /** Where the secret is kept, e.g. a 0600 file. */
  keptIn: string;
}

export function RevealPrompt({message, secret, keptIn, ...callbacks}: RevealPromptProps) {
  const [settled, setSettled] = useState<Settled<void>>();
  const canRead = useCanRead(settled);
  useSettle(settled, callbacks);

  useInput(
    useCallback((input: string, key: Key) => {
      // There is nothing to go back to or cancel: the secret exists. Every way out takes it off the screen.
      if (key.return || key.escape || (key.ctrl && input === 'c')) setSettled(s => s ?? {kind: 'submit', value: undefined});
    }, []),
    {isActive: canRead},
  );

  if (settled) {
    return (
      <Text>
        <Text color={hue('green')}>✔</Text> {message} <Text dimColor>· taken off the screen; kept in {keptIn}</Text>
      </Text>
    );
  }
  return (
    <Box flexDirection="column">
      <Question message={message} suffix="(shown once: note it now)" />
      <Box borderStyle="round" paddingX={1} alignSelf="flex-start">
        <Text bold>{secret}</Text>
      </Box>
      <KeyHelp text={`enter takes it off the screen · also kept in ${keptIn}`} />
    </Box>
  );
}
