/**
 * Amazon DynamoDB Local (the real engine, on the JRE) for adapter tests. The jar ships inside the npm
 * package amplify-dynamodb-simulator; we take only the jar. Fails loudly when java is missing.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { freePort } from './free-port';

export interface DynamoDbLocal {
  readonly endpoint: string;
  readonly client: DynamoDBClient;
  readonly documentClient: DynamoDBDocumentClient;
  /** Creates a fresh single-table-design table (pk/sk strings, plus GSI1 gsi1pk/gsi1sk) and returns its name. */
  createTable(name?: string): Promise<string>;
  stop(): Promise<void>;
}

export async function startDynamoDbLocal(): Promise<DynamoDbLocal> {
  const require = createRequire(import.meta.url);
  const emulatorDir = join(dirname(require.resolve('amplify-dynamodb-simulator/package.json')), 'emulator');
  const port = await freePort();
  const child: ChildProcess = spawn(
    'java',
    [
      // Startup dominates a test file's time on a loaded machine: C1 only, one GC thread, no JIT warm-up.
      '-XX:TieredStopAtLevel=1',
      '-XX:+UseSerialGC',
      '-Xshare:auto',
      `-Djava.library.path=${join(emulatorDir, 'DynamoDBLocal_lib')}`,
      '-jar',
      join(emulatorDir, 'DynamoDBLocal.jar'),
      '-inMemory',
      '-port',
      String(port),
    ],
    { cwd: emulatorDir, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  child.stdout?.on('data', (d) => {
    output += d;
  });
  child.stderr?.on('data', (d) => {
    output += d;
  });
  const spawnError = new Promise<never>((_, reject) => {
    child.once('error', (e) =>
      reject(new Error(`cannot start DynamoDB Local (is a JRE installed?): ${e.message}`)),
    );
    child.once('exit', (code) => reject(new Error(`DynamoDB Local exited with ${code}: ${output}`)));
  });

  const endpoint = `http://127.0.0.1:${port}`;
  const client = new DynamoDBClient({
    endpoint,
    region: 'us-west-2',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  const deadline = Date.now() + 60_000;
  const ready = (async () => {
    for (;;) {
      try {
        await client.send(new CreateTableCommand(probeTable()));
        return;
      } catch (error) {
        if ((error as Error).name === 'ResourceInUseException') return;
        if (Date.now() > deadline) throw new Error(`DynamoDB Local did not answer within 60 s: ${output}`);
        await new Promise((r) => setTimeout(r, 250));
      }
    }
  })();
  await Promise.race([ready, spawnError]);
  spawnError.catch(() => undefined);

  let tables = 0;
  return {
    endpoint,
    client,
    documentClient: DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } }),
    createTable: async (name = `t${Date.now()}_${tables++}`) => {
      await client.send(
        new CreateTableCommand({
          TableName: name,
          BillingMode: 'PAY_PER_REQUEST',
          AttributeDefinitions: [
            { AttributeName: 'pk', AttributeType: 'S' },
            { AttributeName: 'sk', AttributeType: 'S' },
            { AttributeName: 'gsi1pk', AttributeType: 'S' },
            { AttributeName: 'gsi1sk', AttributeType: 'S' },
          ],
          KeySchema: [
            { AttributeName: 'pk', KeyType: 'HASH' },
            { AttributeName: 'sk', KeyType: 'RANGE' },
          ],
          GlobalSecondaryIndexes: [
            {
              IndexName: 'gsi1',
              KeySchema: [
                { AttributeName: 'gsi1pk', KeyType: 'HASH' },
                { AttributeName: 'gsi1sk', KeyType: 'RANGE' },
              ],
              Projection: { ProjectionType: 'ALL' },
            },
          ],
        }),
      );
      return name;
    },
    stop: async () => {
      client.destroy();
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        await exited;
      }
    },
  };
}

function probeTable() {
  return {
    TableName: 'readiness_probe',
    BillingMode: 'PAY_PER_REQUEST' as const,
    AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' as const }],
    KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' as const }],
  };
}
