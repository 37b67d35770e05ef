import type { IncomingMessage } from 'node:http';

// A request refused with an HTTP status (4xx): the guard answers it and logs it as refused.
export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

// The request body as a JSON object, at most `limit` bytes (413 past it, 400 when it is not a
// JSON object). An empty body is {}.
export async function readJsonBody(req: IncomingMessage, limit: number): Promise<Record<string, unknown>> {
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > limit) throw new HttpError(413, `body over ${limit} bytes`);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) throw new HttpError(413, `body over ${limit} bytes`);
    chunks.push(chunk);
  }
  const text = Buffer.concat(chunks).toString('utf8').trim();
  if (text === '') return {};
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    throw new HttpError(400, 'body is not JSON');
  }
  if (typeof data !== 'object' || data === null || Array.isArray(data)) throw new HttpError(400, 'body must be a JSON object');
  return data as Record<string, unknown>;
}

// An optional string field of a body; 400 when present with another type or empty.
export function optString(body: Record<string, unknown>, key: string, max = 500): string | undefined {
  const v = body[key];
  if (v === undefined) return undefined;
  if (typeof v !== 'string' || v === '' || v.length > max) throw new HttpError(400, `"${key}" must be a non-empty string of at most ${max} characters`);
  return v;
}
