// linkgateway's Node client: every service of the gateway (Registration,
// Subscription, AppProfile, Unlink, google.longrunning.Operations,
// grpc.health.v1.Health) from the .proto files this package carries
// (google/* from the google-proto-files package), with protobufjs and
// @grpc/grpc-js. Types: index.d.ts, generated from the same .proto files.
//
//   const {connect, explain} = require('linkgateway-client');
//   const gateway = connect('127.0.0.1:50051');
//   const operation = await gateway.call('StartUnlink', {targets: [...]});
//   for await (const metadata of gateway.watch('WatchUnlink', {name: operation.name})) ...
//
// Messages are proto3 JSON objects in and out (camelCase names, enums by
// name, int64, Timestamp and Duration as strings, Any with "@type"). A
// delete or unlink start without a requestId gets a fresh one; pass the same
// one again to retry it safely.
'use strict';

const crypto = require('crypto');
const fs = require('fs');
const path = require('path');
const grpc = require('@grpc/grpc-js');
const protobuf = require('protobufjs');

const PROTO_FILES = [
  'linkgateway/v1/registrations.proto',
  'linkgateway/v1/subscriptions.proto',
  'linkgateway/v1/app_profiles.proto',
  'linkgateway/v1/unlink.proto',
  'google/longrunning/operations.proto',
  'google/rpc/status.proto',
  'google/rpc/error_details.proto',
  'grpc/health/v1/health.proto',
];
const SERVICES = [
  'linkgateway.v1.RegistrationService',
  'linkgateway.v1.SubscriptionService',
  'linkgateway.v1.AppProfileService',
  'linkgateway.v1.UnlinkService',
  'google.longrunning.Operations',
  'grpc.health.v1.Health',
];

// Where the .proto files are: the package's own copy (npm pack puts the API's
// and grpc/health there), or, run from a checkout, the repository's protos/
// and Debian's grpc-proto; google/* come from google-proto-files.
function protoDirectories() {
  const own = path.join(__dirname, 'protos');
  const googleapis = path.dirname(require.resolve('google-proto-files/package.json'));
  if (fs.existsSync(path.join(own, PROTO_FILES[0]))) return [own, googleapis];
  return [path.join(__dirname, '..', '..', 'protos'), '/usr/share/grpc-proto', googleapis];
}

// proto3 JSON for Timestamp and Duration (protobufjs knows only Any's):
// 0, 3, 6 or 9 fractional digits, as the other languages print them.
function fraction(nanos) {
  if (!nanos) return '';
  const digits = String(nanos).padStart(9, '0');
  return '.' +
      (digits.endsWith('000000')  ? digits.slice(0, 3) :
           digits.endsWith('000') ? digits.slice(0, 6) :
                                    digits);
}
function parseFraction(text) {
  return Number((text || '').padEnd(9, '0').slice(0, 9));
}
// The proto3 JSON strings of Timestamp and Duration as protobufjs objects.
function parseTimestamp(text) {
  const millis = Date.parse(text);
  if (Number.isNaN(millis)) throw new Error(`not an RFC 3339 timestamp: ${text}`);
  const match = text.match(/\.(\d+)(Z|[+-]\d\d:\d\d)$/);
  return {seconds: Math.floor(millis / 1000), nanos: parseFraction(match && match[1])};
}
function parseDuration(text) {
  const match = /^(-?)(\d+)(?:\.(\d+))?s$/.exec(text);
  if (!match) throw new Error(`not a proto3 JSON duration: ${text}`);
  const sign = match[1] ? -1 : 1;
  return {seconds: sign * Number(match[2]), nanos: sign * parseFraction(match[3])};
}
const PARSE_WELL_KNOWN = {
  '.google.protobuf.Timestamp': parseTimestamp,
  '.google.protobuf.Duration': parseDuration,
};
protobuf.wrappers['.google.protobuf.Timestamp'] = {
  fromObject(object) {
    return this.fromObject(typeof object === 'string' ? parseTimestamp(object) : object);
  },
  toObject(message, options) {
    if (!(options && options.json)) return this.toObject(message, options);
    const text = new Date(Number(message.seconds) * 1000).toISOString();
    return `${text.slice(0, 19)}${fraction(message.nanos)}Z`;
  },
};
protobuf.wrappers['.google.protobuf.Duration'] = {
  fromObject(object) {
    return this.fromObject(typeof object === 'string' ? parseDuration(object) : object);
  },
  toObject(message, options) {
    if (!(options && options.json)) return this.toObject(message, options);
    const seconds = Number(message.seconds);
    const nanos = message.nanos || 0;
    const sign = seconds < 0 || nanos < 0 ? '-' : '';
    return `${sign}${Math.abs(seconds)}${fraction(Math.abs(nanos))}s`;
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
  root.loadSync(PROTO_FILES, {keepCase: false});
  root.resolveAll();
  return root;
}

const root = loadRoot();
const JSON_OPTIONS = {
  longs: String,
  enums: String,
  bytes: String,
  json: true
};

// method name -> {path, request type, response type, streaming}
const METHODS = {};
for (const name of SERVICES) {
  for (const method of Object.values(root.lookupService(name).methods)) {
    METHODS[method.name] = {
      path: `/${name}/${method.name}`,
      request: root.lookupType(method.requestType),
      response: root.lookupType(method.responseType),
      streaming: Boolean(method.responseStream),
    };
  }
}

// A failed call's code, message and rich google.rpc.Status details, in the
// CLI contract's key order: code, message, reason, domain, metadata (keys
// sorted), upstreamRequestId, retryDelaySeconds, fieldViolations.
function explain(error) {
  const out = {code: grpc.status[error.code], message: error.details};
  const raw = error.metadata && error.metadata.get('grpc-status-details-bin')[0];
  if (!raw) return out;
  const details = {};
  for (const any of root.lookupType('google.rpc.Status').decode(raw).details) {
    const type = root.lookup(any.type_url.split('/').pop());
    if (type instanceof protobuf.Type)
      details[type.fullName] = type.toObject(type.decode(any.value), JSON_OPTIONS);
  }
  const info = details['.google.rpc.ErrorInfo'];
  if (info) {
    const metadata = {};
    for (const key of Object.keys(info.metadata || {}).sort()) metadata[key] = info.metadata[key];
    Object.assign(out, {reason: info.reason || '', domain: info.domain || '', metadata});
    if (metadata.upstreamRequestId) out.upstreamRequestId = metadata.upstreamRequestId;
  }
  const retry = details['.google.rpc.RetryInfo'];
  if (retry) out.retryDelaySeconds = parseFloat(retry.retryDelay || '0');
  const bad = details['.google.rpc.BadRequest'];
  if (bad) {
    out.fieldViolations =
        (bad.fieldViolations ||
         []).map((v) => ({field: v.field || '', description: v.description || ''}));
  }
  return out;
}

// Plaintext, or TLS with PEM contents (Buffers): ca, and cert + key for mTLS.
function credentials({ca, cert, key} = {}) {
  if (!ca && !cert) return grpc.credentials.createInsecure();
  return grpc.credentials.createSsl(ca || null, key || null, cert || null);
}

// proto3 JSON field names (lowerCamelCase, or the .proto's own names) to
// protobufjs's: unknown fields are refused, as every proto3 JSON parser does
// (protobufjs alone would drop them silently).
function normalize(type, object, where) {
  if (typeof object === 'string' && PARSE_WELL_KNOWN[type.fullName]) {
    return PARSE_WELL_KNOWN[type.fullName](object);
  }
  if (object === null || typeof object !== 'object' || Array.isArray(object) ||
      type.fullName.startsWith('.google.protobuf.')) {
    return object;  // scalars, and well-known types with their own JSON forms
  }
  const out = {};
  for (const [key, value] of Object.entries(object)) {
    const field = type.fields[key] || type.fields[protobuf.util.camelCase(key)];
    if (!field) throw new Error(`${where}: ${type.fullName.slice(1)} has no field "${key}"`);
    field.resolve();
    let converted = value;
    if (field.resolvedType instanceof protobuf.Type && value !== null) {
      // (a Timestamp or Duration string becomes {seconds, nanos} here)
      const at = `${where}.${key}`;
      if (field.map) {
        converted = Object.fromEntries(Object.entries(value).map(
            ([k, v]) => [k, normalize(field.resolvedType, v, `${at}.${k}`)]));
      } else if (field.repeated && Array.isArray(value)) {
        converted = value.map((v, i) => normalize(field.resolvedType, v, `${at}[${i}]`));
      } else {
        converted = normalize(field.resolvedType, value, at);
      }
    }
    out[field.name] = converted;
  }
  return out;
}

function newRequestId() {
  return crypto.randomUUID();
}

// A connection to the gateway. `call` sends a unary request (a proto3 JSON
// object) and resolves with the answer; `watch` is a server stream, an async
// iterable of answers. Both take {deadlineSeconds} (default 30).
function connect(target, {tls, token} = {}) {
  const client = new grpc.Client(target, credentials(tls));
  function prepare(method, request, deadlineSeconds) {
    const rpc = METHODS[method];
    if (!rpc) throw new Error(`unknown method ${method}`);
    const message = rpc.request.fromObject(normalize(rpc.request, request, 'request'));
    // A delete or unlink start without a request_id gets a fresh one
    // (AIP-155): a retry of it is answered from the gateway's record.
    if (rpc.request.fields.requestId && !message.requestId) message.requestId = newRequestId();
    const metadata = new grpc.Metadata();
    if (token) metadata.add('authorization', `Bearer ${token}`);
    const options = {deadline: new Date(Date.now() + deadlineSeconds * 1000)};
    const serialize = (m) => Buffer.from(rpc.request.encode(m).finish());
    const deserialize = (bytes) => rpc.response.toObject(rpc.response.decode(bytes), JSON_OPTIONS);
    return {rpc, message, metadata, options, serialize, deserialize};
  }
  return {
    call(method, request = {}, {deadlineSeconds = 30} = {}) {
      const p = prepare(method, request, deadlineSeconds);
      if (p.rpc.streaming) throw new Error(`${method} is a stream: use watch()`);
      return new Promise((resolve, reject) => {
        client.makeUnaryRequest(
            p.rpc.path, p.serialize, p.deserialize, p.message, p.metadata, p.options,
            (error, response) => error ? reject(error) : resolve(response));
      });
    },
    watch(method, request = {}, {deadlineSeconds = 30} = {}) {
      const p = prepare(method, request, deadlineSeconds);
      if (!p.rpc.streaming) throw new Error(`${method} is not a stream: use call()`);
      // grpc-js's readable stream is an async iterable; it throws the
      // call's error (with code and metadata) at the end.
      return client.makeServerStreamRequest(
          p.rpc.path, p.serialize, p.deserialize, p.message, p.metadata, p.options);
    },
    close() {
      client.close();
    },
  };
}

module.exports = {
  connect,
  explain,
  credentials,
  newRequestId,
  methods : Object.keys(METHODS), root
};
