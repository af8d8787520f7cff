// The two scripts this tool puts on the web server for certbot. Both are plain POSIX sh, so they
// run on every supported distribution, and both are safe for certbot to run on its own later.
import {PATHS} from '../../plan/paths.js';
import {CERT_NAME} from './plan.js';

/** Environment variable naming the spool directory of one manual DNS-01 round. */
export const SPOOL_ENV = 'PERSONIUM_SETUP_ACME_SPOOL';
/** Seconds the auth hook waits for the go-ahead (the operator's TXT records resolving). */
export const WAIT_ENV = 'PERSONIUM_SETUP_ACME_WAIT';

/**
 * certbot's deploy hook (run after every issuance and renewal, never on --dry-run): copies the
 * lineage into nginx's certificate files as plain 0644/0600 root files (the installer's nginx step
 * keeps files of that shape and content as they are), then `nginx -t` and a reload. When nginx
 * rejects the configuration, the previous files come back and the hook fails.
 */
export function deployHookScript(): string {
  return `#!/bin/sh
# Managed by personium-setup: certbot's deploy hook for the Personium unit's server certificate.
# Copies the lineage into nginx's certificate files, then nginx -t && systemctl reload nginx.
set -eu
lineage=\${RENEWED_LINEAGE:-/etc/letsencrypt/live/${CERT_NAME}}
crt=${PATHS.serverCert}
key=${PATHS.serverKey}
if [ ! -s "$lineage/fullchain.pem" ] || [ ! -s "$lineage/privkey.pem" ]; then
  echo "personium-setup: $lineage has no fullchain.pem and privkey.pem" >&2
  exit 1
fi
install -d -m 0750 -o root -g root "$(dirname "$crt")"
for f in "$crt" "$key"; do
  if [ -e "$f" ]; then cp -p "$f" "$f.previous"; else rm -f "$f.previous"; fi
done
install -m 0644 -o root -g root "$lineage/fullchain.pem" "$crt.new"
install -m 0600 -o root -g root "$lineage/privkey.pem" "$key.new"
mv -f "$key.new" "$key"
mv -f "$crt.new" "$crt"
command -v nginx >/dev/null 2>&1 || exit 0
if out=$(nginx -t 2>&1); then
  if systemctl is-active -q nginx; then systemctl reload nginx; fi
  exit 0
fi
echo "$out" >&2
for f in "$crt" "$key"; do
  if [ -e "$f.previous" ]; then mv -f "$f.previous" "$f"; fi
done
echo "personium-setup: nginx rejects its configuration with the new certificate; the previous files are back" >&2
exit 1
`;
}

/**
 * certbot's manual DNS-01 hook. `auth` records CERTBOT_DOMAIN and CERTBOT_VALIDATION in the
 * spool; after the last challenge of the order it marks the spool ready and waits (bounded) for
 * the tool's "go" (the operator made the records and they resolve) or "abort" (with a reason).
 * Without the tool's spool (certbot's timer) it refuses at once: these records are made by hand.
 */
export function dnsHookScript(): string {
  return `#!/bin/sh
# Managed by personium-setup: certbot's manual DNS-01 hook (auth | cleanup). The operator creates
# the _acme-challenge TXT records; personium-setup shows them, checks they resolve, then says go.
set -eu
spool=\${${SPOOL_ENV}:-}
if [ -z "$spool" ] || [ ! -d "$spool" ]; then
  echo "personium-setup: the TXT records of this certificate are made by hand; renew it by running personium-setup install again" >&2
  exit 1
fi
case \${1:-} in
auth)
  printf '%s %s\\n' "$CERTBOT_DOMAIN" "$CERTBOT_VALIDATION" >>"$spool/records"
  if [ "\${CERTBOT_REMAINING_CHALLENGES:-0}" -gt 0 ]; then exit 0; fi
  touch "$spool/ready"
  limit=\${${WAIT_ENV}:-3600}
  waited=0
  while [ ! -e "$spool/go" ]; do
    if [ -e "$spool/abort" ]; then
      echo "personium-setup: stopped before validation: $(cat "$spool/abort")" >&2
      exit 1
    fi
    if [ "$waited" -ge "$limit" ]; then
      echo "personium-setup: no go-ahead within $limit s (the TXT records were not confirmed); stopped before validation" >&2
      exit 1
    fi
    sleep 1
    waited=$((waited + 1))
  done
  ;;
cleanup)
  printf '%s %s\\n' "$CERTBOT_DOMAIN" "$CERTBOT_VALIDATION" >>"$spool/cleaned"
  ;;
*)
  echo "usage: $0 auth|cleanup" >&2
  exit 2
  ;;
esac
`;
}
