// The wizard's flow talks to the operator only through this interface. The Ink prompter
// renders each question; the tests use a scripted fake; non-interactive runs use none.

export interface Choice<T extends string> {
  value: T;
  label: string;
  /** One line saying what this choice means and what it needs. */
  hint?: string;
}

/** What a validator returns: the cleaned value, or a message shown inline before asking again. */
export type Validation<T> = {ok: true; value: T; notice?: string} | {ok: false; error: string};

export interface SelectQuestion<T extends string> {
  id: string;
  message: string;
  choices: Choice<T>[];
  initial?: T;
}

export interface MultiSelectQuestion<T extends string> {
  id: string;
  message: string;
  choices: Choice<T>[];
  initial?: T[];
}

export interface TextQuestion<T = string> {
  id: string;
  message: string;
  initial?: string;
  /** Placeholder shown dim when the input is empty. */
  placeholder?: string;
  /** Called on Enter; a failed result is shown inline and the question stays open. */
  validate: (input: string) => Validation<T>;
}

export interface SecretQuestion {
  id: string;
  message: string;
}

export interface ConfirmQuestion {
  id: string;
  message: string;
  initial?: boolean;
}

/** A secret the tool made, shown once and then taken off the screen. */
export interface RevealQuestion {
  id: string;
  /** What the secret is, e.g. "Unit admin password (account unitadmin)". */
  message: string;
  secret: string;
  /** Where it is kept, said once it is off the screen. */
  keptIn: string;
}

/** Thrown by a prompter when the operator presses Esc: the flow goes back one step. */
export class GoBack extends Error {
  constructor() {
    super('back');
    this.name = 'GoBack';
  }
}

/** Thrown when the operator cancels (Ctrl-C): nothing is written, exit code 130. */
export class Cancelled extends Error {
  constructor() {
    super('cancelled');
    this.name = 'Cancelled';
  }
}

export interface Prompter {
  select<T extends string>(question: SelectQuestion<T>): Promise<T>;
  multiSelect<T extends string>(question: MultiSelectQuestion<T>): Promise<T[]>;
  text<T = string>(question: TextQuestion<T>): Promise<T>;
  /** No echo; the value never reaches the screen history or a log. */
  secret(question: SecretQuestion): Promise<string>;
  confirm(question: ConfirmQuestion): Promise<boolean>;
  /** Shows a secret the tool made until the operator has noted it, then takes it off the screen (never into the screen history). */
  reveal(question: RevealQuestion): Promise<void>;
  /** A line of information between questions (notices, what records DNS needs, the plan). */
  note(text: string, tone?: 'info' | 'warning' | 'success' | 'error'): void;
}
