// Interop peer for tests/interop: Digital Bazaar's Data Integrity stack (jsonld.js, rdf-canonize,
// @digitalbazaar/vc, data-integrity, eddsa-rdfc-2022 and eddsa-jcs-2022 cryptosuites,
// ed25519-multikey), driven by JSON jobs, one per line on stdin, each answered by one JSON line
// on stdout.
//
// The document loader serves only the context files named by the first job ("init": URL -> file
// path, read once here) and did:key documents, which are computed from the key in the DID itself.
// Any other URL is refused, so nothing is ever fetched from the network.
//
// Jobs:
//   {"op": "init", "contexts": {url: path}}
//   {"op": "sign", "suite", "seed" (64 hex), "created", "text", "api": "vc"|"jsigs"}
//       -> {"text": the signed document}
//   {"op": "verify", "suite", "text", "now", "api"} -> {"verified", "error"}
//   {"op": "canon", "suite", "text"} -> {"document", "proof"?}: the suite's canonical form of
//       the document without its proof and, when it has one, of its proof configuration
// Documents travel as JSON text, parsed here by JSON.parse as any JavaScript verifier would.
// "api": "vc" goes through @digitalbazaar/vc (issue, verifyCredential), "jsigs" straight to
// jsonld-signatures with an assertionMethod purpose.
// Answers: {"ok": true, ...} or {"ok": false, "error": "<message>"}.
import {readFileSync} from 'node:fs';
import {createInterface} from 'node:readline';

import * as Ed25519Multikey from '@digitalbazaar/ed25519-multikey';
import * as vc from '@digitalbazaar/vc';
import {DataIntegrityProof} from '@digitalbazaar/data-integrity';
import {cryptosuite as rdfcSuite} from '@digitalbazaar/eddsa-rdfc-2022-cryptosuite';
import {
  createSignCryptosuite as jcsSign,
  createVerifyCryptosuite as jcsVerify,
} from '@digitalbazaar/eddsa-jcs-2022-cryptosuite';
import canonicalize from 'canonicalize';
import jsigs from 'jsonld-signatures';

const {purposes: {AssertionProofPurpose}} = jsigs;
const contexts = new Map();

function didDocument(did, publicKeyMultibase) {
  const vmId = `${did}#${publicKeyMultibase}`;
  return {
    '@context': [
      'https://www.w3.org/ns/did/v1', 'https://w3id.org/security/multikey/v1'],
    id: did,
    verificationMethod: [{
      id: vmId, type: 'Multikey', controller: did, publicKeyMultibase,
    }],
    authentication: [vmId],
    assertionMethod: [vmId],
  };
}

async function documentLoader(url) {
  if(contexts.has(url)) {
    return {contextUrl: null, documentUrl: url, document: contexts.get(url)};
  }
  const m = /^(did:key:(z6Mk[1-9A-HJ-NP-Za-km-z]+))(#(z6Mk[1-9A-HJ-NP-Za-km-z]+))?$/.exec(url);
  if(m && (!m[3] || m[4] === m[2])) {
    // Decoding checks that the multibase value is an Ed25519 public key.
    await Ed25519Multikey.from({publicKeyMultibase: m[2]});
    const doc = didDocument(m[1], m[2]);
    const vm = {'@context': 'https://w3id.org/security/multikey/v1',
      ...doc.verificationMethod[0]};
    return {contextUrl: null, documentUrl: url, document: m[3] ? vm : doc};
  }
  throw new Error(`interop loader refuses ${url}: not a local context`);
}

function suiteFor(name, signer) {
  if(name === 'eddsa-rdfc-2022') {
    return new DataIntegrityProof({signer, cryptosuite: rdfcSuite});
  }
  if(name === 'eddsa-jcs-2022') {
    return new DataIntegrityProof(
      {signer, cryptosuite: signer ? jcsSign() : jcsVerify()});
  }
  throw new Error(`unknown suite ${name}`);
}

async function keyFromSeed(hex) {
  const seed = Uint8Array.from(Buffer.from(hex, 'hex'));
  const probe = await Ed25519Multikey.generate({seed});
  const did = `did:key:${probe.publicKeyMultibase}`;
  return Ed25519Multikey.generate({seed, controller: did});
}

async function sign({suite, seed, created, text, api}) {
  const document = JSON.parse(text);
  const key = await keyFromSeed(seed);
  const signer = key.signer();
  const s = suiteFor(suite, signer);
  s.date = created;
  if(api === 'vc') {
    return vc.issue({credential: document, suite: s, documentLoader, now: created});
  }
  return jsigs.sign(document, {
    suite: s, purpose: new AssertionProofPurpose(), documentLoader,
  });
}

async function verify({suite, text, now, api}) {
  const document = JSON.parse(text);
  const s = suiteFor(suite, null);
  const result = api === 'vc' ?
    await vc.verifyCredential({credential: document, suite: s, documentLoader, now}) :
    await jsigs.verify(document, {
      suite: s, purpose: new AssertionProofPurpose(), documentLoader,
    });
  return {verified: result.verified, error: result.verified ? null : _errors(result)};
}

function _errors(result) {
  const found = [];
  const walk = e => {
    if(!e) {
      return;
    }
    if(Array.isArray(e)) {
      e.forEach(walk);
      return;
    }
    if(e.errors) {
      walk(e.errors);
    }
    found.push(String(e.message || e));
  };
  walk(result.error);
  for(const r of result.results || []) {
    walk(r.error);
  }
  return [...new Set(found)].join(' | ') || 'not verified';
}

async function canon({suite, text}) {
  const document = JSON.parse(text);
  const {proof} = document;
  const doc = {...document};
  delete doc.proof;
  if(suite === 'eddsa-jcs-2022') {
    const out = {document: canonicalize(doc)};
    if(proof) {
      const config = {...proof};
      delete config.proofValue;
      out.proof = canonicalize(config);
    }
    return out;
  }
  const options = {documentLoader, base: null, safe: true};
  const out = {document: await rdfcSuite.canonize(doc, options)};
  if(proof) {
    const config = {'@context': document['@context'], ...proof};
    delete config.proofValue;
    out.proof = await rdfcSuite.canonize(config, options);
  }
  return out;
}

async function handle(job) {
  switch(job.op) {
    case 'init':
      for(const [url, path] of Object.entries(job.contexts)) {
        contexts.set(url, JSON.parse(readFileSync(path, 'utf8')));
      }
      return {contexts: contexts.size};
    case 'sign':
      return {text: JSON.stringify(await sign(job))};
    case 'verify':
      return verify(job);
    case 'canon':
      return canon(job);
    default:
      throw new Error(`unknown op ${job.op}`);
  }
}

const lines = createInterface({input: process.stdin, crlfDelay: Infinity});
for await (const line of lines) {
  let answer;
  try {
    answer = {ok: true, ...(await handle(JSON.parse(line)))};
  } catch(e) {
    answer = {ok: false, error: String(e && e.message || e)};
  }
  process.stdout.write(JSON.stringify(answer) + '\n');
}
