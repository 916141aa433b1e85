// jose.mjs mints tokens with an independent JOSE implementation (the npm
// "jose" package) for the Go interop tests in ../jose_test.go.
//
// Environment:
//   INTEROP_ISSUER    the "iss" of every token (the Go test's TLS issuer)
//   INTEROP_AUDIENCE  the "aud" of every token
//
// It prints one JSON document on stdout:
//   jwks      the public keys, one per algorithm, each with kid, alg and use
//   tokens    for each of the nine algorithms, a token with "kid" in its
//             header and one without; "sub" names the pair (jose-RS256-kid)
//   negative  twins that must be rejected, each with "want", the check that
//             must reject it (signature, algorithm or malformed):
//             tampered   a claim changed after signing
//             wrong-key  signed by a key that is not published (with the
//                        published key's kid, and without a kid)
//             alg        the header's alg changed to another algorithm after
//                        signing, the signature kept
//             hs256      HMAC keyed with the published public key (the
//                        classic algorithm-confusion attack)
//             none       an unsecured JWS (alg "none", empty signature)
import { readFileSync } from 'node:fs';

import * as jose from 'jose';

const ALGS = ['RS256', 'RS384', 'RS512', 'ES256', 'ES384', 'ES512', 'PS256', 'PS384', 'PS512'];

// otherAlg names, for each algorithm, the one its "alg" header is changed
// to in the "alg" twin: the same key type, so only the declared algorithm
// (and the hash) can catch it.
const OTHER_ALG = {
  RS256: 'RS384', RS384: 'RS512', RS512: 'PS512',
  ES256: 'ES384', ES384: 'ES256', ES512: 'ES256',
  PS256: 'PS384', PS384: 'RS384', PS512: 'PS256',
};

function env(name) {
  const v = process.env[name];
  if (!v) {
    console.error(`jose.mjs: ${name} is not set`);
    process.exit(2);
  }
  return v;
}

const issuer = env('INTEROP_ISSUER');
const audience = env('INTEROP_AUDIENCE');

const b64 = (s) => Buffer.from(s).toString('base64url');
const unb64 = (s) => Buffer.from(s, 'base64url').toString();

async function sign(alg, key, { kid, sub, claims = {} }) {
  const header = { alg, typ: 'JWT' };
  if (kid) header.kid = kid;
  return new jose.SignJWT({ email: `${sub}@jose.test`, groups: ['jose', alg.toLowerCase()], ...claims })
    .setProtectedHeader(header)
    .setIssuer(issuer)
    .setAudience(audience)
    .setSubject(sub)
    .setIssuedAt()
    .setNotBefore('0s')
    .setExpirationTime('1h')
    .sign(key);
}

// replaceHeader swaps the protected header, keeping payload and signature.
function replaceHeader(token, mutate) {
  const [h, p, s] = token.split('.');
  const header = JSON.parse(unb64(h));
  mutate(header);
  return [b64(JSON.stringify(header)), p, s].join('.');
}

// replacePayload swaps the payload, keeping header and signature.
function replacePayload(token, mutate) {
  const [h, p, s] = token.split('.');
  const payload = JSON.parse(unb64(p));
  mutate(payload);
  return [h, b64(JSON.stringify(payload)), s].join('.');
}

const joseVersion = JSON.parse(readFileSync(new URL('./node_modules/jose/package.json', import.meta.url))).version;

const keys = [];
const tokens = [];
const negative = [];

for (const alg of ALGS) {
  const { publicKey, privateKey } = await jose.generateKeyPair(alg);
  const jwk = await jose.exportJWK(publicKey);
  const kid = `jose-${alg.toLowerCase()}-${(await jose.calculateJwkThumbprint(jwk)).slice(0, 10)}`;
  keys.push({ ...jwk, kid, alg, use: 'sig' });

  for (const withKid of [true, false]) {
    const sub = `jose-${alg}-${withKid ? 'kid' : 'nokid'}`;
    tokens.push({
      alg, kid: withKid ? kid : '', sub, token: await sign(alg, privateKey, { kid: withKid ? kid : undefined, sub }),
    });
  }

  const good = await sign(alg, privateKey, { kid, sub: `jose-${alg}-victim` });
  negative.push({
    name: `${alg}/tampered`, alg, want: 'signature',
    token: replacePayload(good, (p) => { p.sub = 'admin'; p.groups = ['system:masters']; }),
  });
  negative.push({
    name: `${alg}/tampered-no-kid`, alg, want: 'signature',
    token: replacePayload(replaceHeader(good, (h) => { delete h.kid; }), (p) => { p.exp += 3600; }),
  });
  const { privateKey: stranger } = await jose.generateKeyPair(alg);
  negative.push({
    name: `${alg}/wrong-key`, alg, want: 'signature',
    token: await sign(alg, stranger, { kid, sub: `jose-${alg}-stranger` }),
  });
  negative.push({
    name: `${alg}/wrong-key-no-kid`, alg, want: 'signature',
    token: await sign(alg, stranger, { sub: `jose-${alg}-stranger` }),
  });
  negative.push({
    name: `${alg}/alg-${OTHER_ALG[alg]}`, alg: OTHER_ALG[alg], want: 'signature',
    token: replaceHeader(good, (h) => { h.alg = OTHER_ALG[alg]; }),
  });
  // HS256 keyed with the public key as published (the JWK's JSON), which
  // a verifier that lets the header pick the algorithm might accept.
  const secret = new TextEncoder().encode(JSON.stringify(keys.at(-1)));
  negative.push({
    name: `${alg}/hs256-confusion`, alg: 'HS256', want: 'algorithm',
    token: await sign('HS256', secret, { kid, sub: `jose-${alg}-hmac` }),
  });
}

negative.push({
  name: 'none', alg: 'none', want: 'malformed',
  token: `${new jose.UnsecuredJWT({ sub: 'jose-none' })
    .setIssuer(issuer).setAudience(audience).setIssuedAt().setExpirationTime('1h')
    .encode()}`,
});

process.stdout.write(`${JSON.stringify({
  versions: { jose: joseVersion, node: process.version },
  jwks: { keys },
  tokens,
  negative,
})}\n`);
