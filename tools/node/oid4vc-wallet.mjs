// An independent wallet for tests/interop/test_oid4vc_wallet.py: the OpenWallet Foundation's
// OpenID4VC libraries (@openid4vc/openid4vci, oauth2, openid4vp, utils; the ones under Credo)
// drive ecert's issuer and verifier, and Digital Bazaar's Data Integrity stack signs the
// presentation (the @openid4vc libraries check ldp_vc shapes only and sign no ldp_vp).
//
// One job, as JSON on stdin (secrets stay out of argv); one JSON answer on stdout:
//   {"op": "receive", "offer": "openid-credential-offer://…", "txCode": "123456",
//    "seed": <64 hex: the holder's Ed25519 seed>}
//     -> {"ok": true, "holder": <did:key>, "credentialConfigurationId", "credential",
//         "tokenResponse": <fields of the token response, the token itself left out>,
//         "issuerVersion": <the OpenID4VCI version the library recognised>}
//   {"op": "present", "request": "openid4vp://…", "seed": <hex>, "credentials": [<ldp_vc>, …],
//    "contexts": {url: path}}
//     -> {"ok": true, "clientId", "queryId", "status": <HTTP status of the direct_post>,
//         "body": <its JSON body>, "presentation": <the VP sent>}
// Failures: {"ok": false, "error": "<class>: <message>", "details": …} and exit code 1.
//
// The holder key is an Ed25519 did:key; JWTs (the key proof) are signed by the same key.
// The verifier's Request Object is checked offline: its client_id is
// decentralized_identifier:did:key:…, whose key is in the DID itself. HTTPS only: the libraries
// refuse http:// URLs, and the test's private CA is trusted through NODE_EXTRA_CA_CERTS.
import {createHash, randomBytes} from 'node:crypto';
import {readFileSync} from 'node:fs';

import {Oauth2Error, clientAuthenticationAnonymous} from '@openid4vc/oauth2';
import {Openid4vciClient} from '@openid4vc/openid4vci';
import {Openid4vpClient} from '@openid4vc/openid4vp';
import {encodeToBase64Url, decodeBase64} from '@openid4vc/utils';
import * as Ed25519Multikey from '@digitalbazaar/ed25519-multikey';
import * as vc from '@digitalbazaar/vc';
import {DataIntegrityProof} from '@digitalbazaar/data-integrity';
import {cryptosuite as rdfcSuite} from '@digitalbazaar/eddsa-rdfc-2022-cryptosuite';
import {DcqlQuery} from 'dcql';
import jsonld from 'jsonld';

const DID_KEY = /^did:key:(z6Mk[1-9A-HJ-NP-Za-km-z]+)(?:#(z6Mk[1-9A-HJ-NP-Za-km-z]+))?$/;
const contexts = new Map();

function utf8(text) {
  return new TextEncoder().encode(text);
}

async function holderKey(seedHex) {
  const seed = Uint8Array.from(Buffer.from(seedHex, 'hex'));
  const probe = await Ed25519Multikey.generate({seed});
  const did = `did:key:${probe.publicKeyMultibase}`;
  const key = await Ed25519Multikey.generate({seed, controller: did});
  return {key, did, vm: `${did}#${probe.publicKeyMultibase}`};
}

// The key of a did:key DID URL, from the DID alone (no network): the fragment, when there is
// one, must name that same key (the did:key method's only verification method).
async function resolveDidKey(didUrl) {
  const m = DID_KEY.exec(didUrl);
  if(!m || (m[2] && m[2] !== m[1])) {
    throw new Error(`only did:key verification methods are resolved, not ${didUrl}`);
  }
  return Ed25519Multikey.from({
    id: `did:key:${m[1]}#${m[1]}`, controller: `did:key:${m[1]}`,
    publicKeyMultibase: m[1],
  });
}

// Every HTTP exchange the libraries make, for the answer's "trace": method, URL without its
// query, status and media type (never a body: the bodies carry codes and tokens).
const trace = [];

async function tracedFetch(url, init) {
  const response = await fetch(url, init);
  const where = new URL(String(url));
  trace.push({
    method: (init?.method || 'GET').toUpperCase(), url: `${where.origin}${where.pathname}`,
    status: response.status, contentType: response.headers.get('content-type'),
  });
  return response;
}

function callbacks(holder) {
  return {
    fetch: tracedFetch,
    hash: (data, alg) => {
      const name = {'sha-256': 'sha256', 'sha-384': 'sha384', 'sha-512': 'sha512'}[alg];
      if(!name) {
        throw new Error(`unsupported hash ${alg}`);
      }
      return new Uint8Array(createHash(name).update(data).digest());
    },
    generateRandom: bytes => new Uint8Array(randomBytes(bytes)),
    clientAuthentication: clientAuthenticationAnonymous(),
    signJwt: async (signer, {header, payload}) => {
      if(!holder || signer.method !== 'did' || signer.didUrl !== holder.vm) {
        throw new Error(`this wallet signs only with its own did:key, not ${signer.method}`);
      }
      if(header.alg !== 'EdDSA') {
        throw new Error(`this wallet signs EdDSA only, not ${header.alg}`);
      }
      const input = `${encodeToBase64Url(utf8(JSON.stringify(header)))}.` +
        encodeToBase64Url(utf8(JSON.stringify(payload)));
      const signature = await holder.key.signer().sign({data: utf8(input)});
      const signerJwk = await Ed25519Multikey.toJwk({keyPair: holder.key});
      return {jwt: `${input}.${encodeToBase64Url(signature)}`, signerJwk};
    },
    verifyJwt: async (signer, {compact, header}) => {
      // RFC 7515 §5.2 over the signing input as sent; EdDSA (RFC 8037) with an Ed25519 did:key.
      if(signer.method !== 'did' || header.alg !== 'EdDSA') {
        return {verified: false};
      }
      const key = await resolveDidKey(signer.didUrl);
      const [h, p, s] = compact.split('.');
      const verified = await key.verifier().verify(
        {data: utf8(`${h}.${p}`), signature: decodeBase64(s)});
      const signerJwk = await Ed25519Multikey.toJwk({keyPair: key});
      return verified ? {verified: true, signerJwk} : {verified: false};
    },
    decryptJwe: () => {
      throw new Error('this wallet takes no encrypted requests');
    },
    encryptJwe: () => {
      throw new Error('this wallet sends no encrypted responses');
    },
  };
}

// How the library reads a refusal: the OAuth error it parsed from the body (token endpoint:
// Oauth2ClientErrorResponseError; credential endpoint: Openid4vciRetrieveCredentialsError with
// the parsed credential error response) and the WWW-Authenticate challenge it parsed.
async function refusal(attempt) {
  try {
    await attempt();
  } catch(error) {
    const parsed = error.response?.credentialErrorResponseResult;
    return {
      class: error.constructor.name,
      status: error.response?.status ?? error.response?.response?.status,
      error: error.errorResponse?.error ?? (parsed?.success ? parsed.data.error : undefined),
      wwwAuthenticate: error.response?.wwwAuthenticate,
    };
  }
  return {class: null};
}

function otherCode(code) {
  return code.replace(/^./, c => String((Number(c) + 1) % 10));
}

async function receive({offer, txCode, seed, probes = false}) {
  const holder = await holderKey(seed);
  const client = new Openid4vciClient({callbacks: callbacks(holder)});
  const signer = {method: 'did', didUrl: holder.vm, alg: 'EdDSA'};
  const credentialOffer = await client.resolveCredentialOffer(offer);
  const issuerMetadata = await client.resolveIssuerMetadata(credentialOffer.credential_issuer);
  const [configurationId] = credentialOffer.credential_configuration_ids;
  const refused = {};
  if(probes) {
    // A wrong tx_code (one of the offer's tries; the right one still works after it).
    refused.wrongTxCode = await refusal(() =>
      client.retrievePreAuthorizedCodeAccessTokenFromOffer(
        {credentialOffer, issuerMetadata, txCode: otherCode(txCode)}));
  }
  const {accessTokenResponse} = await client.retrievePreAuthorizedCodeAccessTokenFromOffer({
    credentialOffer, issuerMetadata, txCode,
  });
  const accessToken = accessTokenResponse.access_token;
  const proof = async nonce => (await client.createCredentialRequestJwtProof({
    issuerMetadata, credentialConfigurationId: configurationId, signer, nonce,
    issuedAt: new Date(),
  })).jwt;
  const ask = jwt => client.retrieveCredentials({
    issuerMetadata, accessToken, credentialConfigurationId: configurationId,
    proofs: {jwt: [jwt]},
  });
  if(probes) {
    // A key proof over a nonce the issuer never gave: invalid_nonce, the token still usable.
    refused.unknownNonce = await refusal(async () => ask(await proof('not-a-c-nonce')));
  }
  // OpenID4VCI 1.0 §7: the c_nonce comes from the nonce endpoint, not the token response.
  const {c_nonce: nonce} = await client.requestNonce({issuerMetadata});
  const jwt = await proof(nonce);
  const {credentialResponse} = await ask(jwt);
  if(probes) {
    // The same token again, once it has been spent.
    refused.spentToken = await refusal(() => ask(jwt));
  }
  const {access_token: _secret, ...tokenResponse} = accessTokenResponse;
  return {
    holder: holder.did,
    credentialConfigurationId: configurationId,
    credential: credentialResponse.credentials[0].credential,
    tokenResponse,
    issuerVersion: issuerMetadata.originalDraftVersion,
    refused,
  };
}

async function documentLoader(url) {
  if(contexts.has(url)) {
    return {contextUrl: null, documentUrl: url, document: contexts.get(url)};
  }
  const m = DID_KEY.exec(url);
  if(m) {
    const key = await resolveDidKey(url);
    const vm = {
      id: `did:key:${m[1]}#${m[1]}`, type: 'Multikey', controller: `did:key:${m[1]}`,
      publicKeyMultibase: key.publicKeyMultibase,
    };
    const document = m[2] ?
      {'@context': 'https://w3id.org/security/multikey/v1', ...vm} :
      {
        '@context': ['https://www.w3.org/ns/did/v1', 'https://w3id.org/security/multikey/v1'],
        id: vm.controller, verificationMethod: [vm],
        authentication: [vm.id], assertionMethod: [vm.id],
      };
    return {contextUrl: null, documentUrl: url, document};
  }
  throw new Error(`the wallet's loader refuses ${url}: not a local context`);
}

// DCQL (OpenID4VP 1.0 §6) with the OpenWallet Foundation's dcql library, as Credo runs it: each
// ldp_vc credential is described by its JSON-LD-expanded types (meta.type_values holds expanded
// IRIs, Appendix B.1.1) and its claims; the query must parse, validate and be satisfied.
async function dcqlCandidate(credential) {
  const [expanded] = await jsonld.expand(credential, {documentLoader, safe: true});
  return {
    credential_format: 'ldp_vc', type: expanded['@type'] ?? [],
    claims: credential, cryptographic_holder_binding: true,
  };
}

async function answerQuery(dcqlQuery, credentials) {
  const query = DcqlQuery.parse(dcqlQuery);
  DcqlQuery.validate(query);
  const candidates = await Promise.all(credentials.map(dcqlCandidate));
  const result = DcqlQuery.query(query, candidates);
  if(!result.can_be_satisfied) {
    throw new Error(`no credential answers the DCQL query: ${JSON.stringify(result)}`);
  }
  const [{id}] = query.credentials;
  const {valid_credentials: valid} = result.credential_matches[id];
  return {id, credential: credentials[valid[0].input_credential_index]};
}

async function submitted(client, authorizationRequestPayload, authorizationResponsePayload) {
  const {response} = await client.submitOpenid4vpAuthorizationResponse(
    {authorizationRequestPayload, authorizationResponsePayload});
  const text = await response.text();
  let body = text;
  try {
    body = JSON.parse(text);
  } catch {
    // Not JSON: reported as text.
  }
  return {status: response.status, contentType: response.headers.get('content-type'), body};
}

async function present({request, seed, credentials, contexts: files, decline, replay}) {
  for(const [url, path] of Object.entries(files)) {
    contexts.set(url, JSON.parse(readFileSync(path, 'utf8')));
  }
  const holder = await holderKey(seed);
  const client = new Openid4vpClient({callbacks: callbacks(holder)});
  const parsed = client.parseOpenid4vpAuthorizationRequest({authorizationRequest: request});
  const resolved = await client.resolveOpenId4vpAuthorizationRequest({
    authorizationRequestPayload: parsed.params,
  });
  const payload = resolved.authorizationRequestPayload;
  if(resolved.client.prefix !== 'decentralized_identifier' || !resolved.jar) {
    throw new Error(`expected a signed request from a DID, got ${resolved.client.prefix}`);
  }
  if(decline) {
    // The holder says no: an error response (OpenID4VP 1.0 §8.5) to the response_uri.
    const {authorizationResponsePayload} = await client.createOpenid4vpAuthorizationResponse({
      authorizationRequestPayload: payload,
      authorizationResponsePayload: {error: 'access_denied', error_description: 'declined'},
    });
    return {
      clientId: payload.client_id,
      ...await submitted(client, payload, authorizationResponsePayload),
    };
  }
  const query = await answerQuery(resolved.dcql.query, credentials);
  // OpenID4VP 1.0 Appendix B.1.3.2.5: challenge = nonce, domain = the full client_id.
  const unsigned = {
    '@context': ['https://www.w3.org/ns/credentials/v2'],
    type: ['VerifiablePresentation'],
    holder: holder.did,
    verifiableCredential: [query.credential],
  };
  const suite = new DataIntegrityProof({signer: holder.key.signer(), cryptosuite: rdfcSuite});
  const presentation = await vc.signPresentation({
    presentation: unsigned, suite, documentLoader,
    challenge: payload.nonce, domain: payload.client_id,
  });
  const {authorizationResponsePayload} = await client.createOpenid4vpAuthorizationResponse({
    authorizationRequestPayload: payload,
    authorizationResponsePayload: {vp_token: {[query.id]: [presentation]}},
  });
  const sent = await submitted(client, payload, authorizationResponsePayload);
  return {
    clientId: payload.client_id, queryId: query.id, ...sent, presentation,
    version: resolved.version,
    // The same response again: a replay the verifier must refuse.
    replayed: replay ? await submitted(client, payload, authorizationResponsePayload) : undefined,
  };
}

function describe(error) {
  const details = {};
  for(const name of ['errorResponse', 'responseText', 'zodError']) {
    if(error && error[name] !== undefined) {
      details[name] = error[name];
    }
  }
  if(error?.response?.status) {
    details.status = error.response.status;
  }
  if(error?.cause) {
    details.cause = String(error.cause.message || error.cause);
  }
  return details;
}

async function main() {
  const chunks = [];
  for await (const chunk of process.stdin) {
    chunks.push(chunk);
  }
  const job = JSON.parse(Buffer.concat(chunks).toString('utf8'));
  const run = {receive, present}[job.op];
  if(!run) {
    throw new Oauth2Error(`unknown op ${job.op}`);
  }
  return run(job);
}

try {
  const answer = await main();
  process.stdout.write(JSON.stringify({ok: true, ...answer, trace}) + '\n');
} catch(error) {
  const name = error?.constructor?.name || 'Error';
  process.stdout.write(JSON.stringify({
    ok: false, error: `${name}: ${error?.message || error}`, details: describe(error), trace,
  }) + '\n');
  process.exitCode = 1;
}
