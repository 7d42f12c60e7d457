import { afterAll, beforeAll, beforeEach } from 'vitest';
import { openTestDatabase, type TestDatabase } from './database.ts';

export { openTestDatabase, TEST_DATABASE_URL, type TestDatabase } from './database.ts';

export function useTestDatabase(): TestDatabase {
  let opened: TestDatabase | undefined;
  const current = (): TestDatabase => {
    if (!opened) throw new Error('the test database is opened in beforeAll: use it inside hooks and tests');
    return opened;
  };
  beforeAll(async () => {
    opened = await openTestDatabase();
  });
  afterAll(async () => {
    await opened?.close();
  });
  beforeEach(async () => {
    await current().reset();
  });
  return new Proxy({} as TestDatabase, { get: (_target, key) => Reflect.get(current(), key) });
}
