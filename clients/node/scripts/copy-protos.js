// npm pack (prepack): the package carries its own copy of the API's .proto
// files, from the repository's protos/.
'use strict';

const fs = require('fs');
const path = require('path');

const from = path.join(__dirname, '..', '..', '..', 'protos', 'linkgateway', 'v1');
const to = path.join(__dirname, '..', 'protos', 'linkgateway', 'v1');
fs.mkdirSync(to, {recursive: true});
for (const file of fs.readdirSync(from).filter((name) => name.endsWith('.proto'))) {
  fs.copyFileSync(path.join(from, file), path.join(to, file));
}
