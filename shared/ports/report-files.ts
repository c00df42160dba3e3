/** Where rendered reports are kept: `put` stores the PDF and answers a link that fetches it for a while. */
export interface ReportFiles {
  put(tenantId: string, key: string, pdf: Buffer): Promise<string>;
}
