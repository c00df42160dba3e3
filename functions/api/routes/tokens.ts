/** The tenant's API tokens: issued, rotated and revoked; a tenant cannot revoke its last admin token. */
import { redact } from '#domain/classification';
import { type CredentialRecord, issueCredential, rotateCredential } from '#domain/credentials';
import { tokenInputSchema } from '#domain/entities';
import { ConflictError, NotFoundError } from '#domain/errors';
import { pageQuerySchema } from '#domain/pagination';
import { invalidateCredential, type Principal } from '#http/auth';
import { json } from '#http/response';
import type { ApiContext } from '../api-context';
import { type Operation, op, std } from '../operation';
import { pageOf, tokenIssuedView, tokenView, toTokenView } from '../views';

const tokenPath = '/v1/tokens/{tokenId}';

export function tokenOperations(ctx: ApiContext): Operation[] {
  const { deps, now, audit } = ctx;

  async function ownToken(principal: Principal, tokenId: string | undefined) {
    const credential = tokenId ? await deps.tenants.getCredential(tokenId) : undefined;
    // Another tenant's token, or an ingest key, is "not found" here: existence is not revealed.
    if (!credential || credential.tenantId !== principal.tenantId || credential.kind !== 'tenant')
      throw new NotFoundError('no such token');
    return credential;
  }

  /** An admin token the tenant keeps once `token` is revoked (so it cannot lock itself out). */
  async function anotherActiveAdmin(token: CredentialRecord): Promise<string | undefined> {
    let cursor: string | undefined;
    do {
      const page = await deps.tenants.listCredentials(token.tenantId, { limit: 100, cursor });
      for (const c of page.items)
        if (
          c.kind === 'tenant' &&
          c.role === 'admin' &&
          !c.revokedAt &&
          c.credentialId !== token.credentialId
        )
          return c.credentialId;
      cursor = page.nextCursor;
    } while (cursor);
    return undefined;
  }

  return [
    op({
      method: 'POST',
      path: '/v1/tokens',
      summary: 'Create an API token with a role (the token is shown once)',
      auth: 'tenant',
      permission: 'tokens:manage',
      body: tokenInputSchema,
      responses: { 201: tokenIssuedView, ...std },
      run: async (request) => {
        const issued = issueCredential('tenant', request.principal.tenantId, deps.clock.now(), {
          role: request.body.role,
          name: request.body.name,
        });
        await deps.tenants.createCredential(issued.record);
        await audit(request, 'token.create', `token/${issued.record.credentialId}`, {
          after: redact('credential', issued.record),
        });
        return json(201, { ...toTokenView({ ...issued.record, version: 1 }), token: issued.token });
      },
    }),
    op({
      method: 'GET',
      path: '/v1/tokens',
      summary: 'List API tokens (never their secrets)',
      auth: 'tenant',
      permission: 'tokens:manage',
      query: pageQuerySchema,
      responses: { 200: pageOf(tokenView), ...std },
      run: async ({ principal, query }) => {
        const page = await deps.tenants.listCredentials(principal.tenantId, query);
        return json(200, { ...page, items: page.items.filter((c) => c.kind === 'tenant').map(toTokenView) });
      },
    }),
    op({
      method: 'POST',
      path: `${tokenPath}/rotate`,
      summary: 'New secret for a token; the old one stops working at once',
      auth: 'tenant',
      permission: 'tokens:manage',
      responses: { 200: tokenIssuedView, 404: null, 409: null, ...std },
      run: async (request) => {
        const current = await ownToken(request.principal, request.params.tokenId);
        if (current.revokedAt) throw new ConflictError('a revoked token cannot be rotated', 'tokenId');
        const rotated = rotateCredential(current, deps.clock.now());
        const stored = await deps.tenants.updateCredential(rotated.record, current.version ?? 1);
        invalidateCredential(deps.tenants, current.credentialId);
        await audit(request, 'token.rotate', `token/${current.credentialId}`, {
          before: redact('credential', current),
          after: redact('credential', stored),
        });
        return json(200, { ...toTokenView(stored), token: rotated.token });
      },
    }),
    op({
      method: 'DELETE',
      path: tokenPath,
      summary: 'Revoke a token, at once',
      auth: 'tenant',
      permission: 'tokens:manage',
      responses: { 200: tokenView, 404: null, 409: null, ...std },
      run: async (request) => {
        const current = await ownToken(request.principal, request.params.tokenId);
        const lastAdmin = () =>
          new ConflictError('this is the last admin token; create another admin token first', 'tokenId');
        // An admin goes only while another stays active: checked in the same transaction as the
        // revocation (the listing reads an eventually consistent index; the check does not).
        const keeper =
          !current.revokedAt && current.role === 'admin' ? await anotherActiveAdmin(current) : undefined;
        if (!current.revokedAt && current.role === 'admin' && !keeper) throw lastAdmin();
        const stored = current.revokedAt
          ? current
          : await deps.tenants
              .updateCredential({ ...current, revokedAt: now() }, current.version ?? 1, {
                ...(keeper ? { whileActive: keeper } : {}),
              })
              .catch((error: unknown) => {
                throw keeper && error instanceof ConflictError ? lastAdmin() : error;
              });
        invalidateCredential(deps.tenants, current.credentialId);
        await audit(request, 'token.revoke', `token/${current.credentialId}`, {
          before: redact('credential', current),
          after: redact('credential', stored),
        });
        return json(200, toTokenView(stored));
      },
    }),
  ];
}
