/**
 * One small request/reply channel for typed messages over a one-way transport (a webview's
 * postMessage today; a child process's send or a worker's postMessage work the same way). A request
 * carries `messageId`; its reply carries `inReplyTo` with that id. Which reply type answers which
 * request type is a map the compiler checks, so `request('requestPng')` resolves to an ExportPng
 * message and nothing else. Unanswered requests reject after a timeout; close() rejects the rest.
 * Pure: no vscode, no DOM, no node; every bundle may import it.
 */

/** A message that expects an answer. */
export interface RequestEnvelope {
  readonly type: string;
  readonly messageId: number;
}

/** The answer to a request. */
export interface ReplyEnvelope {
  readonly type: string;
  readonly inReplyTo: number;
}

/** A request as the caller writes it: the channel picks the id. */
export type Unsent<M extends RequestEnvelope> = M extends RequestEnvelope ? Omit<M, 'messageId'> : never;

/**
 * The sending side: posts requests and hands each incoming reply to the request it answers.
 * @typeParam Req   the request messages this side sends (a union discriminated by `type`)
 * @typeParam Replies request `type` → the reply message type that answers it
 */
export class RequestChannel<Req extends RequestEnvelope, Replies extends { readonly [K in Req['type']]: ReplyEnvelope }> {
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (reply: ReplyEnvelope) => void; reject: (error: Error) => void; timer: ReturnType<typeof setTimeout> }>();
  private closed: Error | undefined;

  /**
   * @param send  posts one message on the transport
   * @param timeoutMs how long a request waits for its reply
   * @param timeoutMessage the error a request rejects with when no reply came, for the user to read
   */
  constructor(
    private readonly send: (message: Req) => unknown,
    private readonly timeoutMs: number,
    private readonly timeoutMessage: (type: Req['type']) => string,
  ) {}

  request<K extends Req['type']>(message: Unsent<Extract<Req, { readonly type: K }>> & { readonly type: K }): Promise<Replies[K]> {
    if (this.closed) return Promise.reject(this.closed);
    const messageId = this.nextId++;
    return new Promise<Replies[K]>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(messageId);
        reject(new Error(this.timeoutMessage(message.type as K)));
      }, this.timeoutMs);
      this.pending.set(messageId, { resolve: resolve as (reply: ReplyEnvelope) => void, reject, timer });
      try {
        this.send({ ...message, messageId } as unknown as Req);
      } catch (err) {
        clearTimeout(timer);
        this.pending.delete(messageId);
        reject(err instanceof Error ? err : new Error(String(err)));
      }
    });
  }

  /** Hands a reply to its request. False when nothing waits for it (late, duplicate or foreign). */
  settle(reply: ReplyEnvelope): boolean {
    const waiting = this.pending.get(reply.inReplyTo);
    if (!waiting) return false;
    this.pending.delete(reply.inReplyTo);
    clearTimeout(waiting.timer);
    waiting.resolve(reply);
    return true;
  }

  /** Rejects every request still waiting, and every later one, with `reason`. */
  close(reason: Error): void {
    this.closed = reason;
    for (const waiting of this.pending.values()) {
      clearTimeout(waiting.timer);
      waiting.reject(reason);
    }
    this.pending.clear();
  }
}

/** The answering side's half: a reply that names the request it answers. */
export function replyTo<R extends ReplyEnvelope>(request: RequestEnvelope, reply: Omit<R, 'inReplyTo'>): R {
  return { ...reply, inReplyTo: request.messageId } as R;
}
