// A real OpenID Provider (panva/oidc-provider) for probity's interop tests.
// Configuration comes from the environment (set by tests/interop.rs):
//   PORT, TLS_CERT, TLS_KEY          HTTPS on 127.0.0.1:PORT with a test CA's certificate
//   PROVIDER_JWKS                    the provider's private signing keys (JWKS file)
//   CLIENT_JWKS                      the private_key_jwt client's public keys (JWKS file)
//   BROKEN_GRANTS=1                  a grant loader that never remembers consent across authorizations
//   PROFILE=fapi2                    instead: a FAPI 2.0 Security Profile authorization server (below),
//                                    whose two clients' public keys are FAPI2_CLIENT_JWKS and FAPI2_SECOND_JWKS,
//                                    and two tls_client_auth clients whose certificates CLIENT_CA issues
// Prints one JSON line {"issuer": ...} when it is listening.
import { randomBytes, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import https from 'node:https';
import Provider from 'oidc-provider';

const env = (name) => {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set`);
  return v;
};

const issuer = `https://127.0.0.1:${env('PORT')}`;
const redirect = 'https://127.0.0.1/probity/callback';
const clientJwks = JSON.parse(readFileSync(env('CLIENT_JWKS'), 'utf8'));
const common = { redirect_uris: [redirect], response_types: ['code'], scope: 'openid offline_access accounts payments profile email address phone' };
const codeGrants = ['authorization_code', 'refresh_token'];

const configuration = {
  jwks: JSON.parse(readFileSync(env('PROVIDER_JWKS'), 'utf8')),
  // OIDC Core §3.1.2.1: the authorization endpoint MUST accept POST as well
  // as GET (oidcc/post-request); the package turns POST on only with
  // SameSite=None session cookies.
  enableHttpPostMethods: true,
  cookies: { long: { sameSite: 'none' } },
  clients: [
    // The default client may also use the hybrid flow (the oidc plan's `code id_token` scenario).
    { ...common, client_id: 'probity-basic', client_secret: 'probity-basic-secret', token_endpoint_auth_method: 'client_secret_basic', grant_types: [...codeGrants, 'client_credentials', 'implicit'], response_types: ['code', 'code id_token'] },
    // Plain requests are fine for this client; an unsigned (`alg: none`) request object is refused,
    // because the provider does not enable `none` for request objects (negative suite).
    { ...common, client_id: 'probity-post', client_secret: 'probity-post-secret', token_endpoint_auth_method: 'client_secret_post', grant_types: [...codeGrants, 'client_credentials'] },
    {
      ...common,
      client_id: 'probity-jwt',
      token_endpoint_auth_method: 'private_key_jwt',
      token_endpoint_auth_signing_alg: 'ES256',
      request_object_signing_alg: 'ES256',
      jwks: clientJwks,
      grant_types: [...codeGrants, 'client_credentials', 'urn:openid:params:grant-type:ciba'],
      backchannel_token_delivery_mode: 'poll',
    },
    { ...common, client_id: 'probity-public', token_endpoint_auth_method: 'none', grant_types: codeGrants },
  ],
  scopes: ['openid', 'offline_access', 'accounts', 'payments', 'profile', 'email', 'address', 'phone'],
  // advertised as acr_values_supported, which oidcc/acr-values requests
  acrValues: ['urn:probity:loa:1', 'urn:probity:loa:2'],
  claims: {
    openid: ['sub'],
    profile: ['name', 'given_name', 'family_name'],
    email: ['email', 'email_verified'],
    address: ['address'],
    phone: ['phone_number', 'phone_number_verified'],
  },
  findAccount: async (ctx, sub) => ({
    accountId: sub,
    claims: async () => ({
      sub, name: 'Alice Example', given_name: 'Alice', family_name: 'Example',
      email: 'alice@op.example', email_verified: true,
      address: { country: 'GB' }, phone_number: '+44 20 7946 0000', phone_number_verified: false,
    }),
  }),
  features: {
    devInteractions: { enabled: true },
    clientCredentials: { enabled: true },
    introspection: { enabled: true },
    revocation: { enabled: true },
    pushedAuthorizationRequests: { enabled: true },
    requestObjects: { enabled: true },
    claimsParameter: { enabled: true },
    // JARM (response_mode=jwt and its query/fragment/form_post forms).
    jwtResponseModes: { enabled: true },
    ciba: {
      enabled: true,
      deliveryModes: ['poll'],
      processLoginHint: async (ctx, loginHint) => loginHint,
      validateBindingMessage: async () => {},
      validateRequestContext: async () => {},
      verifyUserCode: async () => {},
      // The PSU approves on their device a second after the request.
      triggerAuthenticationDevice: async (ctx, request, account, client) => {
        setTimeout(async () => {
          const grant = new provider.Grant({ clientId: client.clientId, accountId: account.accountId });
          grant.addOIDCScope(request.params.scope);
          await grant.save();
          await provider.backchannelResult(request, grant).catch((e) => console.error(e));
        }, 1000);
      },
    },
  },
  // The deliberate defect: use only the grant of the interaction in progress, never the one the
  // session remembers, so every new authorization asks for consent again.
  ...(process.env.BROKEN_GRANTS === '1'
    ? {
      loadExistingGrant: async (ctx) => {
        const grantId = ctx.oidc.result?.consent?.grantId;
        return grantId ? ctx.oidc.provider.Grant.find(grantId) : undefined;
      },
    }
    : {}),
};

// A FAPI 2.0 Security Profile authorization server: the package's own `fapi: { profile: '2.0' }`
// (PKCE S256 required, client assertions addressed to the issuer only, redirect_uri always sent),
// pushed requests required of every client (RFC 9126 §5), DPoP-bound tokens with server nonces (RFC 9449), PS256 ID tokens,
// private_key_jwt as the only client authentication, and no client but the two FAPI 2 clients.
// Refresh tokens come with every code grant (a bank's policy; FAPI 2 does not tie them to
// `offline_access`), so the refresh-token module has one to present.
const fapi2Client = (clientId, jwks) => ({
  client_id: clientId,
  redirect_uris: [redirect],
  response_types: ['code'],
  grant_types: ['authorization_code', 'refresh_token', 'client_credentials'],
  scope: 'openid accounts payments profile email',
  token_endpoint_auth_method: 'private_key_jwt',
  // The key's own alg: PS256 for the first client's RSA key, ES256 for the second's.
  token_endpoint_auth_signing_alg: jwks.keys[0].alg,
  id_token_signed_response_alg: 'PS256',
  require_pushed_authorization_requests: true,
  dpop_bound_access_tokens: true,
  jwks,
});
// The mTLS variant's clients: tls_client_auth by the probity test certificate (CN=probity-tpp, issued by
// CLIENT_CA), tokens bound to it (RFC 8705 §3), no DPoP.
const fapi2MtlsClient = (clientId) => ({
  client_id: clientId,
  redirect_uris: [redirect],
  response_types: ['code'],
  grant_types: ['authorization_code', 'refresh_token', 'client_credentials'],
  scope: 'openid accounts payments profile email',
  token_endpoint_auth_method: 'tls_client_auth',
  tls_client_auth_subject_dn: 'CN=probity-tpp',
  tls_client_certificate_bound_access_tokens: true,
  id_token_signed_response_alg: 'PS256',
  require_pushed_authorization_requests: true,
});
const peerCertificate = (ctx) => {
  const peer = ctx.socket.getPeerCertificate?.();
  return peer && peer.raw ? new X509Certificate(peer.raw) : undefined;
};
const fapi2Configuration = () => ({
  jwks: JSON.parse(readFileSync(env('PROVIDER_JWKS'), 'utf8')),
  clients: [
    fapi2Client('probity-fapi2', JSON.parse(readFileSync(env('FAPI2_CLIENT_JWKS'), 'utf8'))),
    fapi2Client('probity-fapi2-second', JSON.parse(readFileSync(env('FAPI2_SECOND_JWKS'), 'utf8'))),
    fapi2MtlsClient('probity-fapi2-mtls'),
    fapi2MtlsClient('probity-fapi2-mtls-second'),
  ],
  clientAuthMethods: ['private_key_jwt', 'tls_client_auth'],
  // FAPI 2.0 SP §5.3.2.2: only the authorization code flow.
  responseTypes: ['code'],
  scopes: ['openid', 'offline_access', 'accounts', 'payments', 'profile', 'email'],
  claims: configuration.claims,
  findAccount: configuration.findAccount,
  issueRefreshToken: async (ctx, client) => client.grantTypeAllowed('refresh_token'),
  enabledJWA: {
    clientAuthSigningAlgValues: ['ES256', 'PS256'],
    idTokenSigningAlgValues: ['PS256', 'ES256'],
    requestObjectSigningAlgValues: ['ES256', 'PS256'],
    userinfoSigningAlgValues: ['PS256', 'ES256'],
    dPoPSigningAlgValues: ['ES256', 'PS256'],
  },
  features: {
    fapi: { enabled: true, profile: '2.0' },
    // Server nonces demanded at every DPoP request (RFC 9449 §8, §9): probity must follow
    // `use_dpop_nonce` at PAR, token and UserInfo.
    dPoP: { enabled: true, nonceSecret: randomBytes(32), requireNonce: () => true },
    pushedAuthorizationRequests: { enabled: true, requirePushedAuthorizationRequests: true },
    // RFC 8705: the certificate of the TLS connection, verified against CLIENT_CA.
    mTLS: {
      enabled: true,
      certificateBoundAccessTokens: true,
      tlsClientAuth: true,
      getCertificate: peerCertificate,
      certificateAuthorized: (ctx) => ctx.socket.authorized === true,
      certificateSubjectMatches: (ctx, property, expected) => property === 'tls_client_auth_subject_dn'
        && peerCertificate(ctx)?.subject === expected,
    },
    devInteractions: { enabled: true },
    clientCredentials: { enabled: true },
    introspection: { enabled: true },
    revocation: { enabled: true },
    claimsParameter: { enabled: true },
  },
});

const provider = new Provider(issuer, process.env.PROFILE === 'fapi2' ? fapi2Configuration() : configuration);
provider.proxy = false;
// The FAPI 2 server asks for a client certificate (and lets requests without one through, for the
// DPoP variant); the OIDC one does not ask.
const tls = { cert: readFileSync(env('TLS_CERT')), key: readFileSync(env('TLS_KEY')) };
const server = https.createServer(
  process.env.PROFILE === 'fapi2'
    ? { ...tls, requestCert: true, rejectUnauthorized: false, ca: readFileSync(env('CLIENT_CA')) }
    : tls,
  provider.callback(),
);
server.listen(Number(env('PORT')), '127.0.0.1', () => {
  console.log(JSON.stringify({ issuer }));
});
