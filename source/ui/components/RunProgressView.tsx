// The live view of an install or add run: the steps that ended, one line each, stay above
// (Ink's Static); below, redrawn, one line per host with the step it runs now and for how long,
// its done/total, and the whole run's progress bar and elapsed time. Presentational only: it
// renders the RunSnapshot that source/executor/progress.ts keeps.
import {Box, Static, Text} from 'ink';
import {formatElapsed, progressBar, type HostProgress, type RunSnapshot} from '../../executor/progress.js';
import {failureLines, stepSummary, type StepEndEvent} from '../../executor/render-run.js';
import type {StepStatus} from '../../executor/types.js';
import {hue} from '../colors.js';

/** A finished step, or a line of its own, as printed above the live part. */
export type RunLine = {kind: 'step'; id: number; event: StepEndEvent} | {kind: 'text'; id: number; text: string};

const STATUS_COLOR: Record<StepStatus, string> = {ok: 'green', changed: 'yellow', failed: 'red', skipped: 'gray'};

function FinishedLine({line}: {line: RunLine}) {
  if (line.kind === 'text') return <Text>{line.text}</Text>;
  const {event} = line;
  // The plain line's words (stepSummary, failureLines), with the status in colour.
  const [message, ...rest] = event.error ? failureLines(event.error) : [];
  return (
    <Box flexDirection="column">
      <Text>
        [{event.host}] <Text color={hue(STATUS_COLOR[event.status])}>{event.status.padEnd(7)}</Text> {stepSummary(event)}
      </Text>
      {message ? (
        <Box flexDirection="column" marginLeft={6}>
          <Text color={hue('red')}>{message}</Text>
          {rest.map((text, i) => (
            <Text key={i} dimColor={text.startsWith('|')}>
              {text}
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
