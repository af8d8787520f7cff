// The nginx site for the distribution's nginx (a conf.d include, inside its http block).
// Port 80 only redirects to https (and serves ACME HTTP-01 challenges); 443 is the default
// server with a catch-all name, so per-cell subdomains (cell.FQDN) reach it too.
import {PATHS} from '../../plan/paths.js';
import {PORTS, hostPort, type UnitContext} from './context.js';

export interface NginxSiteOptions {
  /** Also listen on IPv6 ([::]:80 and [::]:443); off by default, as hosts with IPv6 disabled refuse it. */
  ipv6?: boolean;
}

export function renderNginxSite(ctx: UnitContext, options: NginxSiteOptions = {}): string {
  if (ctx.apUpstreams.length === 0) throw new Error('nginx needs at least one AP host to proxy to');
  const v6 = options.ipv6 === true;
  const http2 = ctx.http2 ? ' http2' : '';
  const servers = ctx.apUpstreams.map(address => `    server ${hostPort(address, PORTS.tomcat)} max_fails=3 fail_timeout=10s;`).join('\n');
  return `# Managed by personium-setup: the Personium unit ${ctx.fqdn}. Edits are replaced on the next run.

upstream personium_ap {
${servers}
    keepalive 32;
}

# The request path exactly as the client sent it (still percent-encoded), without the query.
map $request_uri $personium_raw_path {
    "~^(?<path>[^?]*)" $path;
}

map $http_upgrade $personium_connection {
    default upgrade;
    ""      "";
}

server {
    # By name, not as default_server: a distribution's own default site on 80 (RHEL's nginx.conf
    # has one) may stay, and the unit's names still come here. ".${ctx.fqdn}" covers the cells too.
    listen 80;
${v6 ? '    listen [::]:80;\n' : ''}    server_name .${ctx.fqdn};
    server_tokens off;

    # Let's Encrypt HTTP-01 challenges are answered here; everything else goes to https.
    location ^~ /.well-known/acme-challenge/ {
        root ${PATHS.acmeWebroot};
        default_type text/plain;
        try_files $uri =404;
    }

    location / {
        return 301 https://$host$request_uri;
    }
}

server {
    listen 443 ssl${http2} default_server;
${v6 ? `    listen [::]:443 ssl${http2} default_server;\n` : ''}    # Catch-all: the unit FQDN and every cell subdomain (cell.${ctx.fqdn}).
    server_name _;
    server_tokens off;

    ssl_certificate ${PATHS.serverCert};
    ssl_certificate_key ${PATHS.serverKey};
    ssl_protocols TLSv1.2 TLSv1.3;
    ssl_prefer_server_ciphers off;
    ssl_session_cache shared:personium_tls:10m;
    ssl_session_timeout 1d;
    ssl_session_tickets off;

    client_max_body_size 100m;
    large_client_header_buffers 4 64k;
    merge_slashes off;

    proxy_connect_timeout 10s;
    proxy_read_timeout 300s;
    proxy_send_timeout 300s;

    access_log ${PATHS.nginxLogDir}/personium-access.log;
    error_log ${PATHS.nginxLogDir}/personium-error.log;

    location ~ ^/__status/?$ {
        deny all;
    }

    location / {
        # Characters that RFC 2396 does not allow in a URI are refused (as the official setup does).
        if ($request_uri ~ [\\x00-\\x20\\x22\\x3c\\x3e\\x5b-\\x5e\\x60\\x7b-\\x7d\\x7f]) {
            return 400;
        }
        # Everything goes to the personium-core context; rewrite keeps the query string. Core
        # routes on X-Forwarded-Path (the raw request URI), so the path Tomcat sees only has to
        # land in /personium-core: it is the raw path, which nginx escapes once more, exactly
        # as the official configuration does.
        rewrite ^ /personium-core$personium_raw_path break;
        proxy_pass http://personium_ap;
        proxy_http_version 1.1;
        proxy_set_header Host $http_host;
        proxy_set_header X-Forwarded-For $remote_addr;
        proxy_set_header X-Forwarded-Proto https;
        proxy_set_header X-Forwarded-Path $request_uri;
        proxy_set_header Upgrade $http_upgrade;
        proxy_set_header Connection $personium_connection;
        proxy_hide_header X-Powered-By;
    }
}
`;
}
