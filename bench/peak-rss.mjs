// `node --import ./bench/peak-rss.mjs ...`: on exit, writes the process's own peak resident set
// (KiB, as getrusage reports it) to BENCH_RSS_FILE. Used by bench/cli.ts.
import { writeFileSync } from 'node:fs';

process.once('exit', () => {
  if (process.env.BENCH_RSS_FILE) writeFileSync(process.env.BENCH_RSS_FILE, String(process.resourceUsage().maxRSS));
});
