// Preflight results as a table: one row per host, one column per kind of check, then the
// problems with their fix hints. Only renders the data preflightTable() and problemLines() give.
import {Box, Text} from 'ink';
import type {PreflightTable as TableData} from '../../preflight/render.js';
import {hue} from '../colors.js';

const COLOR = {pass: 'green', warn: 'yellow', fail: 'red'} as const;

export function PreflightTable({table, problems, summary}: {table: TableData; problems: string[]; summary: string}) {
  const hostWidth = Math.max(4, ...table.rows.map(r => r.host.length)) + 2;
  const widths = table.columns.map(c => Math.max(c.title.length, ...table.rows.map(r => r.cells.find(x => x.kind === c.kind)?.text.length ?? 1)) + 2);
  return (
    <Box flexDirection="column">
      <Box>
        <Box width={hostWidth}>
          <Text bold>HOST</Text>
        </Box>
        {table.columns.map((c, i) => (
          <Box key={c.kind} width={widths[i]}>
            <Text bold>{c.title}</Text>
          </Box>
        ))}
      </Box>
      {table.rows.map(row => (
        <Box key={row.host}>
          <Box width={hostWidth}>
            <Text>{row.host}</Text>
          </Box>
          {row.cells.map((cell, i) => (
            <Box key={cell.kind} width={widths[i]}>
              <Text color={cell.status ? hue(COLOR[cell.status]) : undefined} dimColor={!cell.status}>
                {cell.text}
              </Text>
            </Box>
          ))}
        </Box>
      ))}
      {problems.length > 0 && (
        <Box flexDirection="column" marginTop={1}>
          {problems.map((line, i) => {
            // An indented line (a fix hint) keeps its indent when it wraps.
            const indent = /^ */.exec(line)![0].length;
            return (
              <Box key={i} paddingLeft={indent}>
                <Text color={line.includes('[ERROR') ? hue('red') : line.includes('[WARNING') ? hue('yellow') : undefined}>{line.slice(indent)}</Text>
              </Box>
            );
          })}
        </Box>
      )}
      <Box marginTop={1}>
        <Text bold>{summary}</Text>
      </Box>
    </Box>
  );
}
