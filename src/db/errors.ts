import { ReconError, errorMessage } from '../domain/errors.ts';

/** Postgres and network failures while opening the database, in words a person can act on. */
export function databaseError(error: unknown, where: string): ReconError {
  const code = (error as { code?: string }).code;
  const message = errorMessage(error);
  if (code === 'ECONNREFUSED' || code === 'ENOTFOUND' || code === 'EHOSTUNREACH' || code === 'ETIMEDOUT' || /connect ECONNREFUSED|getaddrinfo/.test(message)) {
    return new ReconError('db.unreachable', `the database (${where}) is not reachable: ${message}`, {
      hint: 'start it, or fix DATABASE_URL (unset it to use the embedded database)', cause: error,
    });
  }
  if (code === '28P01' || code === '28000') {
    return new ReconError('db.refused', `the database (${where}) refused the credentials: ${message}`, { hint: 'fix the user and password in DATABASE_URL', cause: error });
  }
  if (code === '3D000') {
    return new ReconError('db.missing', `the database (${where}) does not exist: ${message}`, { hint: 'create it (createdb), or point DATABASE_URL at one that exists', cause: error });
  }
  if (code === '42501') {
    return new ReconError('db.permission', `the database user may not do what Recon needs (${where}): ${message}`, { hint: 'grant it CREATE on the database (migrations create tables)', cause: error });
  }
  return new ReconError('db.failed', `the database (${where}) failed: ${message}`, { cause: error });
}
