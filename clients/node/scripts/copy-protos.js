// npm pack (prepack): the package carries its own copy of the .proto files
// it loads besides google/* (google-proto-files has those): the API's, from
// the repository's protos/, and grpc/health/v1/health.proto from Debian's
// grpc-proto package.
'use strict';

const fs = require('fs');
const path = require('path');

const to = path.join(__dirname, '..', 'protos');
const copies = [
  [path.join(__dirname, '..', '..', '..', 'protos', 'linkgateway', 'v1'), 'linkgateway/v1'],
  ['/usr/share/grpc-proto/grpc/health/v1', 'grpc/health/v1'],
];
for (const [from, into] of copies) {
  fs.mkdirSync(path.join(to, into), {recursive: true});
  for (const file of fs.readdirSync(from).filter((name) => name.endsWith('.proto'))) {
    fs.copyFileSync(path.join(from, file), path.join(to, into, file));
  }
}
