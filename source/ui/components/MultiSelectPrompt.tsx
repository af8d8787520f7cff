// Several choices from a list: ↑/↓ or k/j move, space toggles, a toggles all, Enter submits.
import {Box, Text, useInput} from 'ink';
import {useCallback, useReducer} from 'react';
import type {Choice} from '../../profile/prompter.js';
import {hue} from '../colors.js';
import {controlKey, KeyHelp, Outcome, Question, useCanRead, useSettle, type PromptCallbacks, type Settled} from './common.js';
import {Pointer} from './SelectPrompt.js';

export interface MultiSelectPromptProps<T extends string> extends PromptCallbacks<T[]> {
  message: string;
  choices: Choice<T>[];
  /** Choices ticked at the start. */
  initial?: T[];
}

interface State {
  cursor: number;
  ticked: boolean[];
  settled?: Settled<number[]>;
}

type Action = {type: 'up'} | {type: 'down'} | {type: 'toggle'} | {type: 'all'} | {type: 'submit'} | {type: 'back'} | {type: 'cancel'};

function reduce(state: State, action: Action): State {
  if (state.settled) return state;
  const count = state.ticked.length;
  switch (action.type) {
    case 'up':
      return count === 0 ? state : {...state, cursor: (state.cursor - 1 + count) % count};
    case 'down':
      return count === 0 ? state : {...state, cursor: (state.cursor + 1) % count};
    case 'toggle':
      return count === 0 ? state : {...state, ticked: state.ticked.map((t, i) => (i === state.cursor ? !t : t))};
    case 'all': {
      const every = state.ticked.every(Boolean);
      return {...state, ticked: state.ticked.map(() => !every)};
    }
    case 'submit':
      return {...state, settled: {kind: 'submit', value: state.ticked.flatMap((t, i) => (t ? [i] : []))}};
    case 'back':
      return {...state, settled: {kind: 'back'}};
    case 'cancel':
      return {...state, settled: {kind: 'cancel'}};
  }
}

function actionFor(input: string, key: Parameters<typeof controlKey>[1]): Action | undefined {
  const control = controlKey(input, key);
  if (control) return {type: control};
  if (key.upArrow || input === 'k') return {type: 'up'};
  if (key.downArrow || input === 'j') return {type: 'down'};
  if (input === ' ') return {type: 'toggle'};
  if (input === 'a') return {type: 'all'};
  if (key.return) return {type: 'submit'};
  return undefined;
}

export function MultiSelectPrompt<T extends string>({message, choices, initial, ...callbacks}: MultiSelectPromptProps<T>) {
  const [state, dispatch] = useReducer(reduce, undefined, (): State => ({
    cursor: 0,
    ticked: choices.map(c => initial?.includes(c.value) ?? false),
  }));
  const canRead = useCanRead(state.settled);

  // Answers are the ticked choices' values, in the order the choices are listed.
  const settled: Settled<T[]> | undefined =
    state.settled?.kind === 'submit'
      ? {kind: 'submit', value: state.settled.value.flatMap(i => (choices[i] ? [choices[i].value] : []))}
      : state.settled;
  useSettle(settled, callbacks);

  useInput(
    useCallback((input, key) => {
      const action = actionFor(input, key);
      if (action) dispatch(action);
    }, []),
    {isActive: canRead},
  );

  if (settled) {
    const labels = settled.kind === 'submit' ? choices.filter(c => settled.value.includes(c.value)).map(c => c.label) : [];
    return <Outcome message={message} settled={settled} answer={labels.length > 0 ? labels.join(', ') : '(none)'} />;
  }
  return (
    <Box flexDirection="column">
      <Question message={message} />
      {choices.map((choice, i) => {
        const here = i === state.cursor;
        return (
          <Box key={choice.value}>
            <Pointer isSelected={here} />
            <Box flexDirection="column">
              <Text color={here ? hue('cyan') : undefined} bold={here}>
                {state.ticked[i] ? '[x]' : '[ ]'} {choice.label}
              </Text>
              {here && choice.hint ? <Text dimColor>{'    ' + choice.hint}</Text> : null}
            </Box>
          </Box>
        );
      })}
      <KeyHelp text="↑/↓ move · space toggle · a all · enter submit · esc back" />
    </Box>
  );
}
