// Runs s3rver (a real S3-protocol server) on a loopback port for tests; prints "S3RVER <url>".
// Usage: bun test/support/s3rver_main.cjs <data dir> <bucket>
const S3rver = require("s3rver");

const [dir, bucket] = process.argv.slice(2);
new S3rver({ port: 0, address: "127.0.0.1", silent: true, directory: dir, configureBuckets: [{ name: bucket }] })
  .run()
  .then(({ address, port }) => console.log(`S3RVER http://${address}:${port}`))
  .catch((err) => {
    console.error(err);
    process.exit(1);
  });
