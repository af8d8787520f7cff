// systemd units. Boot order is encoded with After=/Wants= on the services that run on the same
// host (memcached, Elasticsearch, ActiveMQ before Tomcat); readiness across hosts is waited for by
// the tool, not by a sleep. Every unit raises LimitNOFILE to 65536.
import {PATHS} from '../../plan/paths.js';
import {ACTIVEMQ_HEAP_MB} from '../../profile/memory.js';
import {SERVICES} from '../../plan/plan.js';
import {PORTS, need, type UnitContext} from './context.js';

export type UnitKind = 'elasticsearch' | 'activemq' | 'tomcat' | 'memcached-lock' | 'memcached-cache';

/** The unit name (without .service) each kind is installed as. */
export function unitName(kind: UnitKind): string {
  switch (kind) {
    case 'elasticsearch':
      return SERVICES.elasticsearch;
    case 'activemq':
      return SERVICES.activemq;
    case 'tomcat':
      return SERVICES.tomcat;
    case 'memcached-lock':
      return SERVICES.memcachedLock;
    case 'memcached-cache':
      return SERVICES.memcachedCache;
  }
}

/** Where the unit file goes. */
export function unitPath(kind: UnitKind): string {
  if (kind === 'memcached-lock') return PATHS.memcachedUnit('lock');
  if (kind === 'memcached-cache') return PATHS.memcachedUnit('cache');
  return PATHS.unitFile(unitName(kind));
}

export const MEMCACHED_BINARY = '/usr/bin/memcached';

const safeValue = (value: string, what: string) => {
  if (!/^[A-Za-z0-9._/+:@-]+$/.test(value)) throw new Error(`unsafe ${what} for a unit file: ${JSON.stringify(value)}`);
  return value;
};

interface UnitParts {
  description: string;
  after: string[];
  wants: string[];
  requiresMountsFor?: string[];
  service: string[];
}

function unitText(parts: UnitParts): string {
  const lines = ['# Managed by personium-setup. Edits are replaced on the next run.', '[Unit]', `Description=${parts.description}`];
  if (parts.after.length > 0) lines.push(`After=${parts.after.join(' ')}`);
  if (parts.wants.length > 0) lines.push(`Wants=${parts.wants.join(' ')}`);
  if (parts.requiresMountsFor && parts.requiresMountsFor.length > 0) lines.push(`RequiresMountsFor=${parts.requiresMountsFor.join(' ')}`);
  lines.push('', '[Service]', ...parts.service, 'LimitNOFILE=65536', '', '[Install]', 'WantedBy=multi-user.target');
  return `${lines.join('\n')}\n`;
}

export function renderUnitFile(kind: UnitKind, ctx: UnitContext): string {
  const javaHome = safeValue(ctx.javaHome, 'JAVA_HOME');
  switch (kind) {
    case 'elasticsearch': {
      const service = [
        'Type=simple',
        `User=${safeValue(ctx.users.elasticsearch, 'user')}`,
        `Group=${safeValue(ctx.users.elasticsearch, 'group')}`,
        `Environment=ES_HOME=${PATHS.esHome}`,
        `Environment=ES_PATH_CONF=${PATHS.esConfigDir}`,
      ];
      // ES 7 runs on the JDK bundled in its tarball; ES 6 has none and uses the system JDK 17.
      if (ctx.versions.esMajor < 7) service.push(`Environment=JAVA_HOME=${javaHome}`);
      service.push(
        `WorkingDirectory=${PATHS.esHome}`,
        `ExecStart=${PATHS.esHome}/bin/elasticsearch`,
        'PrivateTmp=true',
        'LimitNPROC=4096',
        'LimitAS=infinity',
        'LimitFSIZE=infinity',
        'LimitMEMLOCK=infinity',
        // ES exits with 143 on SIGTERM; give it time to flush instead of killing it.
        'KillSignal=SIGTERM',
        'SendSIGKILL=no',
        'SuccessExitStatus=143',
        'TimeoutStopSec=180',
        'Restart=on-failure',
        'RestartSec=10',
      );
      return unitText({
        description: `Elasticsearch ${ctx.versions.elasticsearch} for Personium`,
        after: ['network-online.target'],
        wants: ['network-online.target'],
        service,
      });
    }
    case 'activemq':
      return unitText({
        description: 'ActiveMQ broker for Personium (OpenWire)',
        after: ['network-online.target'],
        wants: ['network-online.target'],
        service: [
          // "console" keeps the broker in the foreground, so systemd tracks it without a PID file.
          'Type=simple',
          `User=${safeValue(ctx.users.activemq, 'user')}`,
          `Group=${safeValue(ctx.users.activemq, 'group')}`,
          `Environment=JAVA_HOME=${javaHome}`,
          `Environment=ACTIVEMQ_HOME=${PATHS.activemqHome}`,
          // bin/env keeps ACTIVEMQ_OPTS when set: its stock 1 GB heap becomes the memory plan's, the rest as bin/env has it.
          `Environment="ACTIVEMQ_OPTS=-Xms64m -Xmx${ACTIVEMQ_HEAP_MB}m -Djava.util.logging.config.file=logging.properties -Djava.security.auth.login.config=${PATHS.activemqHome}/conf/login.config"`,
          `WorkingDirectory=${PATHS.activemqHome}`,
          `ExecStart=${PATHS.activemqHome}/bin/activemq console`,
          'SuccessExitStatus=143',
          'TimeoutStopSec=120',
          'Restart=on-failure',
          'RestartSec=10',
        ],
      });
    case 'tomcat': {
      const before: string[] = [];
      if (ctx.local.memcached) before.push(`${SERVICES.memcachedLock}.service`, `${SERVICES.memcachedCache}.service`);
      if (ctx.local.es) before.push(`${SERVICES.elasticsearch}.service`);
      if (ctx.local.mq) before.push(`${SERVICES.activemq}.service`);
      return unitText({
        description: `Tomcat for Personium core ${ctx.versions.core} and engine ${ctx.versions.engine}`,
        after: ['network-online.target', 'remote-fs.target', ...before],
        wants: ['network-online.target', ...before],
        requiresMountsFor: ctx.nfs.mountHere ? [PATHS.nfsRoot] : undefined,
        service: [
          'Type=simple',
          `User=${safeValue(ctx.users.tomcat, 'user')}`,
          `Group=${safeValue(ctx.users.tomcat, 'group')}`,
          `Environment=JAVA_HOME=${javaHome}`,
          `Environment=CATALINA_HOME=${PATHS.tomcatHome}`,
          `Environment=CATALINA_BASE=${PATHS.tomcatHome}`,
          `WorkingDirectory=${PATHS.tomcatHome}`,
          // "run" keeps Tomcat in the foreground; catalina.sh sources bin/setenv.sh.
          `ExecStart=${PATHS.tomcatHome}/bin/catalina.sh run`,
          'UMask=0027',
          'SuccessExitStatus=143',
          'TimeoutStopSec=120',
          'Restart=on-failure',
          'RestartSec=10',
        ],
      });
    }
    case 'memcached-lock':
    case 'memcached-cache': {
      const lock = kind === 'memcached-lock';
      const bind = ctx.host.bind;
      if (bind === '0.0.0.0' || bind === '::') throw new Error('memcached must listen on a private address or loopback, never on every interface');
      const sizeMb = lock
        ? need(ctx.memory.memcachedLockMb, 'The memcached lock size')
        : need(ctx.memory.memcachedCacheMb, 'The memcached cache size');
      const port = lock ? PORTS.memcachedLock : PORTS.memcachedCache;
      return unitText({
        description: `memcached (${lock ? 'lock' : 'cache'}) for Personium on ${port}`,
        after: ['network-online.target'],
        wants: ['network-online.target'],
        service: [
          'Type=simple',
          `User=${safeValue(ctx.users.memcached, 'user')}`,
          // -U 0: no UDP. -I 6m: items up to 6 MB, as core stores them. -c: connections.
          `ExecStart=${MEMCACHED_BINARY} -p ${port} -U 0 -l ${safeValue(bind, 'address')} -m ${sizeMb} -c 1024 -I 6m`,
          'NoNewPrivileges=true',
          'PrivateTmp=true',
          'ProtectSystem=full',
          'ProtectHome=true',
          'Restart=on-failure',
          'RestartSec=5',
        ],
      });
    }
  }
}
