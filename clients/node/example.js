// Calling linkgateway from Node with @grpc/grpc-js and @grpc/proto-loader,
// loading the same .proto files the gateway is built from, and reading the
// google.rpc.Status details of an error from the grpc-status-details-bin
// trailer.
//
//   node example.js --target 127.0.0.1:50051 --rpc-protos DIR \
//       delete-subscription ANY_OFFER_CHANGED demo-subscription-1
//
// --rpc-protos is a directory holding google/rpc/{status,error_details}.proto
// (after `bazel build //...`: bazel-linkgateway/external/googleapis_rpc).
// TLS: --ca-file CA.pem; mTLS adds --cert-file and --key-file; a bearer
// token comes from --token-file (a file, so it stays out of shell history).
'use strict';

const fs = require('fs');
const path = require('path');
const grpc = require('@grpc/grpc-js');
const protoLoader = require('@grpc/proto-loader');
const protobuf = require('protobufjs');

const PROTOS = path.resolve(__dirname, '..', '..', 'protos');

function loadApi() {
  const definition = protoLoader.loadSync(
      ['linkgateway/v1/registrations.proto', 'linkgateway/v1/subscriptions.proto',
       'linkgateway/v1/app_profiles.proto'],
      {keepCase: false, longs: String, enums: String, defaults: false, oneofs: true,
       includeDirs: [PROTOS]});
  return grpc.loadPackageDefinition(definition).linkgateway.v1;
}

// google.rpc.Status and its detail messages, decoded with protobufjs.
function loadErrorTypes(rpcProtos) {
  const root = new protobuf.Root();
  root.resolvePath = (origin, target) => path.join(rpcProtos, target);
  root.loadSync(['google/rpc/status.proto', 'google/rpc/error_details.proto']);
  return root;
}

// A failed call's rich error details, in readable form.
function explain(error, errorTypes) {
  const out = {code: grpc.status[error.code], message: error.details};
  const raw = error.metadata && error.metadata.get('grpc-status-details-bin')[0];
  if (!raw) return out;
  const status = errorTypes.lookupType('google.rpc.Status').decode(raw);
  for (const any of status.details) {
    const typeName = any.type_url.split('/').pop();
    const type = errorTypes.lookupTypeOrEnum(typeName);
    const detail = type.toObject(type.decode(any.value), {longs: String});
    if (typeName === 'google.rpc.ErrorInfo') {
      out.reason = detail.reason;
      out.domain = detail.domain;
      out.upstreamRequestId = (detail.metadata || {}).upstreamRequestId;
      out.metadata = detail.metadata;
    } else if (typeName === 'google.rpc.RetryInfo') {
      out.retryDelaySeconds = Number(detail.retryDelay.seconds || 0) +
                              (detail.retryDelay.nanos || 0) / 1e9;
    } else if (typeName === 'google.rpc.BadRequest') {
      out.fieldViolations = detail.fieldViolations;
    }
  }
  return out;
}

function call(client, method, request, deadlineSeconds, metadata) {
  const deadline = new Date(Date.now() + deadlineSeconds * 1000);
  return new Promise((resolve, reject) => {
    client[method](request, metadata, {deadline},
                   (error, response) => error ? reject(error) : resolve(response));
  });
}

// Plaintext, TLS, or mTLS, as the arguments say.
function credentialsFor(args) {
  if (!args.caFile && !args.certFile) return grpc.credentials.createInsecure();
  const read = (file) => file ? fs.readFileSync(file) : null;
  return grpc.credentials.createSsl(read(args.caFile), read(args.keyFile), read(args.certFile));
}

async function main(argv) {
  const args = {target: '127.0.0.1:50051', rpcProtos: null, rest: []};
  const options = {'--target': 'target', '--rpc-protos': 'rpcProtos', '--ca-file': 'caFile',
                   '--cert-file': 'certFile', '--key-file': 'keyFile',
                   '--token-file': 'tokenFile'};
  for (let i = 0; i < argv.length; i++) {
    if (options[argv[i]]) args[options[argv[i]]] = argv[++i];
    else args.rest.push(argv[i]);
  }
  if (!args.rpcProtos || args.rest.length < 1) {
    console.error('usage: node example.js [--target HOST:PORT] --rpc-protos DIR VERB ARGS...');
    return 64;
  }
  const api = loadApi();
  const errorTypes = loadErrorTypes(args.rpcProtos);
  const credentials = credentialsFor(args);
  const metadata = new grpc.Metadata();
  if (args.tokenFile) {
    const token = fs.readFileSync(args.tokenFile, 'utf8').split('\n')[0].trim();
    metadata.add('authorization', `Bearer ${token}`);
  }
  const [verb, ...rest] = args.rest;
  let client, method, request;
  if (verb === 'delete-subscription') {
    client = new api.SubscriptionService(args.target, credentials);
    method = 'DeleteSubscription';
    request = {sellingPartner: {notificationType: rest[0], subscriptionId: rest[1]}};
  } else if (verb === 'delete-registration') {
    client = new api.RegistrationService(args.target, credentials);
    method = 'DeleteRegistration';
    request = {smsVoice: {registrationId: rest[0]}};
  } else if (verb === 'profile-status') {
    client = new api.AppProfileService(args.target, credentials);
    method = 'GetProfileTransaction';
    request = {imiconnect: {transactionId: rest[0]}};
  } else {
    console.error(`unknown verb ${verb}`);
    return 64;
  }
  try {
    const response = await call(client, method, request, 30, metadata);
    console.log(JSON.stringify(response));
    return 0;
  } catch (error) {
    console.log(JSON.stringify({error: explain(error, errorTypes)}));
    return 1;
  } finally {
    client.close();
  }
}

main(process.argv.slice(2)).then((code) => { process.exitCode = code; });
