#!/usr/bin/env node
// linkgateway-node: calls any linkgateway RPC and prints the answer as JSON.
//
//   linkgateway-node [--target HOST:PORT] [--timeout DURATION] [--ca-file F]
//                    [--cert-file F --key-file F] [--token-file F] VERB ['REQUEST JSON']
//
// The contract every linkgateway CLI keeps (docs/clients/index.md): the
// request is proto3 JSON ("-" reads standard input; default {}); the answer
// is one line of proto3 JSON, one line per message for watch-unlink; a failed
// call prints {"error": {...}} and exits with its gRPC code; a usage error
// exits 64.
'use strict';

const fs = require('fs');
const {connect, explain} = require('./index.js');

const EX_USAGE = 64;
const VERBS = {
  'delete-registration': 'DeleteRegistration',
  'get-subscription-info': 'GetSubscriptionInfo',
  'delete-subscription': 'DeleteSubscription',
  'delete-app-profile': 'DeleteAppProfile',
  'get-profile-transaction': 'GetProfileTransaction',
  'start-unlink': 'StartUnlink',
  'watch-unlink': 'WatchUnlink',
  'get-operation': 'GetOperation',
  'list-operations': 'ListOperations',
  'cancel-operation': 'CancelOperation',
  'wait-operation': 'WaitOperation',
  'delete-operation': 'DeleteOperation',
  'health-check': 'Check',
};
const STREAMS = new Set(['watch-unlink']);
const FLAGS = ['--target', '--timeout', '--ca-file', '--cert-file', '--key-file', '--token-file'];
const HELP = 'linkgateway-node [--target HOST:PORT] [--timeout DURATION] [--ca-file F]\n' +
    '                 [--cert-file F --key-file F] [--token-file F] VERB [\'REQUEST JSON\']\n' +
    `VERB: ${Object.keys(VERBS).join(', ')}\n`;
// A number of seconds, or a number with one unit: 5, 5s, 2.5s, 500ms, 1m, 1h.
const DURATION = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/;
const UNIT_SECONDS = {
  undefined: 1,
  ms: 0.001,
  s: 1,
  m: 60,
  h: 3600
};

class UsageError extends Error {}

function parseDuration(text) {
  const match = DURATION.exec(text);
  if (!match || Number(match[1]) <= 0) {
    throw new UsageError(`--timeout ${text}: not a duration (e.g. 30, 30s, 500ms, 2m)`);
  }
  return Number(match[1]) * UNIT_SECONDS[match[2]];
}

// --flag VALUE or --flag=VALUE; then VERB and an optional request.
function parseArgs(argv) {
  const flags = {'--target': '127.0.0.1:50051', '--timeout': '30'};
  const positional = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (!arg.startsWith('-') || arg === '-') {
      positional.push(arg);
      continue;
    }
    const equals = arg.indexOf('=');
    const name = equals < 0 ? arg : arg.slice(0, equals);
    if (!FLAGS.includes(name)) throw new UsageError(`unknown flag ${name}`);
    if (equals >= 0) {
      flags[name] = arg.slice(equals + 1);
    } else {
      if (i + 1 >= argv.length) throw new UsageError(`${name} needs a value`);
      flags[name] = argv[++i];
    }
  }
  if (positional.length < 1 || positional.length > 2) {
    throw new UsageError('expected VERB and an optional REQUEST JSON');
  }
  if (!VERBS[positional[0]]) throw new UsageError(`unknown verb ${positional[0]}`);
  if (('--cert-file' in flags) !== ('--key-file' in flags)) {
    throw new UsageError('--cert-file and --key-file go together');
  }
  return {flags, positional};
}

function printJson(value) {
  process.stdout.write(JSON.stringify(value) + '\n');
}

async function main(argv) {
  if (argv.length === 1 && (argv[0] === '-h' || argv[0] === '--help')) {
    process.stdout.write(HELP);
    return 0;
  }
  let flags, positional, timeout;
  try {
    ({flags, positional} = parseArgs(argv));
    timeout = parseDuration(flags['--timeout']);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    process.stderr.write(`linkgateway-node: ${error.message}\n${HELP}`);
    return EX_USAGE;
  }
  const [verb, text = '{}'] = positional;
  let gateway;
  try {
    const read = (file) => file ? fs.readFileSync(file) : undefined;
    const token = flags['--token-file'] ?
        fs.readFileSync(flags['--token-file'], 'utf8').split('\n')[0].trim() :
        undefined;
    gateway = connect(flags['--target'], {
      tls: {
        ca: read(flags['--ca-file']),
        cert: read(flags['--cert-file']),
        key: read(flags['--key-file'])
      },
      token
    });
  } catch (error) {
    process.stderr.write(`linkgateway-node: ${error.message}\n`);
    return EX_USAGE;
  }
  try {
    let request;
    try {
      request = JSON.parse(text === '-' ? fs.readFileSync(0, 'utf8') : text);
      if (typeof request !== 'object' || request === null || Array.isArray(request)) {
        throw new Error('not a JSON object');
      }
    } catch (error) {
      process.stderr.write(`linkgateway-node: the request is not JSON: ${error.message}\n`);
      return EX_USAGE;
    }
    // call() and watch() check the request against its message type first:
    // an error without a gRPC code is the request's fault.
    let answers;
    try {
      answers = STREAMS.has(verb) ?
          gateway.watch(VERBS[verb], request, {deadlineSeconds: timeout}) :
          [gateway.call(VERBS[verb], request, {deadlineSeconds: timeout})];
    } catch (error) {
      process.stderr.write(`linkgateway-node: the request is not valid: ${error.message}\n`);
      return EX_USAGE;
    }
    for await (const answer of answers) printJson(answer);
    return 0;
  } catch (error) {
    if (error.code === undefined) throw error;
    printJson({error: explain(error)});
    return error.code;
  } finally {
    gateway.close();
  }
}

main(process.argv.slice(2)).then((code) => { process.exitCode = code; });
