// Elasticsearch: elasticsearch.yml (7.17 or 6.6.1), the JVM options and the sysctl it needs.
import {PATHS} from '../../plan/paths.js';
import {ES_CLUSTER_NAME, PORTS, hostPort, type UnitContext} from './context.js';

const yamlString = (value: string) => JSON.stringify(value);
const yamlList = (values: readonly string[]) => `[${values.map(yamlString).join(', ')}]`;

// Only the X-Pack system indices may be created implicitly; core creates its own indices.
const AUTO_CREATE_INDEX = '.security,.monitoring*,.watches,.triggered_watches,.watcher-history*';

export function renderElasticsearchYml(ctx: UnitContext): string {
  const bind = ctx.host.bind;
  if (bind === '0.0.0.0' || bind === '::') throw new Error('Elasticsearch must listen on a private address or loopback, never on every interface');
  const nodes = ctx.esNodes;
  const several = nodes.length > 1;
  const lines = [
    `# Managed by personium-setup: Elasticsearch ${ctx.versions.elasticsearch} for core ${ctx.versions.core}. Edits are replaced on the next run.`,
    `cluster.name: ${ES_CLUSTER_NAME}`,
    `node.name: ${yamlString(ctx.host.name)}`,
    `path.data: ${PATHS.esData}`,
    `path.logs: ${PATHS.esLogs}`,
    '',
    `# ${ctx.single ? 'Loopback only: everything runs on this server.' : 'The private address only: reached by the AP servers, never public.'}`,
    `network.host: ${yamlString(bind)}`,
    `http.port: ${PORTS.esHttp}`,
  ];
  if (ctx.versions.esMajor >= 7) {
    lines.push(`transport.port: ${PORTS.esTransport}`, '');
    if (several) {
      lines.push(
        `discovery.seed_hosts: ${yamlList(nodes.map(n => hostPort(n.address, PORTS.esTransport)))}`,
        '# Used only the first time the cluster forms.',
        `cluster.initial_master_nodes: ${yamlList(nodes.map(n => n.name))}`,
      );
    } else {
      lines.push('discovery.type: single-node');
    }
    lines.push(
      '',
      '# Core\'s REST client sends no credentials, so security stays off; say so explicitly',
      '# (leaving it implicit is deprecated in 7.x). ES is reachable only from the unit\'s servers.',
      'xpack.security.enabled: false',
      '# No download of GeoIP databases from the internet at start.',
      'ingest.geoip.downloader.enabled: false',
    );
  } else {
    lines.push(
      `transport.tcp.port: ${PORTS.esTransport}`,
      '',
      'node.master: true',
      'node.data: true',
      `discovery.zen.ping.unicast.hosts: ${yamlList(nodes.map(n => hostPort(n.address, PORTS.esTransport)))}`,
      `discovery.zen.minimum_master_nodes: ${Math.floor(nodes.length / 2) + 1}`,
    );
  }
  lines.push(
    '',
    '# Core deletes its indices with wildcards ({index}.*).',
    'action.destructive_requires_name: false',
    `action.auto_create_index: ${yamlString(AUTO_CREATE_INDEX)}`,
  );
  return `${lines.join('\n')}\n`;
}

/**
 * JVM options. ES 7.7+ reads config/jvm.options.d/*.options, so 7.x gets a small drop-in
 * (PATHS.esJvmOptions); ES 6.x has no such directory and gets a whole jvm.options
 * (PATHS.esJvmOptionsMain). The heap comes from the profile or the memory plan, -Xms = -Xmx.
 */
export function renderEsJvmOptions(heapMb: number, esMajor = 7): string {
  if (!Number.isInteger(heapMb) || heapMb < 256 || heapMb > 31744) throw new Error(`Elasticsearch heap ${heapMb} MB is outside 256..31744`);
  const heap = [`-Xms${heapMb}m`, `-Xmx${heapMb}m`];
  const noLookups = ['# Log4Shell (CVE-2021-44228) mitigation for the log4j 2 inside Elasticsearch.', '-Dlog4j2.formatMsgNoLookups=true'];
  if (esMajor >= 7) {
    return `${['# Managed by personium-setup. Heap sized for this host (-Xms equals -Xmx).', ...heap, ...noLookups].join('\n')}\n`;
  }
  return `${[
    '# Managed by personium-setup: Elasticsearch 6.x reads no jvm.options.d, so this is the whole file.',
    '# Heap sized for this host (-Xms equals -Xmx).',
    ...heap,
    '',
    '# G1 (CMS, the 6.x default, was removed from the JDK in 14).',
    '-XX:+UseG1GC',
    '-XX:G1ReservePercent=25',
    '-XX:InitiatingHeapOccupancyPercent=30',
    '',
    '-Des.networkaddress.cache.ttl=60',
    '-Des.networkaddress.cache.negative.ttl=10',
    '-Xss1m',
    '-Djava.awt.headless=true',
    '-Dfile.encoding=UTF-8',
    '-Djna.nosys=true',
    '-XX:-OmitStackTraceInFastThrow',
    '-Dio.netty.noUnsafe=true',
    '-Dio.netty.noKeySetOptimization=true',
    '-Dio.netty.recycler.maxCapacityPerThread=0',
    '-Dlog4j.shutdownHookEnabled=false',
    '-Dlog4j2.disable.jmx=true',
    '-Djava.io.tmpdir=${ES_TMPDIR}',
    '-XX:+HeapDumpOnOutOfMemoryError',
    `-XX:HeapDumpPath=${PATHS.esData}`,
    `-XX:ErrorFile=${PATHS.esLogs}/hs_err_pid%p.log`,
    `9-:-Xlog:gc*,gc+age=trace,safepoint:file=${PATHS.esLogs}/gc.log:utctime,pid,tags:filecount=32,filesize=64m`,
    '9-:-Djava.locale.providers=COMPAT',
    ...noLookups,
  ].join('\n')}\n`;
}

/** Where renderEsJvmOptions' text goes for that ES major version. */
export function esJvmOptionsPath(esMajor: number): string {
  return esMajor >= 7 ? PATHS.esJvmOptions : PATHS.esJvmOptionsMain;
}

/** vm.max_map_count for Elasticsearch, in its own sysctl.d file (PATHS.esSysctl). */
export function renderEsSysctl(): string {
  return '# Managed by personium-setup: Elasticsearch needs at least 262144 memory map areas.\nvm.max_map_count = 262144\n';
}
