// The Prompter the wizard flow uses in a terminal: each question is one short-lived Ink app
// (mounted, answered, unmounted before the next); notes and the plan are printed as plain
// frames between questions, with no Ink app left mounted.
import {renderToString, Text} from 'ink';
import type {ConfirmQuestion, MultiSelectQuestion, Prompter, RevealQuestion, SecretQuestion, SelectQuestion, TextQuestion} from '../profile/prompter.js';
import {toneColor, toneMark, type Tone} from './colors.js';
import {drawWidth} from './draw-width.js';
import {ConfirmPrompt} from './components/ConfirmPrompt.js';
import {MultiSelectPrompt} from './components/MultiSelectPrompt.js';
import {PlanView, type PlanViewData} from './components/PlanView.js';
import {RevealPrompt} from './components/RevealPrompt.js';
import {SecretPrompt} from './components/SecretPrompt.js';
import {SelectPrompt} from './components/SelectPrompt.js';
import {TextPrompt} from './components/TextPrompt.js';
import {runPrompt, type InkStreams} from './prompt-root.js';

export type InkPrompterOptions = InkStreams;

export interface InkPrompter extends Prompter {
  /** Prints the plan as boxes per host. */
  showPlan(plan: PlanViewData): void;
}

function columnsOf(stdout: NodeJS.WriteStream): number {
  return drawWidth(stdout.columns);
}

function NoteLine({text, tone}: {text: string; tone: Tone}) {
  const color = toneColor(tone);
  return (
    <Text>
      <Text color={color}>{toneMark(tone)}</Text> <Text color={tone === 'info' ? undefined : color}>{text}</Text>
    </Text>
  );
}

/** A note as printed text (wrapped to the terminal width, ending in a newline). */
export function renderNote(text: string, tone: Tone = 'info', columns = 80): string {
  return renderToString(<NoteLine text={text} tone={tone} />, {columns}) + '\n';
}

/** The plan as printed text (boxes per host), ending in a newline. */
export function renderPlanView(plan: PlanViewData, columns = 80): string {
  return renderToString(<PlanView plan={plan} />, {columns}) + '\n';
}

/** Prints the plan view once; nothing stays mounted. */
export function showPlanView(plan: PlanViewData, options: {stdout?: NodeJS.WriteStream} = {}): void {
  const stdout = options.stdout ?? process.stdout;
  stdout.write(renderPlanView(plan, columnsOf(stdout)));
}

export function createInkPrompter(options: InkPrompterOptions = {}): InkPrompter {
  const stdin = options.stdin ?? process.stdin;
  const stdout = options.stdout ?? process.stdout;
  const streams: InkStreams = {stdin, stdout, stderr: options.stderr ?? process.stderr};

  // Questions run one after another even if asked together, so two Ink apps never share stdout.
  let queue: Promise<unknown> = Promise.resolve();
  let open = 0;

  function ask<T>(message: string, prompt: Parameters<typeof runPrompt<T>>[0]): Promise<T> {
    const job = async (): Promise<T> => {
      if (!stdin.isTTY) {
        throw new Error(`Cannot ask "${message}": input is not a terminal. Give the answer as a flag or in an answers file.`);
      }
      open++;
      try {
        return await runPrompt(prompt, streams);
      } finally {
        open--;
      }
    };
    const next = queue.catch(() => undefined).then(job);
    queue = next;
    return next;
  }

  /** Printed now between questions, or right after the open question ends. */
  function print(text: string): void {
    if (open === 0) stdout.write(text);
    else queue = queue.catch(() => undefined).then(() => void stdout.write(text));
  }

  return {
    select<T extends string>(q: SelectQuestion<T>): Promise<T> {
      return ask<T>(q.message, cb => <SelectPrompt<T> message={q.message} choices={q.choices} initial={q.initial} {...cb} />);
    },
    multiSelect<T extends string>(q: MultiSelectQuestion<T>): Promise<T[]> {
      return ask<T[]>(q.message, cb => <MultiSelectPrompt<T> message={q.message} choices={q.choices} initial={q.initial} {...cb} />);
    },
    text<T = string>(q: TextQuestion<T>): Promise<T> {
      return ask<T>(q.message, cb => (
        <TextPrompt<T> message={q.message} initial={q.initial} placeholder={q.placeholder} validate={q.validate} {...cb} />
      ));
    },
    secret(q: SecretQuestion): Promise<string> {
      return ask<string>(q.message, cb => <SecretPrompt message={q.message} {...cb} />);
    },
    confirm(q: ConfirmQuestion): Promise<boolean> {
      return ask<boolean>(q.message, cb => <ConfirmPrompt message={q.message} initial={q.initial} {...cb} />);
    },
    reveal(q: RevealQuestion): Promise<void> {
      return ask<void>(q.message, cb => <RevealPrompt message={q.message} secret={q.secret} keptIn={q.keptIn} {...cb} />);
    },
    note(text: string, tone: Tone = 'info'): void {
      print(renderNote(text, tone, columnsOf(stdout)));
    },
    showPlan(plan: PlanViewData): void {
      print(renderPlanView(plan, columnsOf(stdout)));
    },
  };
}
