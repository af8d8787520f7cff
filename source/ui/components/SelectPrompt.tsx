// One choice from a list, on ink-select-input: ↑/↓ or k/j move, Enter picks, a digit 1–9 picks
// at once. The highlighted choice shows its hint on the line below.
import {Box, Text, useInput} from 'ink';
import SelectInput from 'ink-select-input';
import {useCallback, useMemo, useState} from 'react';
import type {Choice} from '../../profile/prompter.js';
import {hue} from '../colors.js';
import {controlKey, KeyHelp, Outcome, Question, useCanRead, useSettle, type PromptCallbacks, type Settled} from './common.js';

export interface SelectPromptProps<T extends string> extends PromptCallbacks<T> {
  message: string;
  choices: Choice<T>[];
  /** The choice highlighted first. */
  initial?: T;
}

interface ChoiceItem<T extends string> {
  key?: string;
  label: string;
  value: T;
  hint?: string;
}

export function Pointer({isSelected = false}: {isSelected?: boolean}) {
  return <Box marginRight={1}>{isSelected ? <Text color={hue('cyan')}>❯</Text> : <Text> </Text>}</Box>;
}

// ink-select-input hands the whole item (hint included) to the item component.
function ChoiceRow({isSelected = false, label, hint}: {isSelected?: boolean; label: string; hint?: string}) {
  return (
    <Box flexDirection="column">
      <Text color={isSelected ? hue('cyan') : undefined} bold={isSelected}>
        {label}
      </Text>
      {isSelected && hint ? <Text dimColor>{hint}</Text> : null}
    </Box>
  );
}

export function SelectPrompt<T extends string>({message, choices, initial, ...callbacks}: SelectPromptProps<T>) {
  const [settled, setSettled] = useState<Settled<T>>();
  const canRead = useCanRead(settled);
  useSettle(settled, callbacks);

  const items = useMemo(
    () => choices.map((c): ChoiceItem<T> => ({key: c.value, label: c.label, value: c.value, hint: c.hint})),
    [choices],
  );
  const initialIndex = Math.max(0, initial === undefined ? 0 : choices.findIndex(c => c.value === initial));

  const onSelect = useCallback((item: {value: T} | undefined) => {
    if (item) setSettled(s => s ?? {kind: 'submit', value: item.value});
  }, []);
  useInput(
    useCallback((input, key) => {
      const control = controlKey(input, key);
      if (control) setSettled(s => s ?? {kind: control});
    }, []),
    {isActive: canRead},
  );

  if (settled) {
    const label = settled.kind === 'submit' ? (choices.find(c => c.value === settled.value)?.label ?? settled.value) : '';
    return <Outcome message={message} settled={settled} answer={label} />;
  }
  return (
    <Box flexDirection="column">
      <Question message={message} />
      <SelectInput<T>
        items={items}
        initialIndex={initialIndex}
        isFocused={canRead}
        indicatorComponent={Pointer}
        itemComponent={ChoiceRow}
        onSelect={onSelect}
      />
      <KeyHelp text="↑/↓ move · enter select · esc back" />
    </Box>
  );
}
