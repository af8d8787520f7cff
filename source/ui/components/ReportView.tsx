// The post-install report as an Ink screen: one block per host, one group per role, each item
// with its status, what was found, and (when it does not pass) what was expected and the fix.
// Presentational only: it renders the groups reportGroups() gives.
import {Box, Text} from 'ink';
import type {ReportGroup} from '../../report/render.js';
import type {ReportStatus} from '../../report/types.js';
import {hue} from '../colors.js';

const COLOR: Record<ReportStatus, string> = {pass: 'green', warn: 'yellow', fail: 'red'};
const LABEL: Record<ReportStatus, string> = {pass: 'PASS', warn: 'WARN', fail: 'FAIL'};

export function ReportView({title, groups, summary, failed}: {title: string; groups: ReportGroup[]; summary: string; failed: boolean}) {
  return (
    <Box flexDirection="column">
      <Text bold>{title}</Text>
      {groups.map(group => (
        <Box key={group.host} flexDirection="column" marginTop={1}>
          <Text bold color={hue('cyan')}>
            {group.heading}
          </Text>
          {group.error ? <Text color={hue('red')}>{group.error}</Text> : null}
          {group.sections.map(section => (
            <Box key={section.role} flexDirection="column" marginLeft={2}>
              <Text underline>{section.title}</Text>
              {section.items.map(item => (
                <Box key={`${item.id}`} flexDirection="column" marginLeft={2}>
                  <Text>
                    <Text color={hue(COLOR[item.status])} bold={item.status !== 'pass'}>
                      {LABEL[item.status]}
                    </Text>{' '}
                    {item.title}: {item.found}
                    <Text dimColor> [{item.id}]</Text>
                  </Text>
                  {item.status !== 'pass' ? (
                    <Box flexDirection="column" marginLeft={6}>
                      <Text dimColor>expected: {item.expected}</Text>
                      {item.fix ? <Text color={hue(COLOR[item.status])}>fix: {item.fix}</Text> : null}
                    </Box>
                  ) : null}
                </Box>
              ))}
            </Box>
          ))}
        </Box>
      ))}
      <Box marginTop={1}>
        <Text bold color={hue(failed ? 'red' : 'green')}>
          {summary}
        </Text>
      </Box>
    </Box>
  );
}
