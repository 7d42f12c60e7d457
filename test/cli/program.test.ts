import { describe, expect, it } from 'vitest';
import { recon } from '../support/cli.ts';

const COMMANDS = ['demo', 'run', 'serve', 'doctor', 'migrate', 'status', 'queue', 'log', 'show', 'decide', 'sandbox', 'calendar'];

describe('recon --help', () => {
  it('lists every command with its one-line description', async () => {
    const { code, stdout } = await recon(['--help']);
    expect(code).toBe(0);
    for (const command of COMMANDS) expect(stdout).toMatch(new RegExp(`^  ${command}\\b.* {2,}\\S`, 'm'));
  });

  it('prints the same help when no command is given', async () => {
    const { code, stdout } = await recon([]);
    expect(code).toBe(0);
    expect(stdout).toBe((await recon(['--help'])).stdout);
  });

  it('says which exit code means what', async () => {
    expect((await recon(['--help'])).stdout).toContain('Exit codes: 0 ok; 1 some records or checks failed; 2 bad configuration or usage.');
  });

  it.each(COMMANDS)('shows the usage and options of recon %s with exit 0', async (command) => {
    const { code, stdout, stderr } = await recon([command, '--help']);
    expect(code).toBe(0);
    expect(stderr).toBe('');
    expect(stdout).toMatch(new RegExp(`^Usage: recon ${command}\\b`));
    expect(stdout).toContain('-h, --help');
  });

  it.each(COMMANDS)('prints the help of %s for recon help %s', async (command) => {
    expect((await recon(['help', command])).stdout).toBe((await recon([command, '--help'])).stdout);
  });

  it('prints the version with --version', async () => {
    const { code, stdout } = await recon(['--version']);
    expect(code).toBe(0);
    expect(stdout).toMatch(/^\d+\.\d+\.\d+\n$/);
  });
});

describe('a command line recon cannot take', () => {
  it('exits 2 on an unknown command, with one line and a hint that lists the commands', async () => {
    const { code, stdout, stderr } = await recon(['reconcile']);
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr.split('\n')[0]).toBe("recon: Unknown command 'reconcile'");
    expect(stderr.split('\n')[1]).toMatch(/^ {2}Usage: recon <command> \[options\], where <command> is one of demo, run,/);
  });

  it('suggests the command meant by a near miss', async () => {
    expect((await recon(['stauts'])).stderr).toContain("Unknown command 'stauts'. Did you mean status?");
  });

  it('exits 2 on recon help with an unknown command', async () => {
    const { code, stderr } = await recon(['help', 'reconcile']);
    expect(code).toBe(2);
    expect(stderr).toContain("Unknown command 'reconcile'");
  });

  it("exits 2 on an unknown option and points at the command's help", async () => {
    const { code, stderr } = await recon(['run', '--fast']);
    expect(code).toBe(2);
    expect(stderr).toBe("recon run: Unknown option '--fast'\n  run `recon run --help` for its options\n");
  });

  it('exits 2 on a bad value, naming the option, what it expects and what it got', async () => {
    const { code, stderr } = await recon(['demo', '--customers', 'many']);
    expect(code).toBe(2);
    expect(stderr.split('\n')[0]).toBe('recon demo: --customers: expected a positive whole number, got "many"');
  });

  it('exits 2 on a value outside the choices, listing them', async () => {
    expect((await recon(['demo', '--crm', 'salesforce'])).stderr).toContain('--crm: expected one of hubspot, gohighlevel, got "salesforce"');
  });

  it('exits 2 on an argument a command does not take', async () => {
    const { code, stderr } = await recon(['status', 'now']);
    expect(code).toBe(2);
    expect(stderr).toContain("Too many arguments for 'status'");
  });
});
