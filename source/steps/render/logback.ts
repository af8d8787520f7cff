// logback.xml for core and engine (one file: -Dlogback.configurationFile is JVM-wide, so both
// wars in the Tomcat read it). Levels are INFO, not the DEBUG the official playbooks ship.
import {PATHS} from '../../plan/paths.js';
import type {UnitContext} from './context.js';

const LINE_PATTERN = '%d{yyyy-MM-dd HH:mm:ss.SSS} [%thread] [%-5level] %logger{0} %msg%n';

/** Where the sifted event-log appender writes, for the version's meaning of the MDC key eventlog_path. */
export function eventLogFiles(pattern: UnitContext['versions']['eventLogPattern']): {current: string; archive: string} {
  // core >= 1.8.2 puts the full directory (event.log.current.dir/owner/xx/yy/cellId) in eventlog_path;
  // older cores put only the part below the event-log root there.
  const base = pattern === 'full-path' ? '${eventlog_path}' : `${PATHS.eventLogDir}/\${eventlog_path}`;
  return {current: `${base}/current/default.log`, archive: `${base}/archive/default.log.%i.zip`};
}

function dailyFile(name: string, file: string, pattern = LINE_PATTERN): string {
  return `    <appender name="${name}" class="ch.qos.logback.core.rolling.RollingFileAppender">
        <file>${file}</file>
        <rollingPolicy class="ch.qos.logback.core.rolling.TimeBasedRollingPolicy">
            <fileNamePattern>${file}.%d{yyyy-MM-dd}.gz</fileNamePattern>
            <maxHistory>31</maxHistory>
        </rollingPolicy>
        <encoder>
            <pattern>${pattern}</pattern>
        </encoder>
    </appender>`;
}

export function renderLogback(ctx: UnitContext): string {
  const events = eventLogFiles(ctx.versions.eventLogPattern);
  return `<?xml version="1.0" encoding="UTF-8"?>
<!-- Managed by personium-setup: core ${ctx.versions.core}, engine ${ctx.versions.engine}. Edits are replaced on the next run. -->
<configuration>
    <appender name="STDOUT" class="ch.qos.logback.core.ConsoleAppender">
        <encoder>
            <pattern>${LINE_PATTERN}</pattern>
        </encoder>
    </appender>

${dailyFile('FILE_CORE', `${PATHS.coreLogDir}/personium-core.log`)}

    <!-- Events written by the Event API (io.personium.core.event) -->
${dailyFile('FILE_USER', `${PATHS.coreLogDir}/personium-user.log`)}

${dailyFile('FILE_ENGINE', `${PATHS.engineLogDir}/personium-engine.log`)}

${dailyFile('FILE_LOGBACK', `${PATHS.logbackLogDir}/logback.log`)}

    <!-- Cell event logs written by rules with the "log" action; read back through {cell}/__log.
         eventlog_path is ${ctx.versions.eventLogPattern === 'full-path' ? 'the full event-log directory of the cell (core 1.8.2 and later)' : 'the cell\'s directory below the event-log root (core before 1.8.2)'}.
         The message already carries time and level (CSV), so the layout is the message alone. -->
    <appender name="SIFT" class="ch.qos.logback.classic.sift.SiftingAppender">
        <discriminator>
            <key>eventlog_path</key>
            <defaultValue>unknown</defaultValue>
        </discriminator>
        <sift>
            <appender name="FILE-\${eventlog_path}" class="ch.qos.logback.core.rolling.RollingFileAppender">
                <file>${events.current}</file>
                <rollingPolicy class="io.personium.common.logging.rolling.PersoniumFixedWindowRollingPolicy">
                    <fileNamePattern>${events.archive}</fileNamePattern>
                    <minIndex>1</minIndex>
                    <maxIndex>12</maxIndex>
                </rollingPolicy>
                <triggeringPolicy class="ch.qos.logback.core.rolling.SizeBasedTriggeringPolicy">
                    <maxFileSize>1MB</maxFileSize>
                </triggeringPolicy>
                <layout class="ch.qos.logback.classic.PatternLayout">
                    <pattern>%msg%n</pattern>
                </layout>
            </appender>
        </sift>
    </appender>

    <logger name="io.personium.core.event" level="INFO" additivity="false">
        <appender-ref ref="FILE_USER"/>
    </logger>
    <logger name="io.personium.core" level="INFO" additivity="false">
        <appender-ref ref="FILE_CORE"/>
    </logger>
    <logger name="io.personium.engine" level="INFO" additivity="false">
        <appender-ref ref="FILE_ENGINE"/>
    </logger>
    <logger name="io.personium.core.rule.action.LogAction" level="INFO" additivity="false">
        <appender-ref ref="SIFT"/>
    </logger>
    <logger name="io.personium.logging" level="INFO" additivity="false">
        <appender-ref ref="FILE_LOGBACK"/>
    </logger>
    <logger name="org.elasticsearch" level="WARN" additivity="false">
        <appender-ref ref="FILE_CORE"/>
    </logger>

    <!-- Everything else (libraries) at WARN to the console: Tomcat's log, the systemd journal. -->
    <root level="WARN">
        <appender-ref ref="STDOUT"/>
    </root>
</configuration>
`;
}
