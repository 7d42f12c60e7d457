// The embedded database's own cost, for bench/cli.ts: start PGlite on DIR with the shared buffers
// Recon gives it, read one row, close. Plain JavaScript, so nothing but PGlite loads.
// Usage: node bench/pglite-alone.mjs DIR SHARED_BUFFERS
import { PGlite } from '@electric-sql/pglite';

const [dir, sharedBuffers] = process.argv.slice(2);
const pglite = new PGlite(dir, { startParams: [...PGlite.defaultStartParams, '-c', `shared_buffers=${sharedBuffers}`] });
await pglite.waitReady;
await pglite.query('SELECT count(*) FROM review_items');
await pglite.close();
