/**
 * The direction of imports, as code (DESIGN section 1, "Layers"): from the ground up, domain ·
 * engine · connectors and db (adapters behind the ports) · reconcile (use cases) · decisions ·
 * slack, jobs, digest, fastloop (thin) · cli and main (the composition root). `npm run deps:check`
 * fails on any import that runs back up; CI runs it.
 */
const layer = (name) => `^src/${name}(/|\\.ts$)`;
const anyOf = (...names) => `^src/(${names.join('|')})(/|\\.ts$)`;

module.exports = {
  forbidden: [
    { name: 'no-circular', severity: 'error', comment: 'A cycle of imports hides which part depends on which.', from: {}, to: { circular: true } },
    {
      name: 'util-is-the-ground', severity: 'error',
      comment: 'util/ holds small generic helpers (a rate limiter, bounded concurrency) that know nothing of Recon.',
      from: { path: layer('util') }, to: { path: '^src/', pathNot: layer('util') },
    },
    {
      name: 'domain-is-the-ground', severity: 'error',
      comment: 'domain/ holds records, checks, errors and the ports: types and pure helpers that import nothing else of Recon.',
      from: { path: layer('domain') }, to: { path: '^src/', pathNot: layer('domain') },
    },
    {
      name: 'engine-imports-domain-only', severity: 'error',
      comment: 'The engine (match, diff, rules, plan, snapshots) is pure: it imports the domain, nothing with I/O.',
      from: { path: layer('engine') }, to: { path: '^src/', pathNot: anyOf('domain', 'engine') },
    },
    {
      name: 'connectors-are-adapters', severity: 'error',
      comment: 'A connector implements the Connector port; it never reaches the engine, the database, a use case or a handler.',
      from: { path: layer('connectors') }, to: { path: '^src/', pathNot: [anyOf('domain', 'connectors', 'util'), '^src/log\\.ts$'] },
    },
    {
      name: 'db-is-an-adapter', severity: 'error',
      comment: 'db/ implements the store port; it never reaches the engine, a connector, a use case or a handler.',
      from: { path: layer('db') }, to: { path: '^src/', pathNot: [anyOf('domain', 'db', 'util'), '^src/log\\.ts$'] },
    },
    {
      name: 'use-cases-go-through-ports', severity: 'error',
      comment: 'reconcile/ and decisions/ are handed their store and connectors: no database or connector module is imported.',
      from: { path: anyOf('reconcile', 'decisions') }, to: { path: anyOf('db', 'connectors', 'slack', 'cli', 'jobs', 'digest', 'fastloop', 'sandbox', 'main') },
    },
    {
      name: 'handlers-reach-systems-through-decisions', severity: 'error',
      comment: 'Slack handlers, jobs and the digest are thin: they reach Stripe, the CRM and Calendar only through decisions and cycles.',
      from: { path: anyOf('slack', 'jobs', 'digest', 'fastloop') }, to: { path: anyOf('connectors', 'cli', 'sandbox', 'main') },
    },
    {
      name: 'config-stays-low', severity: 'error',
      comment: 'config/ reads the environment and the policy; it may name the registry of systems, nothing above it.',
      from: { path: layer('config') }, to: { path: '^src/', pathNot: [anyOf('domain', 'config'), '^src/connectors/(registry|catalog|definition)\\.ts$', '^src/connectors/[^/]+/(index|declaration)\\.ts$'] },
    },
    {
      name: 'sandbox-is-a-vendor', severity: 'error',
      comment: 'The sandbox fakes the vendors: it knows their APIs, not Recon (only the domain types and Slack ids it must agree with).',
      from: { path: layer('sandbox') }, to: { path: '^src/', pathNot: [anyOf('domain', 'sandbox'), '^src/slack/ids\\.ts$', '^src/security/'] },
    },
    {
      name: 'pure-block-kit', severity: 'error',
      comment: 'Block Kit builders are pure: no database, connector or Slack client.',
      from: { path: '^src/slack/messages/' }, to: { path: '^src/', pathNot: [anyOf('domain'), '^src/slack/messages/', '^src/slack/ids\\.ts$'] },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^(node_modules|test|bench|scripts)' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { extensions: ['.ts', '.js'] },
  },
};
