// The live view of a run in a terminal: an Ink app drawing RunProgressView from the run's events,
// redrawn every second so elapsed times move, taken down around questions to the operator (a
// prompt is an Ink app of its own) and at the end, when only the finished steps stay on screen.
import {render, type Instance} from 'ink';
import {RunProgress, type RunPhase} from '../executor/progress.js';
import type {RunView} from '../executor/render-run.js';
import type {RunEvent, StepDefinition} from '../executor/types.js';
import {FitWidth} from './components/FitWidth.js';
import {RunProgressView, type RunLine} from './components/RunProgressView.js';

// Ink draws at most 30 frames a second; a frame still pending when the app is taken down would
// be drawn after the clearing, so the last frame is given this long to land.
const SETTLE_MS = 60;

export interface LiveRunOptions {
  stdout?: NodeJS.WriteStream;
  stderr?: NodeJS.WriteStream;
  stdin?: NodeJS.ReadStream;
  /** How often elapsed times are redrawn. */
  tickMs?: number;
}

export interface LiveRunView extends RunView {
  pause(): Promise<void>;
  close(): Promise<void>;
}

export function liveRunView(steps: ReadonlyArray<Pick<StepDefinition, 'key' | 'host'>>, options: LiveRunOptions = {}): LiveRunView {
  const stdout = options.stdout ?? process.stdout;
  const progress = new RunProgress(steps, Date.now());
  const lines: RunLine[] = [];
  // Lines an earlier Ink app of this view already printed (each mount prints only newer ones).
  let printed = 0;
  let instance: Instance | undefined;
  let timer: NodeJS.Timeout | undefined;
  let paused = false;
  let closed = false;
  let started = false;

  const frame = () => (
    <FitWidth>
      <RunProgressView snapshot={progress.snapshot(Date.now())} lines={lines.slice(printed)} />
    </FitWidth>
  );
  const draw = () => instance?.rerender(frame());
  const mount = () => {
    if (instance || paused || closed || !started) return;
    instance = render(frame(), {stdout, stderr: options.stderr ?? process.stderr, stdin: options.stdin ?? process.stdin, patchConsole: false, exitOnCtrlC: false});
    timer = setInterval(draw, options.tickMs ?? 1000);
    timer.unref();
  };
  const takeDown = async () => {
    if (!instance) return;
    clearInterval(timer);
    draw();
    await new Promise(resolve => setTimeout(resolve, SETTLE_MS));
    instance.clear();
    instance.unmount();
    instance = undefined;
    printed = lines.length;
  };

  return {
    get live() {
      return instance !== undefined;
    },
    phase(phase: RunPhase) {
      progress.phase(phase, Date.now());
      started = true;
      mount();
      draw();
    },
    event(event: RunEvent) {
      progress.event(event);
      if (event.type === 'step-end') lines.push({kind: 'step', id: lines.length, event});
      if (!started) {
        started = true;
        mount();
      }
      draw();
    },
    line(text: string) {
      if (!instance) {
        stdout.write(`${text}\n`);
        return;
      }
      lines.push({kind: 'text', id: lines.length, text});
      draw();
    },
    async pause() {
      paused = true;
      await takeDown();
    },
    resume() {
      paused = false;
      mount();
    },
    async close() {
      closed = true;
      await takeDown();
    },
  };
}
