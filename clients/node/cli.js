#!/usr/bin/env node
// linkgateway-node: calls every linkgateway RPC and prints the answer, or an
// error's google.rpc.Status details, as JSON.
//
//   linkgateway-node [--target 127.0.0.1:50051] [--timeout 30] VERB 'REQUEST JSON'
//
// VERB: delete-registration, get-subscription-info, delete-subscription,
// delete-app-profile, get-profile-transaction; the request is proto3 JSON
// ("-" reads standard input). TLS: --ca-file; mTLS adds --cert-file and
// --key-file; a bearer token comes from --token-file. A failed call prints
// {"error": {...}} and exits with its gRPC code.
'use strict';

const fs = require('fs');
const {connect, explain} = require('./index.js');

const VERBS = {
  'delete-registration': 'DeleteRegistration',
  'get-subscription-info': 'GetSubscriptionInfo',
  'delete-subscription': 'DeleteSubscription',
  'delete-app-profile': 'DeleteAppProfile',
  'get-profile-transaction': 'GetProfileTransaction',
};
const USAGE = 'usage: linkgateway-node [--target HOST:PORT] [--timeout SECONDS] [--ca-file F] ' +
              '[--cert-file F --key-file F] [--token-file F] VERB \'REQUEST JSON\'\n' +
              `VERB: ${Object.keys(VERBS).join(', ')}`;

async function main(argv) {
  const flags = {'--target': 'target', '--timeout': 'timeout', '--ca-file': 'caFile',
                 '--cert-file': 'certFile', '--key-file': 'keyFile', '--token-file': 'tokenFile'};
  const args = {target: '127.0.0.1:50051', timeout: '30'};
  const positional = [];
  for (let i = 0; i < argv.length; i++) {
    if (flags[argv[i]] && i + 1 < argv.length) args[flags[argv[i]]] = argv[++i];
    else if (argv[i].startsWith('--')) return usage();
    else positional.push(argv[i]);
  }
  if (positional.length !== 2 || !VERBS[positional[0]]) return usage();
  let request;
  try {
    request = JSON.parse(positional[1] === '-' ? fs.readFileSync(0, 'utf8') : positional[1]);
  } catch (error) {
    console.error(`the request is not JSON: ${error.message}`);
    return 64;
  }
  const read = (file) => file ? fs.readFileSync(file) : undefined;
  const token = args.tokenFile ? fs.readFileSync(args.tokenFile, 'utf8').split('\n')[0].trim()
                               : undefined;
  const gateway = connect(args.target, {
    tls: {ca: read(args.caFile), cert: read(args.certFile), key: read(args.keyFile)}, token});
  try {
    const answer = await gateway.call(VERBS[positional[0]], request,
                                      {deadlineSeconds: Number(args.timeout)});
    console.log(JSON.stringify(answer, null, 2));
    return 0;
  } catch (error) {
    if (error.code === undefined) {
      console.error(error.message);
      return 64;
    }
    console.log(JSON.stringify({error: explain(error)}));
    return error.code;
  } finally {
    gateway.close();
  }
}

function usage() {
  console.error(USAGE);
  return 64;
}

main(process.argv.slice(2)).then((code) => { process.exitCode = code; });
