// ActiveMQ broker configuration: OpenWire only, on loopback or the private address.
//
// The web console is DISABLED rather than bound to loopback: the stock activemq.xml starts it by
// importing jetty.xml (port 8161, admin/admin), and this file simply has no such import. Nothing
// in Personium uses the console, the REST API or Jolokia it carries, and a console that is not
// running cannot be reached through a tunnel or a local account either. So no jetty.xml is
// rendered at all; the stock one stays on disk unused.
import {PORTS, hostPort, type UnitContext} from './context.js';
import {xmlEscape} from './xml.js';

export const ACTIVEMQ_WEB_CONSOLE = 'disabled' as const;

export function renderActiveMqXml(ctx: UnitContext): string {
  const bind = ctx.host.bind;
  if (bind === '0.0.0.0' || bind === '::') throw new Error('ActiveMQ must listen on a private address or loopback, never on every interface');
  const uri = `tcp://${hostPort(bind, PORTS.activemq)}?maximumConnections=1000&wireFormat.maxFrameSize=104857600`;
  return `<?xml version="1.0" encoding="UTF-8"?>
<!-- Managed by personium-setup: the broker for Personium's event bus. Edits are replaced on the next run.
     Only the OpenWire connector core uses; no AMQP, STOMP, MQTT or WebSocket; no web console (no jetty.xml import). -->
<beans xmlns="http://www.springframework.org/schema/beans"
       xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
       xsi:schemaLocation="http://www.springframework.org/schema/beans http://www.springframework.org/schema/beans/spring-beans.xsd
                           http://activemq.apache.org/schema/core http://activemq.apache.org/schema/core/activemq-core.xsd">

    <!-- Lets the file use system properties such as activemq.data. -->
    <bean class="org.springframework.beans.factory.config.PropertyPlaceholderConfigurer">
        <property name="locations">
            <value>file:\${activemq.conf}/credentials.properties</value>
        </property>
    </bean>

    <broker xmlns="http://activemq.apache.org/schema/core" brokerName="personium" dataDirectory="\${activemq.data}" useJmx="true">
        <destinationPolicy>
            <policyMap>
                <policyEntries>
                    <policyEntry topic=">">
                        <pendingMessageLimitStrategy>
                            <constantPendingMessageLimitStrategy limit="1000"/>
                        </pendingMessageLimitStrategy>
                    </policyEntry>
                </policyEntries>
            </policyMap>
        </destinationPolicy>

        <!-- JMX stays inside the JVM: no remote connector. -->
        <managementContext>
            <managementContext createConnector="false"/>
        </managementContext>

        <persistenceAdapter>
            <kahaDB directory="\${activemq.data}/kahadb"/>
        </persistenceAdapter>

        <systemUsage>
            <systemUsage>
                <memoryUsage>
                    <memoryUsage percentOfJvmHeap="70"/>
                </memoryUsage>
                <storeUsage>
                    <storeUsage limit="10 gb"/>
                </storeUsage>
                <tempUsage>
                    <tempUsage limit="5 gb"/>
                </tempUsage>
            </systemUsage>
        </systemUsage>

        <transportConnectors>
            <transportConnector name="openwire" uri="${xmlEscape(uri)}"/>
        </transportConnectors>

        <shutdownHooks>
            <bean xmlns="http://www.springframework.org/schema/beans" class="org.apache.activemq.hooks.SpringContextHook"/>
        </shutdownHooks>
    </broker>
</beans>
`;
}
