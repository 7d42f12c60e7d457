import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import ajvModule from 'ajv';
import type { ErrorObject } from 'ajv';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { BOT_SCOPES, EVENTS, SLASH_COMMAND } from '../../src/slack/ids.ts';
import { SPECS_DIR } from '../support/openapi-shape.ts';

// ajv is CommonJS: under Node's ESM the default import is module.exports, whose `default` is the class.
const Ajv = ajvModule.default;

interface Manifest {
  features?: { slash_commands?: { command: string; url?: string }[]; app_home?: { home_tab_enabled?: boolean } };
  oauth_config?: { scopes?: { bot?: string[]; user?: string[] } };
  settings?: {
    event_subscriptions?: { request_url?: string; bot_events?: string[]; user_events?: string[] };
    interactivity?: { is_enabled: boolean; request_url?: string };
    socket_mode_enabled?: boolean;
  };
}

const manifest = parse(readFileSync(join(process.cwd(), 'manifest.yml'), 'utf8')) as Manifest;
const schema = JSON.parse(readFileSync(join(SPECS_DIR, 'slack/manifest.schema.1.0.0.json'), 'utf8')) as object;

function readable(errors: ErrorObject[] | null | undefined): string {
  return (errors ?? []).map((e) => `manifest.yml${e.instancePath.replaceAll('/', '.') || ' (root)'} ${e.message ?? ''} ${JSON.stringify(e.params)}`).join('\n');
}

const sorted = (values: readonly string[] | undefined) => [...(values ?? [])].sort();

describe('manifest.yml', () => {
  it("validates against Slack's app manifest schema", () => {
    // The schema uses Slack's own keywords (`regex`) and formats, which strict mode refuses.
    const ajv = new Ajv({ strict: false, allErrors: true, validateFormats: false });
    const validate = ajv.compile(schema);
    const valid = validate(manifest);
    expect(valid, readable(validate.errors)).toBe(true);
  });

  it('declares exactly the slash command in ids.ts', () => {
    expect(manifest.features?.slash_commands?.map((c) => c.command)).toEqual([SLASH_COMMAND]);
  });

  it('asks for exactly the bot scopes in ids.ts, and no user scopes', () => {
    expect(sorted(manifest.oauth_config?.scopes?.bot)).toEqual(sorted(BOT_SCOPES));
    expect(manifest.oauth_config?.scopes?.user ?? []).toEqual([]);
  });

  it('subscribes to exactly the bot events in ids.ts, and no user events', () => {
    expect(sorted(manifest.settings?.event_subscriptions?.bot_events)).toEqual(sorted(EVENTS));
    expect(manifest.settings?.event_subscriptions?.user_events ?? []).toEqual([]);
  });

  it("sends commands, events and interactions to Bolt's one endpoint, with the home tab on", () => {
    const urls = [
      ...(manifest.features?.slash_commands ?? []).map((c) => c.url),
      manifest.settings?.event_subscriptions?.request_url,
      manifest.settings?.interactivity?.request_url,
    ];
    expect(new Set(urls)).toEqual(new Set(['https://recon.example.com/slack/events']));
    expect(manifest.settings?.interactivity?.is_enabled).toBe(true);
    expect(manifest.settings?.socket_mode_enabled).toBe(false);
    expect(manifest.features?.app_home?.home_tab_enabled).toBe(true);
  });
});
