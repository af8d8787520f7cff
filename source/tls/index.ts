// Certificates: generation, checks of provided files, JDK truststore commands.
export {LETSENCRYPT_DIRECTORY, LETSENCRYPT_STAGING_DIRECTORY} from './acme.js';
export {checkServerCertificate, checkUnitCertificate, EXPIRY_WARNING_DAYS, MIN_RSA_BITS, signedBy} from './check.js';
export type {CertificateInfo, CertificateProblem, ServerCertificateCheck, ServerCertificateResult, Severity, UnitCertificateCheck, UnitCertificateResult} from './check.js';
export {DEFAULT_SERVER_DAYS, DEFAULT_UNIT_YEARS, generateServerCertificate, generateUnitCertificate, MAX_SERVER_DAYS, randomSerialNumber} from './generate.js';
export type {GeneratedCertificate, ServerCertificateOptions, ServerKeySpec, UnitCertificateOptions} from './generate.js';
export {commonNames, describeCoveredNames, nameCovers, subjectAltNames, uncoveredNames} from './names.js';
export {DEFAULT_STOREPASS, DEFAULT_TRUSTSTORE_ALIAS, jdkTruststoreCommands, parseTruststoreCheck} from './truststore.js';
export type {TruststoreCommands, TruststoreOptions, TruststoreState} from './truststore.js';
export {parseCertificates, sha256Fingerprint, x509} from './x509.js';
