// Writes the keys the interop provider (tests/interop/oidc-provider/server.mjs) needs, into DIR:
//   provider-jwks.json  its RS256 signing key (private)
//   client-jwks.json    the private_key_jwt client's public key; client.jwk its private half
// Usage: node keys.mjs DIR
import { generateKeyPairSync } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

const dir = process.argv[2];
const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'jwk' });
writeFileSync(join(dir, 'provider-jwks.json'), JSON.stringify({ keys: [{ ...rsa, kid: 'provider-rs256', alg: 'RS256', use: 'sig' }] }));
const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ format: 'jwk' });
const { d, ...pub } = ec;
writeFileSync(join(dir, 'client.jwk'), JSON.stringify({ ...ec, kid: 'probity-jwt-key', alg: 'ES256' }));
writeFileSync(join(dir, 'client-jwks.json'), JSON.stringify({ keys: [{ ...pub, kid: 'probity-jwt-key', alg: 'ES256' }] }));
