// An independent check of probity's detached JWS: panva/jose (installed with
// oidc-provider) verifies what probity signed. Reads JSON lines
// {"jws": "...", "payload": "...", "jwk": {...}} on stdin and prints "ok" or the error per line.
import * as jose from 'jose';
import { createInterface } from 'node:readline';

const crit = {
  'http://openbanking.org.uk/iat': true,
  'http://openbanking.org.uk/iss': true,
  'http://openbanking.org.uk/tan': true,
};

for await (const line of createInterface({ input: process.stdin })) {
  if (!line.trim()) continue;
  const { jws, payload, jwk } = JSON.parse(line);
  const [protectedHeader, , signature] = jws.split('.');
  const header = JSON.parse(Buffer.from(protectedHeader, 'base64url').toString());
  const body = header.b64 === false ? payload : Buffer.from(payload).toString('base64url');
  try {
    const key = await jose.importJWK(jwk, header.alg);
    await jose.flattenedVerify({ protected: protectedHeader, payload: body, signature }, key, { crit });
    console.log('ok');
  } catch (e) {
    console.log(`error: ${e.code ?? ''} ${e.message}`);
  }
}
