/**
 * The request/reply channel (src/shared/channel.ts) over a transport the test controls: replies find
 * their request by id whatever their order, late and foreign replies are refused, timeouts and close
 * reject with the caller's words.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RequestChannel, replyTo } from '../../../src/shared/channel';

type Ask = { readonly type: 'square'; readonly messageId: number; readonly x: number } | { readonly type: 'echo'; readonly messageId: number; readonly text: string };
type Squared = { readonly type: 'squared'; readonly inReplyTo: number; readonly y: number };
type Echoed = { readonly type: 'echoed'; readonly inReplyTo: number; readonly text: string };
interface Replies { readonly square: Squared; readonly echo: Echoed }

function channel(timeoutMs = 1000): { ch: RequestChannel<Ask, Replies>; sent: Ask[] } {
  const sent: Ask[] = [];
  const ch = new RequestChannel<Ask, Replies>((m) => sent.push(m), timeoutMs, (type) => `no answer to ${type}`);
  return { ch, sent };
}

describe('request/reply channel', () => {
  it('matches replies to requests by id, in any order, and types each reply by its request', async () => {
    const { ch, sent } = channel();
    const a = ch.request({ type: 'square', x: 3 });
    const b = ch.request({ type: 'echo', text: 'hi' });
    assert.deepEqual(sent.map((m) => [m.type, m.messageId]), [['square', 1], ['echo', 2]]);
    // The answering side answers the second request first.
    assert.equal(ch.settle(replyTo<Echoed>(sent[1]!, { type: 'echoed', text: 'hi!' })), true);
    assert.equal(ch.settle(replyTo<Squared>(sent[0]!, { type: 'squared', y: 9 })), true);
    const [squared, echoed] = await Promise.all([a, b]);
    assert.equal(squared.y, 9);
    assert.equal(echoed.text, 'hi!');
    // A second answer to the same request, or one to no request, is refused.
    assert.equal(ch.settle({ type: 'squared', inReplyTo: 1 }), false);
    assert.equal(ch.settle({ type: 'squared', inReplyTo: 99 }), false);
  });

  it('rejects with the caller\'s words when no reply comes in time, and ignores the late one', async () => {
    const { ch, sent } = channel(20);
    await assert.rejects(ch.request({ type: 'square', x: 2 }), /^Error: no answer to square$/);
    assert.equal(ch.settle(replyTo<Squared>(sent[0]!, { type: 'squared', y: 4 })), false);
  });

  it('close rejects what waits and everything after', async () => {
    const { ch } = channel();
    const waiting = ch.request({ type: 'echo', text: 'x' });
    ch.close(new Error('panel closed'));
    await assert.rejects(waiting, /panel closed/);
    await assert.rejects(ch.request({ type: 'echo', text: 'y' }), /panel closed/);
  });

  it('the compiler holds both sides to the request → reply map', () => {
    const { ch } = channel(5);
    const typed = async (): Promise<void> => {
      // @ts-expect-error a square request is answered by Squared, never by Echoed
      const wrong: Echoed = await ch.request({ type: 'square', x: 1 });
      // @ts-expect-error a request's payload is checked against its type
      await ch.request({ type: 'echo', x: 1 });
      void wrong;
    };
    assert.equal(typeof typed, 'function');
    ch.close(new Error('done'));
  });

  it('a transport that throws fails the request at once', async () => {
    const ch = new RequestChannel<Ask, Replies>(() => { throw new Error('disconnected'); }, 1000, () => 'timeout');
    await assert.rejects(ch.request({ type: 'square', x: 1 }), /disconnected/);
  });
});
