// provider.mjs runs a real OpenID Provider (the certified oidc-provider
// package, 8.x: 9.x declares Node.js 22 its minimum) for the Go interop tests in ../provider_test.go.
//
// Environment:
//   INTEROP_TLS_CERT, INTEROP_TLS_KEY  PEM files of the server certificate
//                                      (made by the Go test for 127.0.0.1)
//   INTEROP_CLIENT_SECRET              the secret of every client below
//
// It listens on 127.0.0.1 on a port chosen by the kernel, serves the issuer
// https://127.0.0.1:PORT and prints one JSON line per event on stdout:
//   {"event":"ready","issuer":...,"port":...,"kids":{"RS256":...}}
//   {"event":"rotated","generation":2,"kids":{...},"published":[...]}
// Commands are read from stdin, one per line:
//   rotate       new keys for RS256, ES256 and PS256 sign from now on; the
//                old keys stay published after them (a graceful rotation)
//   rotate-drop  the same, but the old keys are no longer published
// The process exits when stdin closes or on SIGTERM/SIGINT.
//
// Clients (all with client_secret_basic):
//   svc                 grant client_credentials; resources below
//   web-rs256|es256|ps256
//                       authorization_code with ID tokens signed with that alg;
//                       the login is finished automatically as "alice"
// Resources (resource indicators, RFC 8707) issue JWT access tokens whose
// audience is the resource URL, each signed with its own algorithm:
//   https://rs256.api.interop.test, https://es256.api.interop.test,
//   https://ps256.api.interop.test
import { readFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import * as https from 'node:https';
import * as readline from 'node:readline';

import Provider, { errors } from 'oidc-provider';
import * as jose from 'jose';

const ALGS = ['RS256', 'ES256', 'PS256'];
const RESOURCE_SCOPES = 'api:read api:write';

function env(name) {
  const v = process.env[name];
  if (!v) {
    console.error(`provider.mjs: ${name} is not set`);
    process.exit(2);
  }
  return v;
}

const cert = readFileSync(env('INTEROP_TLS_CERT'));
const key = readFileSync(env('INTEROP_TLS_KEY'));
const clientSecret = env('INTEROP_CLIENT_SECRET');

function emit(obj) {
  process.stdout.write(`${JSON.stringify(obj)}\n`);
}

// newKeys returns one private JWK per algorithm, each with a kid that names
// the generation, so a test can tell old keys from new ones.
async function newKeys(generation) {
  const keys = [];
  for (const alg of ALGS) {
    const { privateKey } = await jose.generateKeyPair(alg, { extractable: true });
    const jwk = await jose.exportJWK(privateKey);
    const thumb = await jose.calculateJwkThumbprint(jwk);
    keys.push({
      ...jwk, alg, use: 'sig', kid: `g${generation}-${alg.toLowerCase()}-${thumb.slice(0, 8)}`,
    });
  }
  return keys;
}

const ACCOUNTS = {
  alice: {
    email: 'alice@interop.test', email_verified: true, groups: ['dev', 'ops'], name: 'Alice',
  },
};

function resourceServer(resource) {
  const m = /^https:\/\/(rs256|es256|ps256)\.api\.interop\.test$/.exec(resource);
  if (!m) return undefined;
  return {
    scope: RESOURCE_SCOPES,
    audience: resource,
    accessTokenTTL: 10 * 60,
    accessTokenFormat: 'jwt',
    jwt: { sign: { alg: m[1].toUpperCase() } },
  };
}

function buildProvider(issuer, keys) {
  const cookieKey = randomBytes(32).toString('base64url');
  const provider = new Provider(issuer, {
    jwks: { keys },
    cookies: { keys: [cookieKey] },
    clients: [
      {
        client_id: 'svc',
        client_secret: clientSecret,
        grant_types: ['client_credentials'],
        response_types: [],
        redirect_uris: [],
        scope: RESOURCE_SCOPES,
      },
      ...ALGS.map((alg) => ({
        client_id: `web-${alg.toLowerCase()}`,
        client_secret: clientSecret,
        grant_types: ['authorization_code'],
        response_types: ['code'],
        redirect_uris: [`${issuer}/cb`],
        id_token_signed_response_alg: alg,
      })),
    ],
    scopes: ['openid', 'email', 'groups', 'profile', ...RESOURCE_SCOPES.split(' ')],
    claims: {
      openid: ['sub'],
      email: ['email', 'email_verified'],
      groups: ['groups'],
      profile: ['name'],
    },
    // ID tokens carry the scope's claims even when an access token is
    // issued too, as most providers' ID tokens do.
    conformIdTokenClaims: false,
    findAccount(ctx, id) {
      const account = ACCOUNTS[id];
      if (!account) return undefined;
      return {
        accountId: id,
        async claims() {
          return { sub: id, ...account };
        },
      };
    },
    features: {
      devInteractions: { enabled: false },
      clientCredentials: { enabled: true },
      resourceIndicators: {
        enabled: true,
        defaultResource() {
          return undefined;
        },
        useGrantedResource() {
          return false;
        },
        async getResourceServerInfo(ctx, resource) {
          const rs = resourceServer(resource);
          if (!rs) throw new errors.InvalidTarget();
          return rs;
        },
      },
    },
    interactions: {
      url(ctx, interaction) {
        return `/interaction/${interaction.uid}`;
      },
    },
    ttl: {
      AccessToken: 10 * 60,
      ClientCredentials: 10 * 60,
      IdToken: 10 * 60,
      AuthorizationCode: 60,
      Grant: 10 * 60,
      Interaction: 60,
      Session: 10 * 60,
    },
  });
  return provider;
}

// finishInteraction logs "alice" in and grants the requested scopes, so an
// authorization code flow completes without a browser.
async function finishInteraction(provider, req, res) {
  const details = await provider.interactionDetails(req, res);
  const { params, prompt } = details;
  const result = {};
  let accountId = details.session?.accountId;
  if (prompt.name === 'login' || !accountId) {
    accountId = 'alice';
    result.login = { accountId };
  }
  const grant = details.grantId
    ? await provider.Grant.find(details.grantId)
    : new provider.Grant({ accountId, clientId: params.client_id });
  grant.addOIDCScope(String(params.scope || 'openid'));
  result.consent = { grantId: await grant.save() };
  await provider.interactionFinished(req, res, result, { mergeWithLastSubmission: false });
}

const state = { provider: undefined, keys: [], generation: 1 };

const server = https.createServer({ cert, key }, (req, res) => {
  const { provider } = state;
  if (req.url.startsWith('/interaction/')) {
    finishInteraction(provider, req, res).catch((err) => {
      console.error(`provider.mjs: interaction: ${err}`);
      res.statusCode = 500;
      res.end('interaction failed');
    });
    return;
  }
  provider.callback()(req, res);
});

function kidsByAlg(keys) {
  const out = {};
  for (const k of keys) if (!out[k.alg]) out[k.alg] = k.kid;
  return out;
}

async function rotate(keepOld) {
  state.generation += 1;
  const fresh = await newKeys(state.generation);
  // Keys are selected for signing in order, so the new ones go first.
  const keys = keepOld ? [...fresh, ...state.keys] : fresh;
  state.provider = buildProvider(state.issuer, keys);
  state.keys = keys;
  emit({
    event: 'rotated', generation: state.generation, kids: kidsByAlg(fresh), published: keys.map((k) => k.kid),
  });
}

server.listen(0, '127.0.0.1', async () => {
  const { port } = server.address();
  state.issuer = `https://127.0.0.1:${port}`;
  state.keys = await newKeys(state.generation);
  state.provider = buildProvider(state.issuer, state.keys);
  emit({
    event: 'ready', issuer: state.issuer, port, kids: kidsByAlg(state.keys),
  });
});

function stop() {
  server.close();
  server.closeAllConnections();
  process.exit(0);
}
process.on('SIGTERM', stop);
process.on('SIGINT', stop);

const commands = readline.createInterface({ input: process.stdin });
let queue = Promise.resolve();
commands.on('line', (line) => {
  const cmd = line.trim();
  queue = queue.then(async () => {
    switch (cmd) {
      case 'rotate': await rotate(true); break;
      case 'rotate-drop': await rotate(false); break;
      case '': break;
      default: emit({ event: 'error', message: `unknown command ${JSON.stringify(cmd)}` });
    }
  }).catch((err) => emit({ event: 'error', message: String(err) }));
});
commands.on('close', () => queue.then(stop));
