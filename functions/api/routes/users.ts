/** Users of the tenant: personal data, encrypted at rest. */
import { redact } from '#domain/classification';
import { newId } from '#domain/credentials';
import { type User, userInputSchema, userPatchSchema } from '#domain/entities';
import { NotFoundError } from '#domain/errors';
import { pageQuerySchema } from '#domain/pagination';
import { json } from '#http/response';
import type { ApiContext } from '../api-context';
import { type Operation, op, std, withEtag } from '../operation';
import { consoleInvitationView, pageOf, toUserView, userView } from '../views';

const userPath = '/v1/users/{userId}';

export function userOperations(ctx: ApiContext): Operation[] {
  const { deps, crypto, now, audit, mustGet, modify, remove } = ctx;

  async function openUser(u: User): Promise<User> {
    return crypto.openAll(
      'user',
      u.tenantId,
      u as unknown as Record<string, unknown>,
    ) as unknown as Promise<User>;
  }

  return [
    op({
      method: 'POST',
      path: '/v1/users',
      summary: 'Add a person (name, email and phone are encrypted at rest)',
      auth: 'tenant',
      permission: 'users:write',
      body: userInputSchema,
      responses: { 201: userView, ...std },
      run: async (request) => {
        const tenantId = request.principal.tenantId;
        const user: User = { tenantId, userId: newId(), ...request.body, version: 1, createdAt: now() };
        const stored = await deps.tenants.createEntity(
          'user',
          (await crypto.sealAll(
            'user',
            tenantId,
            user as unknown as Record<string, unknown>,
          )) as unknown as User,
        );
        await audit(request, 'user.create', `user/${user.userId}`, { after: redact('user', stored) });
        return withEtag(201, toUserView({ ...user, version: stored.version }));
      },
    }),
    op({
      method: 'GET',
      path: '/v1/users',
      summary: 'List people',
      auth: 'tenant',
      permission: 'users:read',
      query: pageQuerySchema,
      responses: { 200: pageOf(userView), ...std },
      run: async ({ principal, query }) => {
        const page = await deps.tenants.listEntities('user', principal.tenantId, query);
        const items = [];
        for (const u of page.items) items.push(toUserView(await openUser(u)));
        return json(200, { ...page, items });
      },
    }),
    op({
      method: 'GET',
      path: userPath,
      summary: 'Get a person',
      auth: 'tenant',
      permission: 'users:read',
      responses: { 200: userView, 404: null, ...std },
      run: async ({ principal, params }) =>
        withEtag(200, toUserView(await openUser(await mustGet('user', principal.tenantId, params.userId)))),
    }),
    op({
      method: 'PATCH',
      path: userPath,
      summary: 'Change some fields of a person',
      auth: 'tenant',
      permission: 'users:write',
      body: userPatchSchema,
      responses: { 200: userView, 404: null, 409: null, ...std },
      run: async (request) => {
        const tenantId = request.principal.tenantId;
        const sealedPatch = await crypto.sealAll('user', tenantId, request.body as Record<string, unknown>);
        const { before, after } = await modify('user', request, request.params.userId, async (current) => ({
          ...current,
          ...sealedPatch,
        }));
        await audit(request, 'user.update', `user/${after.userId}`, {
          before: redact('user', before),
          after: redact('user', after),
        });
        return withEtag(200, toUserView(await openUser(after)));
      },
    }),
    op({
      method: 'DELETE',
      path: userPath,
      summary: 'Remove a person',
      auth: 'tenant',
      permission: 'users:write',
      responses: { 204: null, 404: null, 409: null, ...std },
      run: async (request) => {
        const removed = await remove('user', request, request.params.userId);
        // The person is gone (their tokens are refused from now on); a login that cannot be deleted
        // now is logged for a retry, not turned into an error for a deletion that happened.
        if (deps.consoleUsers)
          try {
            const { email } = await openUser(removed);
            await deps.consoleUsers.remove({ email, tenantId: removed.tenantId, userId: removed.userId });
          } catch (error) {
            deps.observability.logger.error('console login not deleted', {
              userId: removed.userId,
              error: error as Error,
            });
          }
        await audit(request, 'user.delete', `user/${removed.userId}`, { before: redact('user', removed) });
        return { statusCode: 204, headers: {}, body: '' };
      },
    }),
    op({
      method: 'POST',
      path: `${userPath}/console-access`,
      summary: 'Let a person sign in to the console: a temporary password (shown once), then TOTP enrolment',
      auth: 'tenant',
      permission: 'users:write',
      responses: { 201: consoleInvitationView, 404: null, 409: null, ...std },
      run: async (request) => {
        if (!deps.consoleUsers) throw new NotFoundError('console sign-in is not configured here');
        const user = await openUser(await mustGet('user', request.principal.tenantId, request.params.userId));
        const invitation = await deps.consoleUsers.invite({
          email: user.email,
          tenantId: user.tenantId,
          userId: user.userId,
          group: user.role,
        });
        await audit(request, 'user.console-access', `user/${user.userId}`);
        return json(201, invitation);
      },
    }),
  ];
}
