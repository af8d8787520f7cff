// After the summary: run preflight, show it, and let the operator fix things and try again,
// go on with the remaining errors ignored (they stay in the results as warnings), or stop.
import type {PreflightResult} from '../preflight/types.js';
import type {Prompter} from '../profile/prompter.js';

export type PreflightOutcome = {go: true; ignore: string[]} | {go: false};

export async function preflightLoop(
  p: Prompter,
  run: (ignore: string[]) => Promise<PreflightResult>,
  show: (result: PreflightResult) => void,
): Promise<PreflightOutcome> {
  let ignore: string[] = [];
  for (;;) {
    const result = await run(ignore);
    show(result);
    const failing = result.results.filter(r => r.status === 'fail');
    if (failing.length === 0) {
      p.note('Preflight passed.', 'success');
      return {go: true, ignore};
    }
    const ids = [...new Set(failing.map(r => r.id))];
    const choice = await p.select<'retry' | 'ignore' | 'stop'>({
      id: 'preflight.next',
      message: `${failing.length} preflight error(s): ${ids.join(', ')}`,
      choices: [
        {value: 'retry', label: 'Try again', hint: 'after fixing what the hints say, on the servers or here'},
        {value: 'ignore', label: 'Go on anyway', hint: `treat ${ids.join(', ')} as warnings (--ignore-preflight-errors=${ids.join(',')})`},
        {value: 'stop', label: 'Stop here', hint: 'the profile is saved; run personium-setup preflight later'},
      ],
    });
    if (choice === 'stop') return {go: false};
    if (choice === 'ignore') ignore = [...new Set([...ignore, ...ids])];
  }
}
