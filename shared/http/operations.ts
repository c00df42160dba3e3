import type { Permission } from '#domain/roles';
import type * as z from '#domain/zod';
import type { RouteSpec } from './routes';

/**
 * What a route needs and answers, for /openapi.json: every function declares one per route it
 * serves (functions/<function>/operations.ts, or the api function's operations table), with the
 * very zod schemas its handler validates with.
 */
export interface OperationDoc {
  readonly method: RouteSpec['method'];
  readonly path: string;
  readonly summary: string;
  /** Which credential the route takes; `public` only for the API description itself. */
  readonly auth: 'tenant' | 'ingest' | 'provider' | 'public';
  /** The one permission a tenant token's role must grant (least privilege per route); tenant routes only. */
  readonly permission?: Permission;
  /** A JSON body, validated with this schema. */
  readonly body?: z.ZodMiniType;
  /** A form body (application/x-www-form-urlencoded) with these fields. */
  readonly formBody?: z.ZodMiniType;
  /** A body that is not JSON (protobuf, snappy), by media type; described as binary. */
  readonly binaryBody?: readonly string[];
  readonly query?: z.ZodMiniType;
  /**
   * Per status, the JSON body answered; `{ binary }` a body of that media type; null none (204,
   * 302), or the shared error body for a 4xx/5xx.
   */
  readonly responses: Readonly<Record<number, z.ZodMiniType | BinaryContent | null>>;
}

export interface BinaryContent {
  readonly binary: string;
}

/** The `x-required-permission` of a route: its permission, or what other than a role authorizes it. */
export function requiredPermission(o: Pick<OperationDoc, 'auth' | 'permission'>): string {
  if (o.auth === 'tenant' && o.permission) return o.permission;
  if (o.auth === 'tenant') return 'any-tenant-token';
  if (o.auth === 'ingest') return 'ingest-key';
  if (o.auth === 'provider') return 'provider-token';
  return 'none';
}
