// A line of text. Enter runs the question's validator: a failure is shown in red under the input
// and the question stays open with what was typed; a success may carry a notice, which is kept
// in the transcript line.
import {Box, Text, useInput, type Key} from 'ink';
import {useCallback, useReducer} from 'react';
import type {Validation} from '../../profile/prompter.js';
import {controlKey, ErrorLine, KeyHelp, Outcome, Question, useCanRead, useSettle, type PromptCallbacks, type Settled} from './common.js';
import {editLine, textBeforeEnter, type Line} from './line-editor.js';

export interface TextPromptProps<T> extends PromptCallbacks<T> {
  message: string;
  /** Text already in the input when the question opens. */
  initial?: string;
  /** Shown dim while the input is empty. */
  placeholder?: string;
  validate: (input: string) => Validation<T>;
}

interface Accepted<T> {
  value: T;
  typed: string;
  notice?: string;
}

interface State<T> extends Line {
  error?: string;
  settled?: Settled<Accepted<T>>;
}

interface KeyAction<T> {
  input: string;
  key: Key;
  validate: (input: string) => Validation<T>;
}

function reduce<T>(state: State<T>, {input, key, validate}: KeyAction<T>): State<T> {
  if (state.settled) return state;
  const control = controlKey(input, key);
  if (control) return {...state, settled: {kind: control}};
  const typed = textBeforeEnter(input);
  if (typed !== undefined) return reduce({...state, ...editLine(state, typed, key)}, {input: '\r', key: {...key, return: true}, validate});
  if (key.return) {
    const result = validate(state.value);
    if (!result.ok) return {...state, error: result.error};
    return {...state, error: undefined, settled: {kind: 'submit', value: {value: result.value, typed: state.value, notice: result.notice}}};
  }
  const line = editLine(state, input, key);
  // The error stays until the text changes, so it is still there to read while moving around.
  if (!line) return state;
  return line.value === state.value ? {...state, ...line} : {...line};
}

/** The input with a block cursor; dim placeholder when empty. */
function InputLine({value, cursor, placeholder}: Line & {placeholder?: string}) {
  if (value === '') {
    return (
      <Text>
        <Text inverse> </Text>
        {placeholder ? <Text dimColor>{placeholder}</Text> : null}
      </Text>
    );
  }
  return (
    <Text>
      {value.slice(0, cursor)}
      <Text inverse>{value[cursor] ?? ' '}</Text>
      {value.slice(cursor + 1)}
    </Text>
  );
}

export function TextPrompt<T = string>({message, initial, placeholder, validate, ...callbacks}: TextPromptProps<T>) {
  const [state, dispatch] = useReducer(reduce<T>, undefined, (): State<T> => ({value: initial ?? '', cursor: (initial ?? '').length}));
  const canRead = useCanRead(state.settled);
  const {onSubmit, onBack, onCancel} = callbacks;
  const settled: Settled<Accepted<T>> | undefined = state.settled;
  useSettle(settled, {onSubmit: useCallback((a: Accepted<T>) => onSubmit(a.value), [onSubmit]), onBack, onCancel});

  // The handler only forwards keys; all decisions happen in the reducer on the latest state,
  // so a key that reaches a handler from an earlier render is still applied correctly.
  useInput(
    useCallback((input: string, key: Key) => dispatch({input, key, validate}), [validate]),
    {isActive: canRead},
  );

  if (settled) {
    const typed = settled.kind === 'submit' ? settled.value.typed : '';
    return (
      <Outcome
        message={message}
        settled={settled}
        answer={typed === '' ? '(empty)' : typed}
        notice={settled.kind === 'submit' ? settled.value.notice : undefined}
      />
    );
  }
  return (
    <Box flexDirection="column">
      <Box>
        <Question message={message} />
        <Text> › </Text>
        <InputLine value={state.value} cursor={state.cursor} placeholder={placeholder} />
      </Box>
      {state.error ? <ErrorLine text={state.error} /> : null}
      <KeyHelp text="enter submit · esc back" />
    </Box>
  );
}
