import { DeleteObjectsCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { UnavailableError } from '#domain/errors';

/**
 * Deletes the objects under `prefix`, at most `max`, in DeleteObjects of up to 1,000 keys (one listing
 * page each). Deleted keys leave the listing, so each round lists from the prefix again and a later
 * call resumes where this one stopped. `what` names the objects in the error when S3 keeps some.
 */
export async function deleteUnderPrefix(
  s3: S3Client,
  bucket: string,
  prefix: string,
  what: string,
  max = Number.POSITIVE_INFINITY,
): Promise<{ removed: number; done: boolean }> {
  let removed = 0;
  for (;;) {
    if (removed >= max) return { removed, done: false };
    const listed = await s3.send(
      new ListObjectsV2Command({
        Bucket: bucket,
        Prefix: prefix,
        ...(max - removed < 1000 ? { MaxKeys: max - removed } : {}),
      }),
    );
    const keys = (listed.Contents ?? []).flatMap((o) => (o.Key ? [{ Key: o.Key }] : []));
    if (keys.length === 0) return { removed, done: true };
    const deleted = await s3.send(
      new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: keys, Quiet: true } }),
    );
    if (deleted.Errors && deleted.Errors.length > 0)
      throw new UnavailableError(
        `${deleted.Errors.length} ${what} were not deleted (${deleted.Errors[0]?.Code} ${deleted.Errors[0]?.Key})`,
        60,
      );
    removed += keys.length;
    if (!listed.IsTruncated) return { removed, done: true };
  }
}
