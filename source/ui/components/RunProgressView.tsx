// The live view of an install or add run: the steps that ended, one line each, stay above
// (Ink's Static); below, redrawn, one line per host with the step it runs now and for how long,
// its done/total, and the whole run's progress bar and elapsed time. Presentational only: it
// renders the RunSnapshot that source/executor/progress.ts keeps.
import {Box, Static, Text} from 'ink';
import {formatElapsed, progressBar, type HostProgress, type RunSnapshot} from '../../executor/progress.js';
import {formatSeconds} from '../../executor/render-run.js';
import type {StepStatus} from '../../executor/types.js';
import {hue} from '../colors.js';

/** A finished step, or a line of its own, as printed above the live part. */
export type RunLine =
  | {kind: 'step'; id: number; host: string; status: StepStatus; title: string; elapsedMs: number; changes: string[]; error?: {message: string; command?: string; outputTail?: string[]}}
  | {kind: 'text'; id: number; text: string};

const STATUS_COLOR: Record<StepStatus, string> = {ok: 'green', changed: 'yellow', failed: 'red', skipped: 'gray'};

function FinishedLine({line}: {line: RunLine}) {
  if (line.kind === 'text') return <Text>{line.text}</Text>;
  const detail = line.changes.length > 0 ? `: ${line.changes.join('; ')}` : '';
  return (
    <Box flexDirection="column">
      <Text>
        [{line.host}] <Text color={hue(STATUS_COLOR[line.status])}>{line.status.padEnd(7)}</Text> {line.title} <Text dimColor>({formatSeconds(line.elapsedMs)})</Text>
        <Text dimColor>{detail}</Text>
      </Text>
      {line.error ? (
        <Box flexDirection="column" marginLeft={6}>
          <Text color={hue('red')}>{line.error.message}</Text>
          {line.error.command ? <Text>command: {line.error.command}</Text> : null}
          {(line.error.outputTail ?? []).map((tail, i) => (
            <Text key={i} dimColor>
              | {tail}
            </Text>
          ))}
        </Box>
      ) : null}
    </Box>
  );
}

function HostLine({host, width, now}: {host: HostProgress; width: number; now: number}) {
  const count = `${host.done}/${host.total}`;
  const name = host.host.padEnd(width);
  if (host.current) {
    return (
      <Text wrap="truncate-end">
        <Text color={hue('cyan')}>{name}</Text> {count.padStart(5)} <Text color={hue('cyan')}>▸</Text> {host.current.title} <Text dimColor>{formatElapsed(now - host.current.since)}</Text>
        {host.lastLine ? <Text dimColor> · {host.lastLine}</Text> : null}
      </Text>
    );
  }
  const failed = host.counts.failed > 0;
  const finished = host.done >= host.total;
  const state = failed ? 'failed' : finished ? `done (${host.counts.changed} changed)` : 'waiting for other servers';
  return (
    <Text wrap="truncate-end">
      <Text color={hue('cyan')}>{name}</Text> {count.padStart(5)} <Text color={hue(failed ? 'red' : finished ? 'green' : 'gray')}>{state}</Text>
    </Text>
  );
}

export function RunProgressView({snapshot, lines}: {snapshot: RunSnapshot; lines: RunLine[]}) {
  const width = Math.max(...snapshot.hosts.map(h => h.host.length), 4);
  const checking = snapshot.phase === 'checking';
  return (
    <Box flexDirection="column">
      <Static items={lines}>{line => <FinishedLine key={line.id} line={line} />}</Static>
      {checking ? (
        <Text>
          <Text color={hue('cyan')}>▸</Text> Every step looks at once on every server (nothing is changed yet) <Text dimColor>{formatElapsed(snapshot.now - snapshot.phaseSince)}</Text>
        </Text>
      ) : (
        snapshot.hosts.map(host => <HostLine key={host.host} host={host} width={width} now={snapshot.now} />)
      )}
      <Text>
        <Text color={hue('green')}>{progressBar(snapshot.done, snapshot.total)}</Text> {snapshot.done}/{snapshot.total} steps · {formatElapsed(snapshot.now - snapshot.startedAt)}
      </Text>
    </Box>
  );
}
