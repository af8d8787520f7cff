// A scripted Prompter: answers are given in order as [question id, answer]. An answer may be
// GoBack/Cancelled (thrown) or a raw text run through the question's validator, so the flow
// sees exactly what it would from a person, including rejected inputs.
import {Cancelled, GoBack, type Prompter} from '../../source/profile/prompter.js';

export type Scripted = readonly [id: string, answer: unknown];

export class FakePrompter implements Prompter {
  readonly asked: string[] = [];
  readonly notes: Array<{text: string; tone?: string}> = [];
  readonly rejected: Array<{id: string; error: string}> = [];

  constructor(private readonly script: Scripted[]) {}

  private next(id: string): unknown {
    this.asked.push(id);
    const entry = this.script.shift();
    if (!entry) throw new Error(`FakePrompter: no answer scripted for "${id}" (asked so far: ${this.asked.join(', ')})`);
    const [expected, answer] = entry;
    if (expected !== id) throw new Error(`FakePrompter: expected question "${expected}" but "${id}" was asked`);
    if (answer === GoBack) throw new GoBack();
    if (answer === Cancelled) throw new Cancelled();
    return answer;
  }

  get remaining(): number {
    return this.script.length;
  }

  async select<T extends string>(q: {id: string; choices: Array<{value: T}>}): Promise<T> {
    const answer = this.next(q.id) as T;
    if (!q.choices.some(c => c.value === answer)) throw new Error(`FakePrompter: "${answer}" is not a choice of ${q.id}`);
    return answer;
  }

  async multiSelect<T extends string>(q: {id: string}): Promise<T[]> {
    return this.next(q.id) as T[];
  }

  async text<T>(q: {id: string; validate: (input: string) => {ok: true; value: T} | {ok: false; error: string}}): Promise<T> {
    // Rejected inputs are asked again, as the Ink prompt does.
    for (;;) {
      const input = this.next(q.id);
      const result = q.validate(String(input));
      if (result.ok) return result.value;
      this.rejected.push({id: q.id, error: result.error});
    }
  }

  async secret(q: {id: string}): Promise<string> {
    return String(this.next(q.id));
  }

  async confirm(q: {id: string}): Promise<boolean> {
    return Boolean(this.next(q.id));
  }

  async reveal(): Promise<void> {}

  note(text: string, tone?: string): void {
    this.notes.push({text, tone});
  }
}

export {GoBack, Cancelled};
