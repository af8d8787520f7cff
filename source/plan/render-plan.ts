// Plain-text rendering of the plan: for `plan`, `--dry-run`, non-TTY output and logs.
import type {Plan} from './plan.js';

export function renderPlanText(plan: Plan): string {
  const lines: string[] = [];
  const v = plan.versionSet;
  lines.push(`Personium unit ${plan.unitUrl} (${plan.pattern})`);
  lines.push(`  cells:    ${plan.cellUrlExample}`);
  lines.push(`  versions: core ${v.core}, engine ${v.engine}, Elasticsearch ${v.elasticsearch}, Tomcat ${v.tomcat}, ActiveMQ ${v.activemq}`);
  lines.push('');
  for (const host of plan.hosts) {
    const address = host.privateAddress === host.address ? host.address : `${host.address}, private ${host.privateAddress}`;
    lines.push(`${host.name} (${address}): ${host.roles.join(', ')}`);
    host.steps.forEach((step, i) => lines.push(`  ${String(i + 1).padStart(2)}. [${step.phase}] ${step.title}`));
    if (host.services.length > 0) lines.push(`  services: ${host.services.join(', ')}`);
    if (host.ports.length > 0) {
      lines.push(`  ports:    ${host.ports.map(p => `${p.port} ${p.service} on ${p.bind} (${p.exposure})`).join('; ')}`);
    }
    if (host.files.length > 0) lines.push(`  files:    ${host.files.join(', ')}`);
    lines.push('');
  }
  lines.push('Start order (stop runs it backwards):');
  plan.bootOrder.forEach((group, i) => {
    lines.push(`  ${i + 1}. ${group.services.map(s => `${s.service}@${s.host}`).join(', ')}`);
  });
  lines.push('');
  lines.push('Certificates:');
  for (const cert of plan.certificates) lines.push(`  ${cert.label}: ${cert.names.join(', ')} (${cert.source})`);
  if (plan.dns.length > 0) {
    lines.push('');
    lines.push('DNS records that must exist:');
    for (const record of plan.dns) lines.push(`  ${record.name} ${record.type} ${record.value}`);
  }
  if (plan.extensions.length > 0 || plan.authPlugins.length > 0) {
    lines.push('');
    lines.push(`Extensions: ${plan.extensions.map(e => `${e.name} ${e.version}`).join(', ') || 'none'}`);
    lines.push(`Auth plugins: ${plan.authPlugins.join(', ') || 'none'}`);
  }
  if (plan.warnings.length > 0) {
    lines.push('');
    for (const warning of plan.warnings) lines.push(`warning: ${warning}`);
  }
  return lines.join('\n') + '\n';
}
