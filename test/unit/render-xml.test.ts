// XML files (server.xml, tomcat-users.xml, activemq.xml, logback.xml) are well-formed for
// xmllint and say what they must; setenv.sh passes `sh -n`.
import {writeFileSync} from 'node:fs';
import {join} from 'node:path';
import {describe, expect, it} from 'vitest';
import {ACTIVEMQ_WEB_CONSOLE, renderActiveMqXml} from '../../source/steps/render/activemq.js';
import {eventLogFiles, renderLogback} from '../../source/steps/render/logback.js';
import {renderServerXml, renderSetenv, renderTomcatUsers} from '../../source/steps/render/tomcat.js';
import {context, mediumProfile, smallProfile, tempDir, tool} from './render-fixtures.js';

const dir = tempDir('xml');

function xmllint(name: string, text: string): void {
  const file = join(dir, name);
  writeFileSync(file, text);
  const result = tool('xmllint', ['--noout', file], 'libxml2-utils');
  expect(result.stderr).toBe('');
  expect(result.code).toBe(0);
}

/** Values of an XPath through xmllint (local-name() keeps it namespace-agnostic). */
function xpath(name: string, text: string, expression: string): string {
  const file = join(dir, name);
  writeFileSync(file, text);
  const result = tool('xmllint', ['--xpath', expression, file], 'libxml2-utils');
  expect(result.code, result.stderr).toBe(0);
  return result.stdout.trim();
}

describe('Tomcat', () => {
  it.each([
    ['one server', smallProfile(), 'unit1', '127.0.0.1'],
    ['several servers', mediumProfile(), 'ap2', '10.0.1.32'],
  ])('server.xml (%s) is well-formed with a single connector on 18888 at %s', (_label, profile, host, bind) => {
    const xml = renderServerXml(context(profile, '1.8.3', {host}));
    xmllint('server.xml', xml);
    expect(xpath('server.xml', xml, 'count(//*[local-name()="Connector"])')).toBe('1');
    const attr = (a: string) => xpath('server.xml', xml, `string(//Connector/@${a})`);
    expect(attr('port')).toBe('18888');
    expect(attr('address')).toBe(bind);
    expect(attr('xpoweredBy')).toBe('false');
    expect(attr('server')).toBe('personium');
    expect(attr('URIEncoding')).toBe('UTF-8');
    expect(attr('maxHttpHeaderSize')).toBe('153600');
    expect(xpath('server.xml', xml, 'string(/Server/@port)')).toBe('8005');
    expect(xpath('server.xml', xml, 'string(/Server/@address)')).toBe('127.0.0.1');
    expect(xpath('server.xml', xml, 'string(//Host/@autoDeploy)')).toBe('false');
    expect(xpath('server.xml', xml, 'count(//Valve[@className="org.apache.catalina.valves.AccessLogValve"])')).toBe('1');
    expect(xml.replace(/<!--[\s\S]*?-->/g, '')).not.toMatch(/0\.0\.0\.0|AJP|8009|8443|8080/);
  });

  it('tomcat-users.xml is well-formed and has no users or roles', () => {
    const xml = renderTomcatUsers();
    xmllint('tomcat-users.xml', xml);
    expect(xpath('tomcat-users.xml', xml, 'count(//*[local-name()="user" or local-name()="role"])')).toBe('0');
  });

  it('setenv.sh: heap from the profile, the Personium system properties, JDK 17; valid sh', () => {
    const text = renderSetenv(context(smallProfile({memory: {tomcatHeapMb: 1536}}), '1.8.3'));
    const file = join(dir, 'setenv.sh');
    writeFileSync(file, text);
    expect(tool('sh', ['-n', file], 'dash').code).toBe(0);
    const opts = tool('sh', ['-c', `. ${file}; printf '%s\\n' "$JAVA_HOME" $CATALINA_OPTS`], 'dash').stdout.trim().split('\n');
    expect(opts[0]).toBe('/usr/lib/jvm/java-17-openjdk-amd64');
    expect(opts).toEqual(
      expect.arrayContaining([
        '-Xms1536m',
        '-Xmx1536m',
        '-Dio.personium.configurationFile=/personium/personium-core/conf/personium-unit-config.properties',
        '-Dio.personium.environment=/personium',
        '-Dlogback.configurationFile=/personium/personium-core/conf/logback.xml',
        '-Dorg.apache.tomcat.util.buf.UDecoder.ALLOW_ENCODED_SLASH=true',
        '-Dfile.encoding=UTF-8',
      ]),
    );
  });

  it('setenv.sh takes the heap from the memory plan when the profile leaves it open', () => {
    const profile = smallProfile({memory: {}});
    expect(() => renderSetenv(context(profile, '1.8.3'))).toThrow(/Tomcat heap is not known/);
    expect(renderSetenv(context(profile, '1.8.3', {memoryMb: 8192}))).toMatch(/-Xms\d+m -Xmx\d+m/);
  });

  it('refuses unsafe extra JVM options', () => {
    expect(() => context(smallProfile(), '1.8.3', {tomcatJavaOptions: ['-Dx=$(id)']})).toThrow(/unsafe/);
  });
});

describe('ActiveMQ', () => {
  it.each([
    ['one server', smallProfile(), 'unit1', '127.0.0.1'],
    ['several servers', mediumProfile(), 'ap1', '10.0.1.31'],
  ])('activemq.xml (%s): well-formed, only OpenWire on %s:61616, no web console', (_label, profile, host, bind) => {
    const xml = renderActiveMqXml(context(profile, '1.8.3', {host}));
    xmllint('activemq.xml', xml);
    const uris = xpath('activemq.xml', xml, '//*[local-name()="transportConnector"]/@uri');
    expect(uris.split('\n')).toHaveLength(1);
    expect(uris).toContain(`uri="tcp://${bind}:61616?`);
    expect(xml).not.toMatch(/amqp|stomp|mqtt|ws:\/\/|0\.0\.0\.0/);
    expect(xpath('activemq.xml', xml, 'count(//*[local-name()="import"])')).toBe('0');
    expect(ACTIVEMQ_WEB_CONSOLE).toBe('disabled');
  });
});

describe('logback', () => {
  it.each([
    ['1.8.3', 'full-path', '${eventlog_path}/current/default.log', '${eventlog_path}/archive/default.log.%i.zip'],
    ['1.8.0', 'relative', '/personium_nfs/personium-core/eventlog/${eventlog_path}/current/default.log', '/personium_nfs/personium-core/eventlog/${eventlog_path}/archive/default.log.%i.zip'],
  ] as const)('core %s (%s event-log paths) is well-formed, INFO, with the fixed-window event log', (set, pattern, current, archive) => {
    const xml = renderLogback(context(smallProfile(), set));
    xmllint('logback.xml', xml);
    expect(eventLogFiles(pattern)).toEqual({current, archive});
    const sift = '//appender[@name="SIFT"]/sift/appender';
    expect(xpath('logback.xml', xml, `string(${sift}/file)`)).toBe(current);
    expect(xpath('logback.xml', xml, `string(${sift}/rollingPolicy/fileNamePattern)`)).toBe(archive);
    expect(xpath('logback.xml', xml, `string(${sift}/rollingPolicy/@class)`)).toBe('io.personium.common.logging.rolling.PersoniumFixedWindowRollingPolicy');
    expect(xpath('logback.xml', xml, `string(${sift}/triggeringPolicy/@class)`)).toBe('ch.qos.logback.core.rolling.SizeBasedTriggeringPolicy');
    expect(xpath('logback.xml', xml, 'string(//appender[@name="SIFT"]/discriminator/key)')).toBe('eventlog_path');
    expect(xpath('logback.xml', xml, 'string(//logger[@name="io.personium.core.rule.action.LogAction"]/appender-ref/@ref)')).toBe('SIFT');
    expect(xpath('logback.xml', xml, 'string(//appender[@name="FILE_CORE"]/file)')).toBe('/personium/personium-core/log/personium-core.log');
    expect(xpath('logback.xml', xml, 'string(//appender[@name="FILE_ENGINE"]/file)')).toBe('/personium/personium-engine/log/personium-engine.log');
    expect(xml).not.toMatch(/DEBUG/);
    expect(xpath('logback.xml', xml, 'count(//logger[@level="INFO"])')).not.toBe('0');
  });
});
