// Tomcat 9: server.xml (one HTTP connector on 18888), an empty tomcat-users.xml, setenv.sh.
import {shellQuote} from '../../hosts/quote.js';
import {PATHS} from '../../plan/paths.js';
import {LOOPBACK, PORTS, need, type UnitContext} from './context.js';
import {xmlEscape} from './xml.js';

export function renderServerXml(ctx: UnitContext): string {
  const bind = ctx.host.bind;
  if (bind === '0.0.0.0' || bind === '::') throw new Error('Tomcat must listen on a private address or loopback, never on every interface');
  const a = (value: string) => xmlEscape(value);
  return `<?xml version="1.0" encoding="UTF-8"?>
<!-- Managed by personium-setup: Tomcat for personium-core and personium-engine. Edits are replaced on the next run.
     Only nginx on the web server talks to it; TLS ends at nginx. -->
<Server port="${PORTS.tomcatShutdown}" address="${LOOPBACK}" shutdown="SHUTDOWN">
    <Listener className="org.apache.catalina.startup.VersionLoggerListener"/>
    <Listener className="org.apache.catalina.core.JreMemoryLeakPreventionListener"/>
    <Listener className="org.apache.catalina.mbeans.GlobalResourcesLifecycleListener"/>
    <Listener className="org.apache.catalina.core.ThreadLocalLeakPreventionListener"/>

    <GlobalNamingResources>
        <!-- tomcat-users.xml holds no users: the manager applications cannot be logged in to. -->
        <Resource name="UserDatabase" auth="Container" type="org.apache.catalina.UserDatabase"
                  description="User database (empty)" factory="org.apache.catalina.users.MemoryUserDatabaseFactory"
                  pathname="conf/tomcat-users.xml" readonly="true"/>
    </GlobalNamingResources>

    <Service name="Catalina">
        <Executor name="tomcatThreadPool" namePrefix="catalina-exec-" maxThreads="100" minSpareThreads="100"/>

        <!-- The only connector: HTTP on ${PORTS.tomcat}, ${ctx.single ? 'loopback only' : 'on the private address'}. No AJP, no 8080, no 8443. -->
        <Connector executor="tomcatThreadPool"
                   address="${a(bind)}"
                   port="${PORTS.tomcat}"
                   protocol="HTTP/1.1"
                   server="personium"
                   xpoweredBy="false"
                   URIEncoding="UTF-8"
                   encodedSolidusHandling="decode"
                   connectionTimeout="20000"
                   disableUploadTimeout="false"
                   connectionUploadTimeout="300000"
                   acceptCount="4096"
                   maxHttpHeaderSize="153600"
                   maxPostSize="2097152"/>

        <Engine name="Catalina" defaultHost="localhost">
            <Realm className="org.apache.catalina.realm.LockOutRealm">
                <Realm className="org.apache.catalina.realm.UserDatabaseRealm" resourceName="UserDatabase"/>
            </Realm>

            <Host name="localhost" appBase="webapps" unpackWARs="true" autoDeploy="false" deployOnStartup="true">
                <Valve className="org.apache.catalina.valves.AccessLogValve" directory="logs"
                       prefix="localhost_access" suffix=".log" rotatable="true" maxDays="31"
                       pattern="%{X-Forwarded-For}i %l %u %t &quot;%r&quot; %s %b %D &quot;%{Host}i&quot;"/>
                <!-- Error pages without the Tomcat version or stack traces. -->
                <Valve className="org.apache.catalina.valves.ErrorReportValve" showReport="false" showServerInfo="false"/>
            </Host>
        </Engine>
    </Service>
</Server>
`;
}

/** No users at all: the stock manager user of the official playbooks (root/scpersonium) is gone. */
export function renderTomcatUsers(): string {
  return `<?xml version="1.0" encoding="UTF-8"?>
<!-- Managed by personium-setup: deliberately empty. Personium needs no Tomcat users, and without
     users the manager and host-manager applications cannot be used. -->
<tomcat-users xmlns="http://tomcat.apache.org/xml"
              xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
              xsi:schemaLocation="http://tomcat.apache.org/xml tomcat-users.xsd"
              version="1.0">
</tomcat-users>
`;
}

/** A shell command printing the JAVA_HOME that setenv.sh sets (what Tomcat runs on), for the report and discovery. */
export const PRINT_SETENV_JAVA_HOME = `sed -n 's/^JAVA_HOME="\\{0,1\\}\\([^"]*\\)"\\{0,1\\}[[:space:]]*$/\\1/p' ${shellQuote(PATHS.tomcatSetenv)} 2>/dev/null | head -n 1`;

/** bin/setenv.sh, sourced by catalina.sh. */
export function renderSetenv(ctx: UnitContext): string {
  const heap = need(ctx.memory.tomcatHeapMb, 'The Tomcat heap');
  if (!/^\/[A-Za-z0-9._/+-]*$/.test(ctx.javaHome)) throw new Error(`unsafe JAVA_HOME: ${JSON.stringify(ctx.javaHome)}`);
  const options = [
    '-server',
    `-Xms${heap}m`,
    `-Xmx${heap}m`,
    '-XX:MetaspaceSize=256m',
    '-XX:MaxMetaspaceSize=256m',
    '-XX:+HeapDumpOnOutOfMemoryError',
    `-XX:HeapDumpPath=${PATHS.tomcatLogs}`,
    `-Xlog:gc*:file=${PATHS.tomcatLogs}/gc.log:time:filecount=5,filesize=10m`,
    // Encoded slashes (%2F) in paths are decoded, as Personium expects (also set on the connector).
    '-Dorg.apache.tomcat.util.buf.UDecoder.ALLOW_ENCODED_SLASH=true',
    `-Dlogback.configurationFile=${PATHS.logback}`,
    `-Dio.personium.configurationFile=${PATHS.unitConfig}`,
    // Base of the engine's extensions directory (<environment>/personium-engine/extensions).
    `-Dio.personium.environment=${PATHS.personiumRoot}`,
    '-Djava.security.egd=file:/dev/./urandom',
    '-Dfile.encoding=UTF-8',
    ...ctx.tomcatJavaOptions,
  ];
  return `# Managed by personium-setup: sourced by catalina.sh. Edits are replaced on the next run.
JAVA_HOME="${ctx.javaHome}"
export JAVA_HOME
CATALINA_OPTS="${options.join(' ')}"
export CATALINA_OPTS
`;
}
