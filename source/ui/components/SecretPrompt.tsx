// A secret (password, passphrase). Nothing about what is typed reaches the screen: not the
// characters, not their number, not even a change of frame. A fixed "(hidden)" marker stands in.
import {Box, Text, useInput, type Key} from 'ink';
import {useCallback, useReducer} from 'react';
import {controlKey, KeyHelp, Outcome, Question, useCanRead, useSettle, type PromptCallbacks, type Settled} from './common.js';
import {editLine, textBeforeEnter, type Line} from './line-editor.js';

export interface SecretPromptProps extends PromptCallbacks<string> {
  message: string;
}

interface State extends Line {
  settled?: Settled<string>;
}

function reduce(state: State, {input, key}: {input: string; key: Key}): State {
  if (state.settled) return state;
  const control = controlKey(input, key);
  if (control) return {...state, value: '', cursor: 0, settled: {kind: control}};
  const typed = textBeforeEnter(input);
  if (typed !== undefined) return reduce({...state, ...editLine(state, typed, key)}, {input: '\r', key: {...key, return: true}});
  if (key.return) return {value: '', cursor: 0, settled: {kind: 'submit', value: state.value}};
  // No cursor movement: with nothing shown, moving an invisible cursor would only confuse.
  if (key.leftArrow || key.rightArrow || key.home || key.end) return state;
  const line = editLine(state, input, key);
  return line ? {...state, ...line} : state;
}

export const HIDDEN = '(hidden)';

export function SecretPrompt({message, ...callbacks}: SecretPromptProps) {
  const [state, dispatch] = useReducer(reduce, {value: '', cursor: 0});
  const canRead = useCanRead(state.settled);
  useSettle(state.settled, callbacks);

  useInput(
    useCallback((input: string, key: Key) => dispatch({input, key}), []),
    {isActive: canRead},
  );

  if (state.settled) return <Outcome message={message} settled={state.settled} answer={HIDDEN} />;
  return (
    <Box flexDirection="column">
      <Box>
        <Question message={message} />
        <Text dimColor> › {HIDDEN}</Text>
      </Box>
      <KeyHelp text="typing is not shown · enter submit · esc back" />
    </Box>
  );
}
