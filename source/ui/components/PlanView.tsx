// The plan, drawn: one box per host with its roles, its steps in order, services and ports,
// then the certificates and any warnings. Purely presentational: it draws what it is given.
import {Box, Text} from 'ink';
import type {ReactNode} from 'react';
import {hue} from '../colors.js';

/**
 * What the view reads from a plan. A structural subset of the plan builder's Plan, so a Plan
 * can be passed as it is and the view does not depend on how plans are made.
 */
export interface PlanViewData {
  unitUrl: string;
  pattern: string;
  hosts: Array<{
    name: string;
    address: string;
    privateAddress?: string;
    roles: readonly string[];
    steps: Array<{id: string; title: string}>;
    services: string[];
    ports: Array<{port: number; service: string; bind: string; exposure?: string}>;
    files: string[];
  }>;
  certificates: Array<{label: string; names: string[]; source: string}>;
  warnings: string[];
}

type HostView = PlanViewData['hosts'][number];

function Row({label, children}: {label: string; children: ReactNode}) {
  return (
    <Box>
      <Box width={10} flexShrink={0}>
        <Text dimColor>{label}</Text>
      </Box>
      <Box flexDirection="column" flexGrow={1}>
        {children}
      </Box>
    </Box>
  );
}

function HostBox({host}: {host: HostView}) {
  const address = host.privateAddress && host.privateAddress !== host.address ? `${host.address}, private ${host.privateAddress}` : host.address;
  const width = String(host.steps.length).length;
  return (
    <Box flexDirection="column" borderStyle="round" borderColor={hue('cyan')} paddingX={1}>
      <Text>
        <Text bold>{host.name}</Text> <Text dimColor>({address})</Text>
      </Text>
      <Row label="roles">
        <Text>{host.roles.length > 0 ? host.roles.join(', ') : '(none)'}</Text>
      </Row>
      <Row label="steps">
        {host.steps.map((step, i) => (
          <Box key={step.id}>
            <Box width={width + 2} flexShrink={0}>
              <Text dimColor>{String(i + 1).padStart(width)}.</Text>
            </Box>
            <Text>{step.title}</Text>
          </Box>
        ))}
      </Row>
      {host.services.length > 0 ? (
        <Row label="services">
          <Text>{host.services.join(', ')}</Text>
        </Row>
      ) : null}
      {host.ports.length > 0 ? (
        <Row label="ports">
          {host.ports.map(p => (
            <Text key={`${p.port}/${p.service}`}>
              {p.port} <Text dimColor>{p.service} on</Text> {p.bind}
              {p.exposure ? <Text dimColor> ({p.exposure})</Text> : null}
            </Text>
          ))}
        </Row>
      ) : null}
      {host.files.length > 0 ? (
        <Row label="files">
          <Text dimColor>{host.files.length === 1 ? '1 file' : `${host.files.length} files`} written</Text>
        </Row>
      ) : null}
    </Box>
  );
}

export function PlanView({plan}: {plan: PlanViewData}) {
  return (
    <Box flexDirection="column">
      <Text>
        <Text bold>Plan</Text> <Text dimColor>·</Text> <Text color={hue('cyan')}>{plan.unitUrl}</Text> <Text dimColor>({plan.pattern})</Text>
      </Text>
      {plan.hosts.map(host => (
        <HostBox key={host.name} host={host} />
      ))}
      {plan.certificates.length > 0 ? (
        <Box flexDirection="column">
          <Text bold>Certificates</Text>
          {plan.certificates.map(cert => (
            <Box key={cert.label} paddingLeft={2}>
              <Text>
                {cert.label}: {cert.names.join(', ')} <Text dimColor>({cert.source})</Text>
              </Text>
            </Box>
          ))}
        </Box>
      ) : null}
      {plan.warnings.map((warning, i) => (
        <Text key={i} color={hue('yellow')}>
          ⚠ {warning}
        </Text>
      ))}
    </Box>
  );
}
