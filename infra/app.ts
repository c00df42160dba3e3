/**
 * CDK entry point (cdk.json: `npx tsx infra/app.ts`). Config: infra/config.ts defaults, overridable
 * with context (`-c metricStore=amp`, `-c platformConfig='{...}'`, `-c account=...`).
 * cdk-nag AwsSolutions runs on every synth; an unacknowledged finding fails the synth.
 */
import { App } from 'aws-cdk-lib';
import { addPlatformChecks } from './acknowledgements';
import { configFromContext } from './config';
import { buildPlatform, PLATFORM_CONTEXT } from './platform';

const app = new App({ context: { ...PLATFORM_CONTEXT } });
buildPlatform(app, configFromContext(app.node));
addPlatformChecks(app);
app.synth();
