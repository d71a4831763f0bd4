// s3_server.js DATA_DIR BUCKET PORT_FILE - runs the S3-compatible server of
// tests/unit/test_remote.c: @20minutes/s3rver on 127.0.0.1 at a free port, with BUCKET
// created, objects stored under DATA_DIR, and AWS Signature V4 checked for the access key
// S3RVER / secret S3RVER (unsigned requests are served as anonymous). When it listens it writes
// the port to PORT_FILE (atomically). It stops on SIGTERM/SIGINT, and by itself after 15 minutes
// so that it can never outlive a broken test run for long. The module comes from NODE_PATH,
// which the test points at the build tree (tests/remote/setup-s3rver.sh).
'use strict';
const fs = require('node:fs');
const S3rver = require('@20minutes/s3rver');

const [dir, bucket, portFile] = process.argv.slice(2);
if (!dir || !bucket || !portFile) {
  console.error('usage: node s3_server.js DATA_DIR BUCKET PORT_FILE');
  process.exit(2);
}
const server = new S3rver({
  address: '127.0.0.1',
  port: 0,
  silent: true,
  directory: dir,
  configureBuckets: [{ name: bucket }],
});
server.run().then(
  (addr) => {
    fs.writeFileSync(`${portFile}.tmp`, String(addr.port));
    fs.renameSync(`${portFile}.tmp`, portFile);
  },
  (err) => {
    console.error(`s3_server: ${err}`);
    process.exit(1);
  },
);
for (const sig of ['SIGTERM', 'SIGINT']) process.on(sig, () => process.exit(0));
setTimeout(() => process.exit(3), 15 * 60 * 1000).unref();
