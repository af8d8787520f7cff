// Let's Encrypt's directory URLs. Planning and running certbot live with the install step
// (source/steps/letsencrypt.ts and source/steps/acme/), which is tested against a real ACME server.
export const LETSENCRYPT_DIRECTORY = 'https://acme-v02.api.letsencrypt.org/directory';
export const LETSENCRYPT_STAGING_DIRECTORY = 'https://acme-staging-v02.api.letsencrypt.org/directory';
