// linkgateway's Node client: the API's messages and a client for each
// service, from the .proto files this package carries (google/rpc from the
// google-proto-files package), with protobufjs and @grpc/grpc-js.
//
//   const {connect, explain} = require('linkgateway-client');
//   const gateway = connect('127.0.0.1:50051');
//   const answer = await gateway.call('DeleteSubscription', {sellingPartner: {...}}, {deadlineSeconds: 30});
//
// A delete without a requestId gets a fresh one; pass the same one again to
// retry it safely.
//
// Messages are proto3 JSON objects in and out (camelCase names, enums by
// name, int64 and Timestamp as strings).
'use strict';

const crypto = require('crypto');
const fs = require('fs');
const path = require('path');
const grpc = require('@grpc/grpc-js');
const protobuf = require('protobufjs');

const API_FILES = ['linkgateway/v1/registrations.proto', 'linkgateway/v1/subscriptions.proto',
                   'linkgateway/v1/app_profiles.proto'];
const RPC_FILES = ['google/rpc/status.proto', 'google/rpc/error_details.proto'];

// The .proto files: the package's own copy (npm pack puts it there), or the
// repository's protos/ when run from a checkout.
function protoDirectories() {
  const own = path.join(__dirname, 'protos');
  const checkout = path.join(__dirname, '..', '..', 'protos');
  const api = fs.existsSync(path.join(own, API_FILES[0])) ? own : checkout;
  const googleapis = path.dirname(require.resolve('google-proto-files/package.json'));
  return [api, googleapis];
}

// proto3 JSON for Timestamp and Duration (protobufjs knows only Any's).
function rfc3339(seconds, nanos) {
  const text = new Date(Number(seconds) * 1000).toISOString().replace('.000Z', '');
  const fraction = nanos ? '.' + String(nanos).padStart(9, '0').replace(/(000)+$/, '') : '';
  return `${text.replace(/Z$/, '')}${fraction}Z`;
}
protobuf.wrappers['.google.protobuf.Timestamp'] = {
  fromObject(object) {
    if (typeof object !== 'string') return this.fromObject(object);
    const millis = Date.parse(object);
    const fraction = (object.match(/\.(\d+)Z$/) || [null, ''])[1].padEnd(9, '0');
    return this.create({seconds: Math.floor(millis / 1000), nanos: Number(fraction)});
  },
  toObject(message, options) {
    if (options && options.json) return rfc3339(message.seconds, message.nanos);
    return this.toObject(message, options);
  },
};
protobuf.wrappers['.google.protobuf.Duration'] = {
  fromObject(object) {
    if (typeof object !== 'string') return this.fromObject(object);
    const [seconds, fraction = ''] = object.replace(/s$/, '').split('.');
    return this.create({seconds: Number(seconds), nanos: Number(fraction.padEnd(9, '0'))});
  },
  toObject(message, options) {
    if (!(options && options.json)) return this.toObject(message, options);
    return `${Number(message.seconds) + (message.nanos || 0) / 1e9}s`;
  },
};

function loadRoot() {
  const directories = protoDirectories();
  const root = new protobuf.Root();
  root.resolvePath = (origin, target) => {
    for (const directory of directories) {
      const candidate = path.join(directory, target);
      if (fs.existsSync(candidate)) return candidate;
    }
    return protobuf.util.path.resolve(origin, target);
  };
  root.loadSync([...API_FILES, ...RPC_FILES], {keepCase: false});
  root.resolveAll();
  return root;
}

const root = loadRoot();
const JSON_OPTIONS = {longs: String, enums: String, json: true};

// service method name -> {path, request type, response type}
const METHODS = {};
for (const name of ['RegistrationService', 'SubscriptionService', 'AppProfileService']) {
  const service = root.lookupService(`linkgateway.v1.${name}`);
  for (const method of Object.values(service.methods)) {
    METHODS[method.name] = {
      path: `/linkgateway.v1.${name}/${method.name}`,
      request: root.lookupType(method.requestType),
      response: root.lookupType(method.responseType),
    };
  }
}

// A failed call's code, message and rich google.rpc.Status details.
function explain(error) {
  const out = {code: grpc.status[error.code], message: error.details};
  const raw = error.metadata && error.metadata.get('grpc-status-details-bin')[0];
  if (!raw) return out;
  const status = root.lookupType('google.rpc.Status').decode(raw);
  for (const any of status.details) {
    const typeName = any.type_url.split('/').pop();
    if (!root.lookup(typeName)) continue;
    const type = root.lookupType(typeName);
    const detail = type.toObject(type.decode(any.value), JSON_OPTIONS);
    if (typeName === 'google.rpc.ErrorInfo') {
      Object.assign(out, {reason: detail.reason, domain: detail.domain, metadata: detail.metadata});
      if (detail.metadata && 'upstreamRequestId' in detail.metadata) {
        out.upstreamRequestId = detail.metadata.upstreamRequestId;
      }
    } else if (typeName === 'google.rpc.RetryInfo') {
      out.retryDelaySeconds = parseFloat(detail.retryDelay || '0');
    } else if (typeName === 'google.rpc.BadRequest') {
      out.fieldViolations = detail.fieldViolations;
    }
  }
  return out;
}

// Plaintext, or TLS with PEM contents (Buffers): ca, and cert + key for mTLS.
function credentials({ca, cert, key} = {}) {
  if (!ca && !cert) return grpc.credentials.createInsecure();
  return grpc.credentials.createSsl(ca || null, key || null, cert || null);
}

// A connection to the gateway; `call` sends one request (a proto3 JSON
// object) with a deadline and resolves with the answer as proto3 JSON.
function connect(target, {tls, token} = {}) {
  const client = new grpc.Client(target, credentials(tls));
  return {
    call(method, request, {deadlineSeconds = 30} = {}) {
      const rpc = METHODS[method];
      if (!rpc) throw new Error(`unknown method ${method}`);
      const message = rpc.request.fromObject(request);
      // A delete without a request_id gets a fresh one (AIP-155): a retry of
      // this call is then answered from the gateway's record, not repeated.
      if (rpc.request.fields.requestId && !message.requestId) message.requestId = crypto.randomUUID();
      const metadata = new grpc.Metadata();
      if (token) metadata.add('authorization', `Bearer ${token}`);
      const deadline = new Date(Date.now() + deadlineSeconds * 1000);
      return new Promise((resolve, reject) => {
        client.makeUnaryRequest(
            rpc.path, (m) => Buffer.from(rpc.request.encode(m).finish()),
            (bytes) => rpc.response.decode(bytes), message, metadata, {deadline},
            (error, response) => error ? reject(error)
                                       : resolve(rpc.response.toObject(response, JSON_OPTIONS)));
      });
    },
    close() { client.close(); },
  };
}

module.exports = {connect, explain, credentials, methods: Object.keys(METHODS)};
