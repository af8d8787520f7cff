// Pure renderers for every file the tool writes on the servers: string in, string out.
export * from './context.js';
export * from './properties.js';
export * from './unit-config.js';
export * from './logback.js';
export * from './elasticsearch.js';
export * from './activemq.js';
export * from './tomcat.js';
export * from './systemd.js';
export * from './nginx.js';
export * from './hosts.js';
export * from './nfs.js';
export * from './extensions.js';
