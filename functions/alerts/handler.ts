import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { DynamoDbAuditLog } from '../../shared/adapters/aws/dynamodb-audit-log';
import { awsAlertStore } from '../../shared/adapters/aws/eventbridge-alert-wiring';
import { awsKeyService, awsTenantStore, ENV, requiredEnv } from '../../shared/adapters/aws/wiring';
import { createObservability } from '../../shared/http/handler';
import { systemClock } from '../../shared/ports/clock';
import { awsAlertEngine } from '../alert-evaluator/aws-wiring';
import { createAlertsHandler } from './app';
import { RecipientSecrets } from './recipient-secrets';

const tenants = awsTenantStore();

export const handler = createAlertsHandler({
  tenants,
  store: awsAlertStore(),
  secrets: new RecipientSecrets(awsKeyService(), tenants),
  engine: awsAlertEngine({ tenants }),
  audit: new DynamoDbAuditLog(
    DynamoDBDocumentClient.from(new DynamoDBClient({}), { marshallOptions: { removeUndefinedValues: true } }),
    requiredEnv(ENV.tableName),
  ),
  clock: systemClock,
  observability: createObservability('alerts'),
});
